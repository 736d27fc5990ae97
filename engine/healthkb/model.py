"""Pydantic models of the files an editor writes: manifest, sources, vocabulary, rules.

Every model is strict (no silent coercion), forbids unknown keys and is frozen, so a
validated KB cannot change behind the engine's back.
"""

from __future__ import annotations

import datetime
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
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


# --- manifest -------------------------------------------------------------------------


class ChangelogEntry(StrictModel):
    version: SemVer
    date: datetime.date
    changes: list[Text] = Field(min_length=1)


class Manifest(StrictModel):
    """`kb/kb.yaml`: what this knowledge base is and which release it is."""

    id: SourceId
    title: Text
    version: SemVer
    released: datetime.date
    description: str = ""
    changelog: list[ChangelogEntry] = Field(default_factory=list)


# --- sources --------------------------------------------------------------------------


class Citation(StrictModel):
    """A verbatim quote from a source; the loader resolves it to its passage."""

    source: SourceId
    quote: Text
    interpretation: str | None = None


class LeftOut(StrictModel):
    """A passage of a source deliberately not encoded, with the reason why."""

    quote: Text
    reason: Text


class Source(StrictModel):
    """`kb/sources/*.yaml`: one source article with its full text."""

    id: SourceId
    title: Text
    publisher: Text
    author: Text
    published: datetime.date
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")]
    url: str | None = None
    text: Text
    left_out: list[LeftOut] = Field(default_factory=list)


# --- fact vocabulary -----------------------------------------------------------------


class Attribute(StrictModel):
    """One attribute of a fact type: its type, allowed values or range, and unit."""

    type: AttributeType
    description: Text
    values: list[Identifier] | None = None
    min: int | float | None = None
    max: int | float | None = None
    unit: str | None = None

    @model_validator(mode="after")
    def _shape_fits_type(self) -> Attribute:
        if self.type in ("enum", "list") and not self.values:
            raise ValueError(f"a `{self.type}` attribute needs `values` (the allowed values)")
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
    attributes: dict[Identifier, Attribute] = Field(min_length=1)


class BackgroundFact(FactType):
    """A statement of a source that holds for everyone, present in every evaluation."""

    values: dict[Identifier, Scalar | list[Scalar]] = Field(min_length=1)
    because: list[Citation] = Field(min_length=1)


class Vocabulary(StrictModel):
    """`kb/facts.yaml`: the facts a profile may give, rules may derive, and background."""

    input: dict[Identifier, FactType] = Field(min_length=1)
    derived: dict[Identifier, FactType] = Field(default_factory=dict)
    background: dict[Identifier, BackgroundFact] = Field(default_factory=dict)


# --- conclusions ---------------------------------------------------------------------


class Conclusion(StrictModel):
    """Something the KB can tell a person, never stronger than its source's wording."""

    id: Identifier
    kind: Kind
    certainty: Certainty
    statement: Text
    because: list[Citation] = Field(min_length=1)


class ConclusionsFile(StrictModel):
    conclusions: list[Conclusion] = Field(min_length=1)


# --- rules ---------------------------------------------------------------------------

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

    fact: FactPath
    eq: Scalar | None = None
    ne: Scalar | None = None
    lt: int | float | None = None
    le: int | float | None = None
    gt: int | float | None = None
    ge: int | float | None = None
    between: list[int | float] | None = Field(default=None, min_length=2, max_length=2)
    in_: list[Scalar] | None = Field(default=None, alias="in", min_length=1)
    not_in: list[Scalar] | None = Field(default=None, min_length=1)
    contains: str | None = None
    contains_any: list[str] | None = Field(default=None, min_length=1)

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

    @property
    def op(self) -> str:
        return next(op for op in OPERATORS if getattr(self, _attr(op)) is not None)

    @property
    def value(self) -> Any:
        return getattr(self, _attr(self.op))

    @property
    def fact_type(self) -> str:
        return self.fact.split(".", 1)[0]

    @property
    def attribute(self) -> str:
        return self.fact.split(".", 1)[1]


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


class AllCondition(StrictModel):
    all: list[Condition] = Field(min_length=1)


class AnyCondition(StrictModel):
    any: list[Condition] = Field(min_length=1)


class NotCondition(StrictModel):
    not_: Condition = Field(alias="not")


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
    values: dict[Identifier, Scalar | list[Scalar]] = Field(default_factory=dict)


class Then(StrictModel):
    """What a rule does when it fires: derive a fact, or conclude a conclusion."""

    derive: Derive | None = None
    conclude: Identifier | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Then:
        if (self.derive is None) == (self.conclude is None):
            raise ValueError("`then` needs exactly one of `derive` or `conclude`")
        return self


class Rule(StrictModel):
    """One versioned rule: when its conditions hold, it derives or concludes."""

    id: Identifier
    version: Annotated[int, Field(ge=1)]
    title: Text
    status: Status
    description: str = ""
    when: Condition
    then: Then
    because: list[Citation] = Field(min_length=1)


class RulesFile(StrictModel):
    rules: list[Rule] = Field(min_length=1)


AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()
Rule.model_rebuild()
RulesFile.model_rebuild()
