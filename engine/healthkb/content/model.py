"""Pydantic models of the files an editor writes: manifest, sources, vocabulary, conclusions.

The rule language is in rule_model.py.

Every model is strict (no silent coercion), forbids unknown keys and is frozen, so a
validated KB cannot change behind the engine's back.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from .approval_model import ApprovalPolicy
from .languages.tags import BCP47Tag, same_tag
from .personal_data import PersonalData
from .provenance import (
    DEFAULT_REVIEW_WARNING_DAYS,
    UNKNOWN,
    EvidenceLevel,
    LanguageTag,
    OriginalText,
    Translation,
    Unknown,
)
from .strict_model import HINT as HINT
from .strict_model import StrictModel as StrictModel
from .strict_model import empty_list

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

LARGEST_WHOLE_NUMBER = 2**53 - 1
"""The largest whole number a KB or a profile may give (the smallest is its negative).

durable_rules compares whole numbers as 64-bit integers, which it saturates at 2^63
(so 10^20 would equal 10^30), and against decimals as doubles, which hold every whole
number only up to 2^53; beyond that, comparisons would silently go wrong. It is also
the largest whole number JavaScript reads exactly from a JSON result."""

LARGEST_WHOLE_NUMBER_TEXT = "2^53 - 1"
WHOLE_NUMBER_RANGE = f"from -({LARGEST_WHOLE_NUMBER_TEXT}) to {LARGEST_WHOLE_NUMBER_TEXT}"


def whole_number_fits(value: object) -> bool:
    """Whether a value is not a whole number, or is one the rule engine compares exactly."""
    if isinstance(value, bool) or not isinstance(value, int):
        return True
    return -LARGEST_WHOLE_NUMBER <= value <= LARGEST_WHOLE_NUMBER


WEB_SCHEMES = ("http", "https")


def is_web_address(url: str) -> bool:
    """Whether `url` is an absolute http:// or https:// address with a host, and holds
    no space or control character: safe as a link in a report page or a CDS card (a
    `javascript:` or `data:` address would run in the reader's browser)."""
    if any(
        character.isspace() or ord(character) < 32 or ord(character) == 127 for character in url
    ):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def _web_address(url: str) -> str:
    if not is_web_address(url):
        shown = url if len(url) <= 60 else url[:59] + "…"
        raise ValueError(
            f"{shown!r} is not an http:// or https:// address{HINT}give the address the "
            "article was published at; other kinds (javascript:, data:, file:) are refused, "
            "since report pages and CDS cards make it a link"
        )
    return url


WebAddress = Annotated[str, AfterValidator(_web_address)]

CERTAINTY_RANK: dict[str, int] = {"possible": 0, "likely": 1, "established": 2}
KIND_RANK: dict[str, int] = {"warning": 0, "outcome": 1, "recommendation": 2, "information": 3}


# --- manifest -------------------------------------------------------------------------


class ChangelogEntry(StrictModel):
    """One release of the KB and what changed in it."""

    version: SemVer
    """The release's version, `major.minor.patch`."""
    date: datetime.date
    """The release date, `YYYY-MM-DD`."""
    changes: list[Text] = Field(min_length=1)
    """What changed, one line per change."""
    digest: str | None = Field(default=None, exclude=True, pattern=r"^sha256:[0-9a-f]{64}$")
    """The KB's content digest at this release, written by `healthkb release`: the digest
    audit records carry, so that an auditor can name the release behind an answer. Left
    out of the digest itself (it could not hold its own)."""


class Languages(StrictModel):
    """The languages a KB speaks: the one its files are written in, and its translations."""

    default: BCP47Tag
    """The language the KB's own files are written in (`en`): answers use it unless a
    reader asks for another."""
    available: list[BCP47Tag] = Field(min_length=1)
    """Every language answers can be given in, the default among them; each other one
    has its `kb/translations/<tag>.yaml`."""

    @model_validator(mode="after")
    def _default_available(self) -> Languages:
        if not any(same_tag(self.default, tag) for tag in self.available):
            raise ValueError(
                f"the default language `{self.default}` is not in `available`"
                f"{HINT}add `{self.default}` to `available`"
            )
        for i, tag in enumerate(self.available):
            if any(same_tag(tag, other) for other in self.available[:i]):
                raise ValueError(f"`available` lists `{tag}` twice{HINT}list each language once")
        return self


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
    changelog: list[ChangelogEntry] = Field(default_factory=empty_list)
    """Every release, newest first."""
    disclaimer: Text | None = None
    """Shown with every answer (text, JSON, CDS cards, the report)."""
    review_warning_days: Annotated[int, Field(ge=0, le=3650)] = DEFAULT_REVIEW_WARNING_DAYS
    """How many days before a source's `review_by` `validate` starts warning."""
    approvals: ApprovalPolicy | None = None
    """Who must approve a release (`healthkb approve`) before `healthkb release` cuts it."""
    # Left out of the digest when absent, so that a KB without one keeps its digest.
    personal_data: PersonalData | None = Field(default=None, exclude_if=lambda value: value is None)
    """What audit records keep of each profile attribute: keep, drop, hash, generalise
    or encrypt (docs/auditors.md); without it, records keep the whole profile."""
    # Left out of the manifest's own dump (and so of the digest of a KB that declares no
    # languages); the digest reads it beside the translations (loading/assembly.py).
    languages: Languages | None = Field(default=None, exclude=True)
    """The KB's languages: `{default: en, available: [en, zh-Hans]}`. Without it the KB
    speaks only the language its files are written in."""


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
    version: Annotated[int, Field(ge=1)] = 1
    """Raise it whenever the text changes (a corrected or revised article)."""
    title: Text
    """The article's title, as published."""
    publisher: Text
    """Who published the article."""
    author: Text
    """Who wrote the article."""
    published: datetime.date
    """The publication date, `YYYY-MM-DD`."""
    language: LanguageTag
    """The language tag of the text quoted here, e.g. `en` or `en-GB`."""
    url: WebAddress | None = None
    """Where the article was published: an http:// or https:// address."""
    licence: Text | Unknown = UNKNOWN
    """Under which licence or copyright the text is quoted here, or `unknown`."""
    translation: Translation | None = None
    """For a translated text: the original's language and title, the translator and when."""
    # Left out of the digest when absent, so that a source without one keeps its digest.
    original: OriginalText | None = Field(default=None, exclude_if=lambda value: value is None)
    """For a translated text, when it is at hand: the original text, its sentences aligned
    to the translation's. Without it answers say the original is not available."""
    evidence: EvidenceLevel = "not_assessed"
    """How strong the source's evidence is, on the scale docs/editors.md describes."""
    reviewed: datetime.date | None = None
    """When an editor last checked the source against current knowledge, `YYYY-MM-DD`."""
    review_by: datetime.date | None = None
    """When it must be checked again; `validate` warns before and refuses after."""
    text: Text
    """The full text, verbatim, one paragraph per line; quotes are resolved against it."""
    left_out: list[LeftOut] = Field(default_factory=empty_list)
    """Passages deliberately not encoded, each with its reason."""

    @model_validator(mode="after")
    def _review_after_reviewed(self) -> Source:
        if self.reviewed and self.review_by and self.review_by < self.reviewed:
            raise ValueError(
                f"`review_by` ({self.review_by}) is before `reviewed` ({self.reviewed})"
                f"{HINT}the next review comes after the last one: check both dates"
            )
        return self


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


class AskedWhen(StrictModel):
    """Ask an attribute's question only when another answer of the same fact meets a
    condition (the Questionnaire's `enableWhen`): running details only for a runner."""

    attribute: Identifier
    """Another attribute of the same fact, whose answer decides."""
    operator: Literal["=", "!=", ">", ">=", "<", "<="]
    """How its answer is compared (`>`, `>=`, `<`, `<=` for numbers only)."""
    value: bool | int | float | Identifier
    """What it is compared with: a value that attribute may take."""


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
    ucum: str | None = None
    """The same unit as a UCUM code (`min`, `/wk`): the Questionnaire codes it."""
    question: Text | None = None
    """Input facts: the question that asks for it, as a person answers it ("How many
    times a week do you run?"); the Questionnaire's item text. Wording, like
    `description` (which the Questionnaire shows when there is no question)."""
    asked_when: AskedWhen | None = None
    """Input facts: ask the question only when another answer meets a condition."""
    single_valued: bool = True
    """Derived facts only: `false` when one profile may rightly derive several values of
    this attribute at once. By default a profile deriving two values is an `ambiguity`."""
    changeable: bool = False
    """Input facts only: `true` when the person can change it (how often they run, what
    they eat; not their age), so that a what-if (`healthkb explain --what-if`) may
    propose changing it. Attributes not marked stay as the profile gives them."""
    cost: Annotated[int | float, Field(gt=0, allow_inf_nan=False)] | None = None
    """A positive number, what changing it counts for in a what-if (default 1).
    Changeable attributes only; a what-if proposes the changes of smallest total cost."""

    @model_validator(mode="after")
    def _shape_fits_type(self) -> Attribute:
        if self.type in ("enum", "list") and not self.values:
            article = "an" if self.type == "enum" else "a"
            raise ValueError(
                f"{article} `{self.type}` attribute needs `values` (the allowed values)"
                f"{HINT}list them, e.g. `values: [low, moderate, high]`"
            )
        if self.type not in ("enum", "list") and self.values is not None:
            raise ValueError(
                f"`values` only applies to enum and list attributes, not {self.type}"
                f"{HINT}remove `values`, or make the type `enum` (one value) or `list` (several)"
            )
        if self.type not in ("integer", "number") and (
            self.min is not None or self.max is not None
        ):
            raise ValueError(
                f"`min`/`max` only apply to integer and number, not {self.type}"
                f"{HINT}remove them, or make the type `integer` or `number`"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"`min` ({self.min}) is greater than `max` ({self.max})"
                f"{HINT}did you mean `min: {self.max}` and `max: {self.min}`?"
            )
        if self.cost is not None and not self.changeable:
            raise ValueError(
                f"`cost` only applies to changeable attributes{HINT}add `changeable: true`, "
                "or remove `cost`"
            )
        if self.values is not None and len(set(self.values)) != len(self.values):
            twice = sorted({v for v in self.values if self.values.count(v) > 1})
            raise ValueError(
                "`values` lists the same value twice"
                f"{HINT}list {', '.join(f'`{v}`' for v in twice)} once"
            )
        return self


class FactType(StrictModel):
    """A kind of fact (input or derived) and its attributes."""

    version: Annotated[int, Field(ge=1)] = 1
    """Raise it whenever the fact's section or an attribute's type, values, bounds, unit,
    `changeable` or `cost` change (its descriptions are wording); `healthkb release`
    records it in the lock."""
    description: Text
    """What the fact is about, for people."""
    attributes: dict[Identifier, Attribute] = Field(min_length=1)
    """The fact's attributes by name."""

    @model_validator(mode="after")
    def _questions_asked_after_known_answers(self) -> FactType:
        for name, spec in self.attributes.items():
            if spec.asked_when is not None:
                _check_asked_when(name, spec.asked_when, self.attributes)
        return self


def _check_asked_when(name: str, asked: AskedWhen, attributes: dict[str, Attribute]) -> None:
    other = attributes.get(asked.attribute)
    if other is None or asked.attribute == name:
        others = ", ".join(f"`{a}`" for a in attributes if a != name) or "none"
        raise ValueError(
            f"`{name}`: `asked_when` names `{asked.attribute}`, which is not another "
            f"attribute of this fact{HINT}name one of {others}"
        )
    numeric = other.type in ("integer", "number")
    if asked.operator not in ("=", "!=") and not numeric:
        raise ValueError(
            f"`{name}`: `{asked.operator}` compares numbers; `{asked.attribute}` is "
            f"{other.type}{HINT}use `=` or `!=`"
        )
    fits = {
        "bool": isinstance(asked.value, bool),
        "integer": isinstance(asked.value, int) and not isinstance(asked.value, bool),
        "number": isinstance(asked.value, int | float) and not isinstance(asked.value, bool),
    }.get(other.type, isinstance(asked.value, str) and asked.value in (other.values or []))
    if not fits:
        raise ValueError(
            f"`{name}`: `asked_when` compares `{asked.attribute}` ({other.type}) with "
            f"{asked.value!r}, a value it cannot take"
        )


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
    version: Annotated[int, Field(ge=1)] = 1
    """Raise it whenever the statement, kind, certainty or citations change."""
    kind: Kind
    """outcome, recommendation, warning or information."""
    certainty: Certainty
    """possible, likely or established: never stronger than the source's wording."""
    statement: Text
    """What the person is told, in plain words."""
    clinician_statement: Text | None = None
    """The same guidance for a clinician (CDS Hooks cards), with the same certainty;
    without it, cards show `statement`."""
    because: list[Citation] = Field(min_length=1)
    """The passages of the source the statement rests on."""
    excludes: list[Identifier] = Field(default_factory=empty_list)
    """Conclusions never to be reached together with this one (both ways: declaring it
    on one of the two is enough); `healthkb analyze` proves no profile reaches both."""


class ConclusionsFile(StrictModel):
    """`kb/conclusions.yaml`: everything the KB can tell a person."""

    conclusions: list[Conclusion] = Field(min_length=1)
    """Every conclusion, each with a unique `id`."""
