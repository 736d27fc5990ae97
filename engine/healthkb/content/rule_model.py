"""Pydantic models of the rule language: rules, their conditions and outcomes.

Strict, closed and frozen like every model of model.py; split from it because the
rule language is the part editors learn first and the engine compiles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Discriminator, Field, Tag, model_validator

from ..errors import shown
from .model import HINT, Citation, FactPath, Identifier, Scalar, Status, StrictModel, Text
from .provenance import EvidenceLevel
from .strict_model import empty_list


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

    # The operator, its value and the two halves of `fact`: every check, the compiler and
    # explanations read them, so the validator sets them once. They are slots, not keys
    # of the instance's `__dict__`: pydantic dumps a condition (a tagged union) checking
    # strictly first, a key that is no field fails that check, and the dump is redone
    # leniently; with them in `__dict__`, dumping the 10,000-rule KB's rules (the
    # digest does) took 1.2x the time (docs/performance.md, "Validating the rules").
    __slots__ = ("attribute", "fact_type", "op", "value")
    if TYPE_CHECKING:  # what the slots hold, read-only

        @property
        def op(self) -> str: ...
        @property
        def value(self) -> Any: ...
        @property
        def fact_type(self) -> str: ...
        @property
        def attribute(self) -> str: ...

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
        fields = self.__dict__  # every field is there once validated
        named = self.__pydantic_fields_set__
        if len(named) == 2:
            # The usual comparison, `fact` and one operator other than `between` with a
            # value, is valid as it is: say so in as few steps as Python allows (this
            # runs once per comparison of the KB). Anything else takes the full way below,
            # which alone words the errors.
            first, second = named
            name = second if first == "fact" else first
            op = _UNORDERED_OPERATOR_OF.get(name)  # None for `between`, `source_says`
            value = fields[name]
            if op is not None and value is not None:
                fact_type, _, attribute = self.fact.partition(".")  # FactPath: one dot
                _set_op(self, op)
                _set_value(self, value)
                _set_fact_type(self, fact_type)
                _set_attribute(self, attribute)
                return self
        return self._checked_operator(fields, named)

    def _checked_operator(self, fields: dict[str, Any], named: set[str]) -> Comparison:
        if len(named) == 2:
            # Usually `fact` and one operator were written: that one is the only one
            # to look at (written as null, it counts as not given, as below). A
            # departure's other key is `source_says`, not an operator.
            given = [_OPERATOR_OF[n] for n in named if n in _OPERATOR_OF and fields[n] is not None]
        else:
            given = [op for op, name in _OPERATOR_FIELDS if fields[name] is not None]
        if len(given) != 1:
            listed = ", ".join(OPERATORS)
            hint = (
                "test one thing per comparison, and put two comparisons under `all:`"
                if given
                else "e.g. `{fact: running.minutes_per_session, gt: 30}`"
            )
            raise ValueError(
                f"a comparison needs exactly one operator ({listed}); found "
                f"{', '.join(given) if given else 'none'}{HINT}{hint}"
            )
        if self.between is not None and self.between[0] > self.between[1]:
            low, high = self.between
            raise ValueError(
                f"`between` needs [low, high]; got {list(self.between)}"
                f"{HINT}low must not exceed high: did you mean [{shown(high)}, {shown(low)}]?"
            )
        # Set here with `given` at hand rather than worked out on first use: every check
        # and the compiler read them, and working each out lazily (functools'
        # cached_property takes a lock) was a tenth of the checks' time on a
        # 10,000-rule KB.
        self._set_derived(given[0])
        return self

    def _set_derived(self, op: str) -> None:
        fact_type, _, attribute = self.fact.partition(".")  # FactPath: one dot
        _set_op(self, op)
        _set_value(self, self.__dict__[_attr(op)])
        _set_fact_type(self, fact_type)
        _set_attribute(self, attribute)

    if not TYPE_CHECKING:  # as pydantic's BaseModel: mypy still checks every name

        def __getattr__(self, name: str) -> Any:
            """The slots of a comparison made without validating (`model_copy`, a
            pickle, `copy.deepcopy`), worked out from its fields on first use."""
            if name in Comparison.__slots__:
                self._set_derived(
                    next(op for op in OPERATORS if self.__dict__.get(_attr(op)) is not None)
                )
                return object.__getattribute__(self, name)
            return super().__getattr__(name)


def _attr(op: str) -> str:
    return "in_" if op == "in" else op


# The setter of each slot of a comparison: a frozen model's own `__setattr__` refuses
# every change, and a slot's descriptor sets it in 0.6x the time `object.__setattr__` does.
_set_op, _set_value, _set_fact_type, _set_attribute = (
    vars(Comparison)[name].__set__ for name in ("op", "value", "fact_type", "attribute")
)
# Each operator with the name of its field, in the order the validator reports them.
_OPERATOR_FIELDS = tuple((op, _attr(op)) for op in OPERATORS)
_OPERATOR_OF = {name: op for op, name in _OPERATOR_FIELDS}
# The operators whose value needs no check of its own (`between` needs low <= high).
_UNORDERED_OPERATOR_OF = {name: op for name, op in _OPERATOR_OF.items() if op != "between"}


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


# The tag of each condition model (anything else is a comparison), made once: pydantic
# asks `_condition_kind` for every condition it validates and every one it dumps.
_KINDS: dict[type, str] = {AllCondition: "all", AnyCondition: "any", NotCondition: "not"}


def _condition_kind(value: Any) -> str:
    if type(value) is dict:
        # The first of `all`, `any`, `not` the mapping has, written out: asked once
        # for every condition validated.
        if "all" in value:
            return "all"
        if "any" in value:
            return "any"
        return "not" if "not" in value else "comparison"
    if isinstance(value, dict):
        return next((key for key in ("all", "any", "not") if key in value), "comparison")
    return _KINDS.get(type(value), "comparison")


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
            raise ValueError(
                "`then` needs exactly one of `derive` or `conclude`"
                f"{HINT}write `then: {{conclude: CONCLUSION_ID}}` or "
                "`then: {derive: {fact: NAME, values: {...}}}`"
            )
        return self


class Departure(Comparison):
    """`{fact: running.sessions_per_week, le: 2, source_says: "infrequently"}`: a condition
    of the rule that reads the source's number differently from its words, declared so
    that the number check accepts it and auditors are shown the departure."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _exactly(3, schema))

    source_says: Text
    """The words of a quote (or the title) this condition departs from, verbatim."""


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
    evidence: EvidenceLevel | None = None
    """The evidence level of this step when it differs from its sources' (e.g. the
    article cites a trial for it); by default, the weakest of the sources it cites."""
    departures: list[Departure] = Field(default_factory=empty_list)
    """Conditions whose numbers depart from what the quotes say (e.g. `le: 2` for
    "infrequently"), each with the words it departs from; shown to auditors."""


class RulesFile(StrictModel):
    """`rules/*.yaml`: a list of rules."""

    rules: list[Rule] = Field(min_length=1)
    """The rules of this file; ids are unique across all rule files."""


AllCondition.model_rebuild()
AnyCondition.model_rebuild()
NotCondition.model_rebuild()
Departure.model_rebuild()
Rule.model_rebuild()
RulesFile.model_rebuild()
