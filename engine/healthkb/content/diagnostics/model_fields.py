"""Following a pydantic `loc` through a model's field types, for wording its errors.

pydantic's error locations mix data steps (keys, list indexes) with union tags
(`comparison`, `int`, `list[...]`); these helpers tell them apart and find the field,
type, allowed keys and naming pattern at a location.
"""

from __future__ import annotations

import types
import typing
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..strict_model import field_description

# Tags of the condition union, pydantic's marker for a bad dict key, and names of the
# plain types pydantic puts in a loc for each branch of a union.
_TAGS = {"all", "any", "not", "comparison", "[key]", "str", "int", "float", "bool"}

# A model and the name of one of its fields.
_Field = tuple[type[BaseModel], str]


def is_tag(part: str) -> bool:
    """Whether a loc part names a union branch rather than a key in the data."""
    return part in _TAGS or part[:1].isupper() or "[" in part


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` by walking the model's field types (union tags included)."""
    current: Any = model
    for part in loc:
        step = _step(current, part)
        if step is None:
            return []
        current = step[0]
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [field.alias or name for name, field in current.model_fields.items()]
    return []


def field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, FieldInfo | None]:
    """The type at `loc`, followed as far as it goes, and the innermost field on the way."""
    current, field = _walk(model, loc)
    return current, (field[0].model_fields[field[1]] if field is not None else None)


def description_at(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The description of the innermost field on the way to `loc` ('' when none): its
    `Field(description=...)` or the docstring under it."""
    field = _walk(model, loc)[1]
    return (field_description(*field) or "") if field is not None else ""


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, _Field | None]:
    current: Any = model
    field: _Field | None = None
    for part in loc:
        step = _step(current, part)
        if step is None:
            break
        current, found = step
        field = found or field
    return current, field


def pattern_of(tp: Any) -> str:
    """The regular expression a string type must match ('' when it has none)."""
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            for meta in get_args(tp)[1:]:
                pattern = getattr(meta, "pattern", None)
                if isinstance(pattern, str):
                    return pattern
            tp = get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) != 1:
                return ""
            tp = members[0]
        else:
            return ""


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp = get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [m for m in get_args(tp) if m is not type(None)]
            if len(members) != 1:
                return tp
            tp = members[0]
        else:
            return tp


def _step(tp: Any, part: Any) -> tuple[Any, _Field | None] | None:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                # The field's own constraints (a pattern, say) live in its metadata.
                annotation: Any = field.annotation
                if field.metadata:
                    annotation = typing.Annotated[(annotation, *field.metadata)]
                return annotation, (tp, name)
        return None
    origin = get_origin(tp)
    if origin in (list, tuple):
        return get_args(tp)[0], None
    if origin is dict:
        return get_args(tp)[1], None
    if origin in (typing.Union, types.UnionType):
        for member in get_args(tp):
            if get_origin(member) is typing.Annotated:
                inner, *meta = get_args(member)
                if any(getattr(m, "tag", None) == part for m in meta):
                    return inner, None
        return None
    return None
