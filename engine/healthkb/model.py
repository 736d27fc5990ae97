"""Pydantic models of the files an editor writes: manifest, sources, vocabulary, rules.

Every model is strict (no silent coercion), forbids unknown keys and is frozen, so a
validated KB cannot change behind the engine's back.
"""

from __future__ import annotations

import datetime
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=80)
]
SourceId = Annotated[
    str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", min_length=1, max_length=120)
]
FactPath = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", max_length=161)
]
Text = Annotated[str, StringConstraints(min_length=1)]
Scalar = bool | int | float | str
SemVer = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]

Kind = Literal["outcome", "recommendation", "warning", "information"]
Certainty = Literal["possible", "likely", "established"]
Status = Literal["draft", "active", "retired"]
AttributeType = Literal["bool", "integer", "number", "enum", "list"]

CERTAINTY_RANK: dict[str, int] = {"possible": 0, "likely": 1, "established": 2}
KIND_RANK: dict[str, int] = {"warning": 0, "outcome": 1, "recommendation": 2, "information": 3}


class StrictModel(BaseModel):
    # The docstring under a field becomes its description in the JSON Schemas, which is
    # the help an editor sees on hover (see schemas.py).
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )


# --- manifest -------------------------------------------------------------------------


class ChangelogEntry(StrictModel):
    """One release of the KB and what changed in it."""

    version: SemVer
    """The release's version, `major.minor.patch`."""
    date: datetime.date
    """The release date, `YYYY-MM-DD`."""
    changes: list[Text] = Field(min_length=1)
    """What changed, one line per change."""


class Manifest(StrictModel):
    """`kb/kb.yaml`: what this knowledge base is and which release it is."""

    id: SourceId
    """The KB's stable id (lowercase letters, digits, `-`, `_`, `.`)."""
    title: Text
    """The KB's title, for people."""
    version: SemVer
    """The KB's release version, `major.minor.patch`; stamped on every result."""
    released: datetime.date
    """The release date, `YYYY-MM-DD`."""
    description: str = ""
    """What the KB covers and for whom."""
    changelog: list[ChangelogEntry] = Field(default_factory=list)
    """Every release, newest first."""


# --- sources --------------------------------------------------------------------------


class Citation(StrictModel):
    """A verbatim quote from a source; the loader resolves it to its passage."""

    source: SourceId
    """The `id` of a source in `kb/sources/`."""
    quote: Text
    """Words copied verbatim from the source's text (one passage, any length)."""
    interpretation: str | None = None
    """How the quote is read here, when that is not obvious."""


class LeftOut(StrictModel):
    """A passage of a source deliberately not encoded, with the reason why."""

    quote: Text
    """Words copied verbatim from the source's text."""
    reason: Text
    """Why the passage is not encoded (e.g. "Related Articles", not guidance)."""


class Source(StrictModel):
    """`kb/sources/*.yaml`: one source article with its full text."""

    id: SourceId
    """The source's stable id, used by citations (`source:`)."""
    title: Text
    """The article's title, as published."""
    publisher: Text
    """Who published the article."""
    author: Text
    """Who wrote the article."""
    published: datetime.date
    """The publication date, `YYYY-MM-DD`."""
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]
    """The text's language tag, e.g. `en` or `en-GB`."""
    url: str | None = None
    """Where the article was published."""
    text: Text
    """The full text, verbatim, one paragraph per line; quotes are resolved against it."""
    left_out: list[LeftOut] = Field(default_factory=list)
    """Passages deliberately not encoded, each with its reason."""


# --- fact vocabulary -----------------------------------------------------------------


def _attribute_shapes(schema: dict[str, Any]) -> None:
    """Attribute's schema: what `_shape_fits_type` checks, for inline errors in editors."""

    def when_type(types: list[str], then: dict[str, Any]) -> dict[str, Any]:
        condition = {"properties": {"type": {"enum": types}}, "required": ["type"]}
        return {"if": condition, "then": then}

    schema["allOf"] = [
        when_type(
            ["enum", "list"],
            {"required": ["values"], "properties": {"values": {"type": "array", "minItems": 1}}},
        ),
        when_type(["bool", "integer", "number"], {"not": {"required": ["values"]}}),
        when_type(
            ["bool", "enum", "list"],
            {"not": {"anyOf": [{"required": ["min"]}, {"required": ["max"]}]}},
        ),
    ]


class Attribute(StrictModel):
    """One attribute of a fact type: its type, allowed values or range, and unit."""

    model_config = ConfigDict(json_schema_extra=_attribute_shapes)

    type: AttributeType
    """bool, integer, number, enum (one of `values`) or list (several of `values`)."""
    description: Text
    """What the attribute means, for people; shown to editors and in explanations."""
    values: list[Identifier] | None = None
    """The allowed values of an enum or list attribute."""
    min: int | float | None = None
    """The smallest allowed value of an integer or number attribute."""
    max: int | float | None = None
    """The largest allowed value of an integer or number attribute."""
    unit: str | None = None
    """The unit of an integer or number attribute, e.g. `minutes`."""

    @model_validator(mode="after")
    def _shape_fits_type(self) -> Attribute:
        if self.type in ("enum", "list") and not self.values:
            article = "an" if self.type == "enum" else "a"
            raise ValueError(
                f"{article} `{self.type}` attribute needs `values` (the allowed values)"
            )
        if self.type not in ("enum", "list") and self.values is not None:
            raise ValueError(f"`values` only applies to enum and list attributes, not {self.type}")
        if self.type not in ("integer", "number") and (
            self.min is not None or self.max is not None
        ):
            raise ValueError(f"`min`/`max` only apply to integer and number, not {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min}) is greater than `max` ({self.max})")
        if self.values is not None and len(set(self.values)) != len(self.values):
            raise ValueError("`values` lists the same value twice")
        return self


class FactType(StrictModel):
    """A kind of fact (input or derived) and its attributes."""

    description: Text
    """What the fact is about, for people."""
    attributes: dict[Identifier, Attribute] = Field(min_length=1)
    """The fact's attributes by name."""


class BackgroundFact(FactType):
    """A statement of a source that holds for everyone, present in every evaluation."""

    values: dict[Identifier, Scalar | list[Scalar]] = Field(min_length=1)
    """The value of each attribute, as the source states it."""
    because: list[Citation] = Field(min_length=1)
    """The passages of the source that state it."""


class Vocabulary(StrictModel):
    """`kb/facts.yaml`: the facts a profile may give, rules may derive, and background."""

    input: dict[Identifier, FactType] = Field(min_length=1)
    """Facts a profile may give: the public contract apps rely on."""
    derived: dict[Identifier, FactType] = Field(default_factory=dict)
    """Facts only rules may assert (`then: derive:`)."""
    background: dict[Identifier, BackgroundFact] = Field(default_factory=dict)
    """Statements of a source that hold for everyone, present in every evaluation."""


# --- conclusions ---------------------------------------------------------------------


class Conclusion(StrictModel):
    """Something the KB can tell a person, never stronger than its source's wording."""

    id: Identifier
    """The conclusion's stable id, used by rules (`then: conclude:`) and apps."""
    kind: Kind
    """outcome, recommendation, warning or information."""
    certainty: Certainty
    """possible, likely or established: never stronger than the source's wording."""
    statement: Text
    """What the person is told, in plain words."""
    because: list[Citation] = Field(min_length=1)
    """The passages of the source the statement rests on."""


class ConclusionsFile(StrictModel):
    """`kb/conclusions.yaml`: everything the KB can tell a person."""

    conclusions: list[Conclusion] = Field(min_length=1)
    """Every conclusion, each with a unique `id`."""


# --- rules ---------------------------------------------------------------------------


def _exactly(count: int, schema: dict[str, Any]) -> None:
    """A JSON Schema for a model whose validator wants exactly `count` keys given.

    Optional keys lose their null type: `gt: null` counts as not given, so it is never
    what an editor meant, and the schema offers only the real types.
    """
    schema["minProperties"] = schema["maxProperties"] = count
    for spec in schema["properties"].values():
        if "anyOf" in spec and {"type": "null"} in spec["anyOf"]:
            spec.pop("default", None)
            spec["anyOf"] = [s for s in spec["anyOf"] if s != {"type": "null"}]
            if len(spec["anyOf"]) == 1:
                spec.update(spec.pop("anyOf")[0])


OPERATORS = (
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "between",
    "in",
    "not_in",
    "contains",
    "contains_any",
)


class Comparison(StrictModel):
    """`{fact: running.minutes_per_session, gt: 30}`: one test on one attribute."""

    # The schema says what the validator below checks: `fact` and exactly one operator.
    model_config = ConfigDict(json_schema_extra=lambda schema: _exactly(2, schema))

    fact: FactPath
    """The attribute tested, as `fact_type.attribute` (e.g. `running.intensity`)."""
    eq: Scalar | None = None
    """Holds when the attribute equals this value."""
    ne: Scalar | None = None
    """Holds when the attribute is given and differs from this value."""
    lt: int | float | None = None
    """Holds when the attribute is less than this number."""
    le: int | float | None = None
    """Holds when the attribute is less than or equal to this number."""
    gt: int | float | None = None
    """Holds when the attribute is greater than this number."""
    ge: int | float | None = None
    """Holds when the attribute is greater than or equal to this number."""
    between: list[int | float] | None = Field(default=None, min_length=2, max_length=2)
    """`[low, high]`: holds when low <= attribute <= high (both ends included)."""
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    """Holds when the attribute is one of these values."""
    not_in: list[Scalar] | None = Field(default=None, min_length=1)
    """Holds when the attribute is given and is none of these values."""
    contains: str | None = None
    """For a list attribute: holds when the list contains this value."""
    contains_any: list[str] | None = Field(default=None, min_length=1)
    """For a list attribute: holds when the list contains any of these values."""

    @model_validator(mode="after")
    def _exactly_one_operator(self) -> Comparison:
        given = [op for op in OPERATORS if getattr(self, _attr(op)) is not None]
        if len(given) != 1:
            listed = ", ".join(OPERATORS)
            raise ValueError(
                f"a comparison needs exactly one operator ({listed}); found "
                f"{', '.join(given) if given else 'none'}"
            )
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(f"`between` needs [low, high]; got {list(self.between)}")
        return self

    # Cached: the engine and explanations ask for these on every evaluation.
    @cached_property
    def op(self) -> str:
        return next(op for op in OPERATORS if getattr(self, _attr(op)) is not None)

    @cached_property
    def value(self) -> Any:
        return getattr(self, _attr(self.op))

    @cached_property
    def fact_type(self) -> str:
        return self.fact.split(".", 1)[0]

    @cached_property
    def attribute(self) -> str:
        return self.fact.split(".", 1)[1]


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


class AllCondition(StrictModel):
    """Holds when every condition in the list holds."""

    all: list[Condition] = Field(min_length=1)
    """Conditions that must all hold."""


class AnyCondition(StrictModel):
    """Holds when at least one condition in the list holds."""

    any: list[Condition] = Field(min_length=1)
    """Conditions of which at least one must hold."""


class NotCondition(StrictModel):
    """Holds when the condition inside does not hold (so it holds when a fact is missing)."""

    not_: Condition = Field(alias="not")
    """The condition that must not hold."""


def _condition_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "comparison"
    if isinstance(value, BaseModel):
        return {AllCondition: "all", AnyCondition: "any", NotCondition: "not"}.get(
            type(value), "comparison"
        )
    return "comparison"


Condition = Annotated[
    Annotated[AllCondition, Tag("all")]
    | Annotated[AnyCondition, Tag("any")]
    | Annotated[NotCondition, Tag("not")]
    | Annotated[Comparison, Tag("comparison")],
    Discriminator(_condition_kind),
]


class Derive(StrictModel):
    """Derive a fact (with attribute values) that other rules can match."""

    fact: Identifier
    """A derived fact type declared in `kb/facts.yaml` under `derived`."""
    values: dict[Identifier, Scalar | list[Scalar]] = Field(default_factory=dict)
    """The derived fact's attribute values."""


class Then(StrictModel):
    """What a rule does when it fires: derive a fact, or conclude a conclusion."""

    # Exactly one of the two, as the validator below checks.
    model_config = ConfigDict(json_schema_extra=lambda schema: _exactly(1, schema))

    derive: Derive | None = None
    """A fact for other rules to match."""
    conclude: Identifier | None = None
    """The `id` of a conclusion in `kb/conclusions.yaml`."""

    @model_validator(mode="after")
    def _exactly_one(self) -> Then:
        if (self.derive is None) == (self.conclude is None):
            raise ValueError("`then` needs exactly one of `derive` or `conclude`")
        return self


class Rule(StrictModel):
    """One versioned rule: when its conditions hold, it derives or concludes."""

    id: Identifier
    """The rule's stable id (lowercase letters, digits and `_`)."""
    version: Annotated[int, Field(ge=1)]
    """A whole number, raised whenever the rule's meaning changes."""
    title: Text
    """A short name for people."""
    status: Status
    """draft and retired rules are checked but never fire; active rules fire."""
    description: str = ""
    """Notes for editors and reviewers."""
    when: Condition
    """The condition: a comparison `{fact: ..., <operator>: ...}`, or `all`, `any`, `not`."""
    then: Then
    """What the rule does when it fires: `derive` a fact or `conclude` a conclusion."""
    because: list[Citation] = Field(min_length=1)
    """The passages of the source the rule encodes."""


class RulesFile(StrictModel):
    """`rules/*.yaml`: a list of rules."""

    rules: list[Rule] = Field(min_length=1)
    """The rules of this file; ids are unique across all rule files."""


AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()
Rule.model_rebuild()
RulesFile.model_rebuild()
