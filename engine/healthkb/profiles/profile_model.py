"""Input profiles: a pydantic model built from the KB's own fact vocabulary.

Every fact type and attribute is optional (missing facts are fine), but anything
given must be declared and must fit its type and range; unknown names are errors
with a "did you mean" hint, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationError,
    create_model,
)
from pydantic_core import CoreSchema

from ..content.diagnostics.located_validation import data_path, quoted_number, value_words
from ..content.model import (
    LARGEST_WHOLE_NUMBER,
    LARGEST_WHOLE_NUMBER_TEXT,
    Attribute,
    FactType,
    Vocabulary,
)
from ..errors import (
    MAX_LISTED_PROBLEMS,
    KBError,
    Problem,
    ProfileError,
    did_you_mean,
    shorten,
    shown,
)
from ..files.json_reader import read_json
from ..files.yaml_reader import Located, read_yaml

_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)
# A fact's model is validated and written as part of the profile's model, whose
# validator and serializer hold it; its own are built only if it is used on its own
# (`SymptomsFact.model_validate(...)`): building them for each of a large vocabulary's
# facts at every load was a third of the profile model's cost.
_FACT_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


def _field_type(spec: Attribute) -> Any:
    if spec.type == "bool":
        return bool
    if spec.type == "enum":
        return Literal[tuple(spec.values or ())]
    if spec.type == "list":
        return list[Literal[tuple(spec.values or ())]]  # type: ignore[misc]
    if spec.type == "integer":
        low, high = _whole_number_bounds(spec)
        return Annotated[int, Field(ge=low, le=high), BeforeValidator(_whole_float)]
    return Annotated[float, Field(ge=spec.min, le=spec.max, allow_inf_nan=False)]


def _whole_float(value: Any) -> Any:
    """`7.0` read as 7: JSON Schema's `integer` (the profile schema, the OpenAPI document)
    counts a number with a zero fraction as an integer, and JSON writers emit them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _whole_number_bounds(spec: Attribute) -> tuple[int | float, int | float]:
    """An integer attribute's range; where it declares no bound, what the engine compares
    exactly (pydantic itself fails on an integer of 2^1024 or more without one)."""
    low = -LARGEST_WHOLE_NUMBER if spec.min is None else spec.min
    high = LARGEST_WHOLE_NUMBER if spec.max is None else spec.max
    return low, high


class _SchemaOnce:
    """Marks the annotation of one kind of attribute (`_fields`), whose core schema
    pydantic then makes once, for the first attribute of that kind, and gives each other
    attribute of the kind a copy of: the same schema it would have made for it (the
    `Literal`, the bounds, `_whole_float`), without working it out again from the
    annotation, a sixth of building a 10,000-rule KB's profile model (docs/performance.md,
    "Compiling and starting the engine, again"). One per kind and per
    `build_profile_model` call: nothing is shared between KBs."""

    def __init__(self) -> None:
        self._schema: CoreSchema | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        if self._schema is None:
            self._schema = handler(source)
        # A copy of the outer dict, which is what pydantic adds to (the inner schemas
        # hold no references for it to resolve).
        return cast(CoreSchema, {**self._schema})


def _fields(fact: FactType, annotations: dict[Any, Any]) -> dict[str, Any]:
    """A fact model's fields: each attribute's annotation and `Field`."""
    fields: dict[str, Any] = {}
    for attr, spec in fact.attributes.items():
        # One annotation per kind of attribute: building `Literal[...]` and `Annotated[...]`
        # unions is a third of a model's cost, and a vocabulary repeats a few kinds.
        key = (spec.type, tuple(spec.values or ()), spec.min, spec.max)
        annotation = annotations.get(key)
        if annotation is None:
            annotation = annotations[key] = Annotated[_field_type(spec) | None, _SchemaOnce()]
        fields[attr] = (annotation, Field(default=None, description=_describe(spec)))
    return fields


def _shape(fact: FactType) -> tuple[Any, ...]:
    """What the models of facts with the same attributes share: each attribute's name,
    kind and description, in order (their `Field`s and annotations are equal)."""
    return tuple(
        (attr, spec.type, tuple(spec.values or ()), spec.min, spec.max, _describe(spec))
        for attr, spec in fact.attributes.items()
    )


def _fact_models(vocabulary: Vocabulary) -> dict[str, type[BaseModel]]:
    """Each input fact's model (`SymptomsFact`), in the order of the vocabulary.

    Facts with the same attributes (`_shape`: the generated 10,000-rule KB's 200
    measures) get models that subclass one base holding those fields, made once: each
    is still a model of its own, named and described as its fact (docs/performance.md,
    "Compiling and starting the engine, third pass")."""
    annotations: dict[Any, Any] = {}
    shapes: dict[tuple[Any, ...], list[str]] = {}
    for name, fact in vocabulary.input.items():
        shapes.setdefault(_shape(fact), []).append(name)
    models: dict[str, type[BaseModel]] = {}
    for names in shapes.values():
        first = vocabulary.input[names[0]]
        fields = _fields(first, annotations)
        if len(names) == 1:
            models[names[0]] = create_model(
                _camel(names[0]), __config__=_FACT_CONFIG, __doc__=first.description, **fields
            )
            continue
        base = create_model("FactShape", __config__=_FACT_CONFIG, **fields)
        for name in names:
            models[name] = create_model(
                _camel(name), __base__=base, __doc__=vocabulary.input[name].description
            )
    return {name: models[name] for name in vocabulary.input}


def build_profile_model(vocabulary: Vocabulary) -> type[BaseModel]:
    """The pydantic model of an input profile for this vocabulary."""
    fields: dict[str, Any] = {
        name: (model | None, Field(default=None, description=vocabulary.input[name].description))
        for name, model in _fact_models(vocabulary).items()
    }
    model: type[BaseModel] = create_model(
        "Profile", __config__=_CONFIG, __doc__="A person's profile: input facts.", **fields
    )
    return model


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Fact"


def _describe(spec: Attribute) -> str:
    return f"{spec.description} Allowed: {allowed(spec)}."


def allowed(spec: Attribute) -> str:
    """What values an attribute allows, in words."""
    if spec.type == "bool":
        return "true or false"
    if spec.type == "enum":
        return "one of " + ", ".join(spec.values or [])
    if spec.type == "list":
        return "a list of " + ", ".join(spec.values or [])
    unit = f" {spec.unit}" if spec.unit else ""
    if spec.type == "integer":
        # Where no bound is declared, the engine's own: any whole number it compares exactly.
        low = f"-({LARGEST_WHOLE_NUMBER_TEXT})" if spec.min is None else f"{spec.min:g}"
        high = LARGEST_WHOLE_NUMBER_TEXT if spec.max is None else f"{spec.max:g}"
        return f"a whole number from {low} to {high}{unit}"
    if spec.min is not None and spec.max is not None:
        return f"a number from {spec.min:g} to {spec.max:g}{unit}"
    return "a number" + unit


def validate_profile(
    model: type[BaseModel],
    vocabulary: Vocabulary,
    profile: Any,
    located: Located | None = None,
) -> BaseModel:
    """Validate a dict (or profile model) and return the profile model, or raise ProfileError.

    A model instance is validated again, as its data: `model_construct` (or assigning
    through `object.__setattr__`) makes an instance nobody checked, and the engine must
    never see a value outside the vocabulary.
    """
    # `type(...) is dict` first: the usual profile is plain dicts, and `isinstance` with
    # `BaseModel` or `Mapping` (abstract classes) costs a Python call each, per fact.
    if type(profile) is not dict and isinstance(profile, BaseModel):
        # warnings=False: a constructed instance may hold a dict where a fact model
        # belongs; validation below reports it, the serializer need not warn first.
        profile = profile.model_dump(exclude_none=True, warnings=False)
    if type(profile) is dict or isinstance(profile, Mapping):
        # Any mapping will do (a MappingProxyType, a frozen dict); pydantic's strict
        # mode takes only dicts, at both levels.
        profile = {
            k: dict(v) if type(v) is dict or isinstance(v, Mapping) else v
            for k, v in profile.items()
        }
    else:
        where = located.file if located else "profile"
        if located is not None and profile is None:
            message = "the profile is empty; a profile is a mapping of facts"
        else:
            # From Python, None is a value passed by mistake, not an empty profile (`{}`,
            # nothing known, is a valid one): say what was passed, as Python names it.
            got = "None" if profile is None else value_words(profile)
            message = f"a profile is a mapping of facts; got {got}"
        place = 1 if located else 0
        hint = f"write each fact as `fact: {{attribute: value}}`, e.g. {_example(vocabulary)}"
        raise ProfileError([Problem(where, place, place, "invalid-profile", message, hint)])
    unreadable = _surrogate_names(profile, vocabulary, located)
    if unreadable:
        # pydantic stops at such a key with no place at all: report each by name, and
        # what is wrong with the rest of the profile alongside.
        rest = _without_keys(profile)
        try:
            model.model_validate(rest)
        except ValidationError as error:
            problems, more = _problems(error, vocabulary, rest, located)
            raise ProfileError([*unreadable, *problems], more) from None
        raise ProfileError(unreadable)
    try:
        return model.model_validate(profile)
    except ValidationError as error:
        raise ProfileError(*_problems(error, vocabulary, profile, located)) from None


def _has_surrogate(name: object) -> bool:
    # `isascii` first: it answers the usual name at C speed, without a loop per character.
    return (
        isinstance(name, str)
        and not name.isascii()
        and any("\ud800" <= char <= "\udfff" for char in name)
    )


def _surrogate_names(
    profile: dict[Any, Any], vocabulary: Vocabulary, located: Located | None
) -> list[Problem]:
    """A problem for each fact or attribute name holding a lone surrogate (`"\\ud800"`):
    half of a UTF-16 pair, which Python strings can hold but no text can."""
    problems = []
    for fact, values in profile.items():
        paths: list[tuple[Any, ...]] = [(fact,)] if _has_surrogate(fact) else []
        if isinstance(values, dict) and not paths:
            paths += [(fact, name) for name in values if _has_surrogate(name)]
        for path in paths:
            escaped = ".".join(_escaped(str(part)) for part in path)
            kind, code = (
                ("fact", "unknown-fact") if len(path) == 1 else ("attribute", "unknown-attribute")
            )
            owner = vocabulary.input.get(str(path[0])) if len(path) == 2 else None
            names = owner.attributes if owner else vocabulary.input
            file, line, column = "profile", 0, 0
            if located is not None:
                file, (line, column) = located.file, located.place(path)
            problems.append(
                Problem(
                    file,
                    line,
                    column,
                    code,
                    f"`{shorten(escaped)}`: unknown {kind}: its name holds a lone surrogate "
                    "(U+D800 to U+DFFF), half of a UTF-16 pair, which is not text",
                    _listed(names),
                )
            )
    return problems


def _escaped(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _without_keys(profile: dict[Any, Any]) -> dict[Any, Any]:
    """The profile without its names that hold a lone surrogate."""
    rest = {}
    for fact, values in profile.items():
        if _has_surrogate(fact):
            continue
        if isinstance(values, dict):
            values = {k: v for k, v in values.items() if not _has_surrogate(k)}
        rest[fact] = values
    return rest


def _problems(
    error: ValidationError, vocabulary: Vocabulary, profile: dict[str, Any], located: Located | None
) -> tuple[list[Problem], int]:
    """The problems of the first MAX_LISTED_PROBLEMS fields, and how many more fields have
    one: explaining each ("did you mean ...") is what takes time on a hostile profile."""
    problems: list[Problem] = []
    seen = set()
    more = 0
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        # A key that is not text is named by its repr in `loc` (`None`, `True`), which
        # `data_path` would take for a union tag; its depth is what says fact or attribute.
        if detail["type"] == "invalid_key":
            path = (*loc[:-1], str(detail.get("input")))
        else:
            path = data_path(profile, loc)
        # Literal unions report one error per member: keep one per place.
        if path in seen:
            continue
        seen.add(path)
        if len(problems) >= MAX_LISTED_PROBLEMS:
            more += 1
            continue
        name = shorten(".".join(str(p) for p in path))
        code, message, hint = _explain(detail, vocabulary, path)
        # "`x` needs a number, ...", as rules say it; other messages follow a colon.
        text = f"`{name}` {message}" if code == "wrong-type" else f"`{name}`: {message}"
        if located is not None:
            line, column = located.place(path)
            problems.append(Problem(located.file, line, column, code, text, hint))
        else:
            problems.append(Problem("profile", 0, 0, code, text, hint))
    return problems, more


def _explain(detail: Any, vocabulary: Vocabulary, path: tuple[Any, ...]) -> tuple[str, str, str]:
    kind = detail["type"]
    value = detail.get("input")
    if kind == "extra_forbidden":
        if len(path) == 1:
            return "unknown-fact", "unknown fact", did_you_mean(str(path[0]), vocabulary.input)
        fact = vocabulary.input[str(path[0])]
        return (
            "unknown-attribute",
            "unknown attribute",
            did_you_mean(str(path[-1]), fact.attributes),
        )
    if kind == "invalid_key":
        # Only reachable from Python: YAML profiles refuse such keys when they are read.
        if len(path) == 1:
            return (
                "unknown-fact",
                f"a fact's name is text, not {value_words(value)}",
                _listed(vocabulary.input),
            )
        owner = vocabulary.input.get(str(path[0]))
        return (
            "unknown-attribute",
            f"an attribute's name is text, not {value_words(value)}",
            _listed(owner.attributes if owner else {}),
        )
    if len(path) >= 2 and str(path[0]) in vocabulary.input:
        spec = vocabulary.input[str(path[0])].attributes.get(str(path[1]))
        if spec is not None:
            # A number in quotes: the words rules and test cases use for it too.
            expected = {"integer": "a whole number", "number": "a number"}.get(spec.type, "")
            if hint := quoted_number(value, expected):
                return "wrong-type", f"needs {expected}, got {value_words(value)}", hint
            return "invalid-value", f"{shown(value)} is not allowed", f"allowed: {allowed(spec)}"
    if len(path) == 1 and str(path[0]) in vocabulary.input:
        attributes = vocabulary.input[str(path[0])].attributes
        return (
            "invalid-value",
            f"a fact is a mapping of its attributes, not {value_words(value)}",
            f"write `{path[0]}: {{attribute: value}}` with attributes from "
            + ", ".join(f"`{a}`" for a in attributes),
        )
    return "invalid-value", str(detail["msg"]), ""


def _listed(names: Iterable[str]) -> str:
    return did_you_mean("", names)


def _example(vocabulary: Vocabulary) -> str:
    for name, fact in vocabulary.input.items():
        for attribute in fact.attributes:
            return f"`{name}: {{{attribute}: ...}}`"
    return "`fact: {attribute: value}`"


def read_profile(path: Path) -> tuple[Any, Located]:
    """Read a profile file with places for error messages: a `.json` file as strict JSON,
    anything else (and standard input) as YAML."""
    try:
        if path.suffix.lower() == ".json":
            located = read_json(path, str(path), streams=True)
        else:
            located = read_yaml(path, str(path), streams=True)
    except KBError as error:
        raise ProfileError(error.problems, error.more) from None
    return located.data, located
