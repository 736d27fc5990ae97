"""The base of every model of what editors write, and the separator of a validator's
message from its hint: one place, so that `kb.yaml`'s sections (approvals, personal
data, provenance) and the rules are checked with the same strictness.

The docstring under a field is its description: in the JSON Schemas (the help an editor
sees on hover, see editing/schemas.py) and in the hint of a problem about the field
(content/diagnostics). It is read from the source when one of those asks for it, not
when the model is built: pydantic's `use_attribute_docstrings` reads and parses every
model's source as the model is defined, a tenth of `healthkb evaluate`'s start-up
(docs/performance.md, "Start-up, second pass").
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# Between a validator's message and its hint: the problem shows them apart (see
# wording.py), "message (hint)".
HINT = "\n"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler, /
    ) -> JsonSchemaValue:
        """The model's JSON Schema, each field described by the docstring under it
        (unless the field gives a `description` of its own)."""
        reference = handler(core_schema)
        schema = handler.resolve_ref_schema(reference)
        properties = schema.get("properties", {})
        for name, text in field_docstrings(cls).items():
            field = cls.model_fields[name]
            for key in (field.alias, name):
                if key in properties and field.description is None:
                    described = {**properties[key], "description": text}
                    properties[key] = _without_repeated_keys(described, handler)
                    break
        return reference


def empty_list() -> list[Any]:
    """A new empty list: the `default_factory` of the models' list fields, as `list`.

    pydantic asks each factory's signature whether it takes the validated data. A plain
    function's is at hand; `list`'s is a text that `inspect` reads with `tokenize`, whose
    pattern takes 1.5 ms to compile, paid by every start-up (docs/performance.md,
    "Start-up, third pass")."""
    return []


def field_description(model: type[BaseModel], name: str) -> str | None:
    """A field's description: its `Field(description=...)`, else the docstring under it
    in a StrictModel's class body."""
    field = model.model_fields[name]
    if field.description is not None:
        return field.description
    return field_docstrings(model).get(name)


def field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The docstring under each field of a StrictModel, from the class that declares the
    field (a subclass keeps the docstrings of the fields it inherits)."""
    found: dict[str, str] = {}
    for name in model.model_fields:
        owner = next((c for c in model.__mro__ if name in vars(c).get("__annotations__", {})), None)
        if owner is not None and issubclass(owner, StrictModel):
            text = _docstrings_in_body(owner).get(name)
            if text is not None:
                found[name] = text
    return found


@cache
def _docstrings_in_body(cls: type) -> dict[str, str]:
    """`name: type` followed by a string in the class body: {name: the string, cleaned
    as a docstring}. Cached: a class's source does not change while it exists."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    body = ast.parse(textwrap.dedent(source)).body[0]
    if not isinstance(body, ast.ClassDef):
        return {}
    found: dict[str, str] = {}
    for statement, following in zip(body.body, body.body[1:], strict=False):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = inspect.cleandoc(following.value.value)
    return found


def _without_repeated_keys(schema: dict[str, Any], handler: GetJsonSchemaHandler) -> Any:
    """As pydantic writes a field that refers to another schema: a key beside the `$ref`
    that says what the referenced schema already says is left out."""
    if "$ref" not in schema:
        return schema
    try:
        referenced = handler.resolve_ref_schema({"$ref": schema["$ref"]})
    except LookupError:
        return schema
    return {k: v for k, v in schema.items() if k == "$ref" or referenced.get(k, object()) != v}
