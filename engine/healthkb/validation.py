"""Turning pydantic's validation errors into located, editor-friendly problems."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .errors import Problem, did_you_mean
from .yamlio import Located, PathKey

M = TypeVar("M", bound=BaseModel)


def validate_located(model: type[M], located: Located) -> tuple[M | None, list[Problem]]:
    """Validate a file's data against `model`; return the model or the located problems."""
    try:
        return model.model_validate(located.data), []
    except ValidationError as error:
        return None, problems_from(error, model, located)


def problems_from(
    error: ValidationError, model: type[BaseModel], located: Located
) -> list[Problem]:
    problems = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        path = data_path(located.data, loc)
        message, hint = _describe(detail, model, loc)
        problems.append(located.problem(path, _code(detail["type"]), message, hint))
    return _without_duplicates(problems)


def data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """The path through the data that a pydantic `loc` points at (union tags dropped)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict) and isinstance(part, str):
            # Either a union tag (skip it) or a key that is missing/unknown.
            if _is_tag(part):
                continue
            path.append(part)
            current = None
    return tuple(path)


_TAGS = {"all", "any", "not", "comparison"}


def _is_tag(part: str) -> bool:
    return part in _TAGS or part[:1].isupper() or part in {"str", "int", "float", "bool"}


def _code(error_type: str) -> str:
    return {
        "extra_forbidden": "unknown-key",
        "missing": "missing-key",
        "value_error": "invalid-value",
        "string_pattern_mismatch": "invalid-name",
        "union_tag_invalid": "invalid-value",
    }.get(error_type, "wrong-type" if error_type.endswith("_type") else "invalid-value")


def _describe(detail: Any, model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, str]:
    kind = detail["type"]
    name = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        return f"unknown key `{name}`", did_you_mean(str(name), allowed)
    if kind == "missing":
        return f"missing required key `{name}`", ""
    if kind == "string_pattern_mismatch":
        pattern = detail.get("ctx", {}).get("pattern", "")
        return (
            f"`{detail['input']}` is not a valid name for `{name}`",
            f"use lower-case letters, digits and underscores (pattern {pattern})",
        )
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type") or kind in {"bool_parsing", "int_parsing", "float_parsing"}:
        message = f"`{name}`: {message}, got {type(detail['input']).__name__} {detail['input']!r}"
    elif name and not message.startswith("a "):
        message = f"`{name}`: {message}"
    return message, ""


def allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at `loc` by walking the model's field types (union tags included)."""
    current: Any = model
    for part in loc:
        current = _step(current, part)
        if current is None:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [_key(n, f) for n, f in current.model_fields.items()]
    return []


def _key(name: str, field: FieldInfo) -> str:
    return field.alias or name


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


def _step(tp: Any, part: Any) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if part in (name, field.alias):
                return field.annotation
        return None
    origin = get_origin(tp)
    if origin in (list, tuple):
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    if origin in (typing.Union, types.UnionType):
        for member in get_args(tp):
            if get_origin(member) is typing.Annotated:
                inner, *meta = get_args(member)
                if any(getattr(m, "tag", None) == part for m in meta):
                    return inner
        return None
    return None


def _without_duplicates(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[int, int, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
