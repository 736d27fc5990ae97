"""The canonical JSON of models, written by orjson from their fields: the same bytes as
`json.dumps(model.model_dump(mode="json", by_alias=True), sort_keys=True,
ensure_ascii=False, separators=(",", ":"))`, about four times sooner.

Why not the models' own dumps: on a 10,000-rule KB the digest dumps 66,000 models, and
pydantic's serialiser takes about 1.7 µs a model whether it makes Python objects
(`model_dump`) or JSON (`model_dump_json`, which also keeps the fields in their declared
order, not sorted); `json.dumps` of the 7.5 MB result then takes as long again. orjson
writes dicts, lists, strings and numbers in C-speed Rust with the keys sorted
(`OPT_SORT_KEYS`, code point order, as `sort_keys`); for each model it meets it asks
`_fields`, which hands it the model's `__dict__` (the fields' values as validated) or,
where a field has an alias or the model keeps more than its fields there, a dict of the
fields by alias.

What makes the bytes the same, each shown by tests/content/test_digest_unchanged.py:

- which keys: a model's fields by alias, the same ones `model_dump` gives; a model is
  only written this way when its core schema has nothing that changes what the dump of
  a field is (a serializer of its own, a computed or excluded field, a root model, a
  type other than str, int, float, bool, date, None, literals, lists, dicts with string
  keys, unions and other models: see `_FieldWalk`); anything else, and any object that
  is not such a model, stops the fast way (`NotCanonical`) and the caller dumps as before;
- a model where its field declares a class that has subclasses (a `FactType` that
  could be a `BackgroundFact`): pydantic dumps it as the declared class; such fields are
  checked to hold exactly a declared class;
- strings: orjson escapes exactly what `json.dumps(ensure_ascii=False)` does (`"`, `\\`,
  control characters, `\\n` style where JSON has one) and refuses lone surrogates (as
  encoding the old JSON to UTF-8 did: the caller then fails the old way);
- integers: the same digits; beyond 64 bits orjson refuses (the caller dumps as before);
- floats: orjson writes the shortest repr, as Python does, except below 1e-4 (`1e-05`
  vs `1e-5`) and for inf and NaN (`null` vs `Infinity`): every field whose schema can
  hold a float is looked at, and such a number stops the fast way (`_check_numbers`);
  `_FLOATS_AGREE` checks at import time that this orjson writes a set of probes as
  `json.dumps` does, and turns the fast way off if not;
- dates: `isoformat()`, as pydantic's JSON mode.

Its fast paths, and why they give the same answer: docs/performance.md,
"The digest's canonical JSON written by orjson".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from operator import itemgetter
from typing import Any, cast

from pydantic import BaseModel

try:
    import orjson
except ImportError:  # a virtualenv installed before it was a dependency: the old way
    orjson = None  # type: ignore[assignment]

# The core schema types whose dump is the value as validated (or, for a model, its
# fields): anything else in a field's schema keeps the model on the slow way.
_PLAIN_TYPES = frozenset(
    {"str", "int", "float", "bool", "date", "none", "literal", "nullable", "default"}
    | {"list", "dict", "union", "tagged-union", "model", "definition-ref"}
    | {"function-after", "function-before", "function-wrap"}
)
# The types of a number field's value that need a closer look (`_check_numbers`): any
# other is written by orjson as `json.dumps` writes it, or is no type orjson writes.
_CONTAINERS_AND_FLOATS = frozenset({float, list, tuple, dict})
# Floats orjson writes as `json.dumps` does, the edges of the range it is trusted with.
_PROBES = (0.0, -0.0, 1e-4, -1e-4, 0.1, 1 / 3, 1.5, 1e15, 1e16, 1.2345678901234567e17, 1e22)


class NotCanonical(ValueError):
    """A value the fast way would not write as `json.dumps` of its dump does."""


def canonical_json(value: Any) -> bytes | None:
    """`value`'s canonical JSON in UTF-8 (models as their `model_dump(mode="json",
    by_alias=True)`, keys sorted at every level, no spaces, non-ASCII as is), or None
    where the fast way does not apply: the caller writes it the old way then."""
    if orjson is None or not _FLOATS_AGREE:
        return None
    # Subclasses of str, int, list and dict, dataclasses and dates come to `_Writer`
    # instead of being written by orjson's own rules: none is in a KB, so each stops
    # the fast way (a date only when it is a datetime or another subclass).
    options = (
        orjson.OPT_SORT_KEYS
        | orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )
    writer = _Writer()
    try:
        data = orjson.dumps(value, default=writer.fields, option=options)
    except orjson.JSONEncodeError:
        return None
    # Every model of a class that extends another (a `Departure` is a `Comparison`)
    # must have stood where its own class is declared: elsewhere pydantic dumps it as
    # the class declared there.
    return data if writer.subclassed == writer.declared else None


def _floats_agree() -> bool:
    return orjson is not None and all(orjson.dumps(x) == json.dumps(x).encode() for x in _PROBES)


_FLOATS_AGREE = _floats_agree()


class _Writer:
    """What orjson writes for an object it has no rule of its own for, and the counts
    that show every model of a subclass stood where its class is declared."""

    def __init__(self) -> None:
        self.subclassed = 0
        """Models written whose class extends another model class."""
        self.declared = 0
        """Models found directly in fields that declare such a class, of that class."""
        self._plans: dict[type, _Plan] = {}

    def fields(self, value: object) -> Any:
        plan = self._plans.get(type(value))
        if plan is None:
            if type(value) is date:
                return value.isoformat()
            plan = self._plans[type(value)] = _plan(cast(Hashable, type(value)))
        fields = value.__dict__
        # Written out here rather than in helpers: this runs once per model (66,000 of
        # them on a 10,000-rule KB), and each call saved is some 5% of the digest.
        numbers = plan.numbers
        if numbers is not None:
            # The number fields are looked at one by one only when one of them is a
            # float, or a list or dict that may hold one.
            values = numbers(fields)
            if _holds_a_number(values):
                for value in filter(None, values):
                    _check_numbers(value)
        if plan.subclass:
            self.subclassed += 1
        for name, declared in plan.subclass_fields:
            held = fields[name]
            if held:  # most often None, or no departures
                self.declared += _count(held, declared)
        if len(fields) == plan.whole:
            return fields
        if len(fields) == plan.renamed_whole:
            # Every field and nothing else, some under an alias (a comparison's `in_`):
            # the dict copied (in C) and those keys renamed, not built key by key.
            written = fields.copy()
            for name, key in plan.renames:
                written[key] = written.pop(name)
            return written
        written = dict(zip(plan.keys, plan.values(fields), strict=True))
        for name, key, left_out in plan.left_out_if:
            if not left_out(fields[name]):
                written[key] = fields[name]
        return written


def _check_numbers(value: Any) -> None:
    kind = type(value)
    if kind is float:
        if not (value == 0.0 or 1e-4 <= abs(value) < math.inf):
            raise NotCanonical(f"{value!r} is written otherwise by orjson")
        return
    if kind is list or kind is tuple:
        items = value
    elif kind is dict:
        items = value.values()
    else:
        return
    if _holds_a_number(items):
        for item in filter(None, items):
            _check_numbers(item)


def _holds_a_number(values: Any) -> bool:
    """Whether any of `values` is a float, a list, a tuple or a dict: in C, and asking
    the type only of values that are not None, 0, empty or False (`filter`), since a
    model's number fields are mostly None (a comparison has nine, one of them given). A
    0.0 or -0.0 left out is written alike by both ways; NaN is not false, nor are inf or
    the floats below 1e-4 (the values looked at one by one are filtered the same way)."""
    return not _CONTAINERS_AND_FLOATS.isdisjoint(map(type, filter(None, values)))


def _count(value: Any, classes: frozenset[type]) -> int:
    """How many models of exactly these classes `value` is or holds in its lists and
    dicts (not inside other models)."""
    if not value:
        return 0  # None, or (most often) no departures
    if type(value) in classes:
        return 1
    if isinstance(value, (list, tuple)):
        return sum(_count(item, classes) for item in value)
    if isinstance(value, dict):
        return sum(_count(item, classes) for item in value.values())
    return 0


@dataclass(frozen=True, slots=True)
class _Plan:
    """How a model class is written: its fields and their keys, which to check."""

    names: tuple[str, ...]
    """The fields always dumped."""
    keys: tuple[str, ...]
    """Their keys in the dump (their aliases)."""
    values: Callable[[dict[str, Any]], tuple[Any, ...]]
    """Their values, from the model's `__dict__`."""
    left_out_if: tuple[tuple[str, str, Callable[[Any], bool]], ...]
    """(field name, key, test) of the fields left out when the test holds of their value
    (`Field(exclude_if=...)`)."""
    whole: int
    """When every key is its field's name, how many fields there are: the model's
    `__dict__` is written as it is when it holds that many, exactly the fields (a cached
    property or a validator may keep more there). -1 otherwise."""
    renamed_whole: int
    """When every field is dumped (none left out) but some under an alias, how many
    fields there are: a `__dict__` holding that many is written as a copy with the
    `renames` done. -1 otherwise."""
    renames: tuple[tuple[str, str], ...]
    """(field name, key) of the fields whose key is their alias."""
    numbers: Callable[[dict[str, Any]], tuple[Any, ...]] | None
    """The values of the fields whose schema can hold a float (None: there are none)."""
    subclass: bool
    """Whether the class extends another model class with fields."""
    subclass_fields: tuple[tuple[str, frozenset[type]], ...]
    """The fields declaring such classes, with the ones they declare."""


@cache
def _plan(cls: type) -> _Plan:
    """The plan of a model class, read from its core schema (once per class)."""
    if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
        raise NotCanonical(f"no canonical JSON for a {cls.__name__}")
    schema = cls.__pydantic_core_schema__
    definitions = {d["ref"]: d for d in schema.get("definitions", ())}
    model = _model_schema(schema, cls, definitions)
    inner = model["schema"]
    while inner.get("type", "").startswith("function-") and "serialization" not in inner:
        inner = inner["schema"]  # a model validator: dumped as the fields it wraps
    if (
        model.get("root_model")
        or "serialization" in model
        or inner.get("type") != "model-fields"
        or inner.get("computed_fields")
        or "serialization" in inner
    ):
        raise NotCanonical(f"{cls.__name__} is dumped by rules of its own")
    keys, left_out_if, numbers, subclass_fields = [], [], [], []
    for name, field in inner["fields"].items():
        walk = _FieldWalk(definitions)
        walk.visit(field["schema"])
        if walk.floats:
            numbers.append(name)
        subclasses = frozenset(c for c in walk.models if _extends_a_model(c))
        if subclasses:
            subclass_fields.append((name, subclasses))
        key = field.get("serialization_alias") or name
        if "serialization_exclude_if" in field:
            left_out_if.append((name, key, field["serialization_exclude_if"]))
        elif not field.get("serialization_exclude"):
            keys.append((name, key))
    every_field = len(keys) == len(inner["fields"])
    renames = tuple((name, key) for name, key in keys if name != key)
    # A key that is another field's name would be overwritten by the renaming.
    every_field = every_field and not {key for _, key in renames} & inner["fields"].keys()
    as_is = every_field and not renames
    names = tuple(name for name, _ in keys)
    subclass = _extends_a_model(cls)
    return _Plan(
        names,
        tuple(key for _, key in keys),
        _getter(names),
        tuple(left_out_if),
        len(names) if as_is else -1,
        len(names) if every_field and renames else -1,
        renames,
        _getter(tuple(numbers)) if numbers else None,
        subclass,
        tuple(subclass_fields),
    )


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """What gives the values of these keys of a dict, as a tuple (`itemgetter`, in C)."""
    if len(names) >= 2:
        return itemgetter(*names)
    if names:
        (name,) = names
        return lambda fields: (fields[name],)
    return lambda fields: ()


def _extends_a_model(cls: type) -> bool:
    """Whether `cls` extends a model class that has fields (`Departure`: `Comparison`)."""
    return any(issubclass(base, BaseModel) and bool(base.model_fields) for base in cls.__mro__[1:])


def _model_schema(schema: Any, cls: type, definitions: dict[str, Any]) -> Any:
    """The `model` schema of `cls` in its core schema (under definitions, validators)."""
    while schema.get("type") != "model" or schema.get("cls") is not cls:
        if schema.get("type") == "definition-ref":
            schema = definitions[schema["schema_ref"]]
        elif "schema" in schema and "serialization" not in schema:
            schema = schema["schema"]
        else:
            raise NotCanonical(f"{cls.__name__} has no plain model schema")
    return schema


class _FieldWalk:
    """What a field's schema can hold: floats, and which model classes (not entered:
    each model is written by its own plan)."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.floats = False
        self.models: set[type] = set()
        self._seen: set[str] = set()

    def visit(self, schema: Any) -> None:
        kind = schema.get("type")
        if kind not in _PLAIN_TYPES or "serialization" in schema:
            raise NotCanonical(f"a field of type {kind} is dumped by rules of its own")
        if kind == "model":
            self.models.add(schema["cls"])
        elif kind == "definition-ref":
            ref = schema["schema_ref"]
            if ref not in self._seen:
                self._seen.add(ref)
                self.visit(self.definitions[ref])
        elif kind == "float":
            self.floats = True
        elif kind == "literal":
            if not all(type(v) in (str, int, bool) for v in schema["expected"]):
                raise NotCanonical("a literal of another type than str, int or bool")
        elif kind == "dict":
            self._dict(schema)
        else:
            for inner in _inner_schemas(schema):
                self.visit(inner)

    def _dict(self, schema: Any) -> None:
        keys = schema.get("keys_schema")
        if keys is None or keys.get("type") != "str" or "serialization" in keys:
            raise NotCanonical("a dict whose keys are not strings")
        if "values_schema" not in schema:
            raise NotCanonical("a dict of any values")
        self.visit(schema["values_schema"])


def _inner_schemas(schema: Any) -> Iterator[Any]:
    kind = schema["type"]
    if kind == "list":
        if "items_schema" not in schema:
            raise NotCanonical("a list of any values")
        yield schema["items_schema"]
    elif kind == "union":
        for choice in schema["choices"]:
            yield choice[0] if isinstance(choice, tuple) else choice
    elif kind == "tagged-union":
        yield from schema["choices"].values()
    elif "schema" in schema:  # nullable, default, validators: dumped as what they wrap
        yield schema["schema"]
