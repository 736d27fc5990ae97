"""`kb/fhir.yaml`: how FHIR Observations become profile attributes, maintained by editors.

A health record holds measurements as FHIR Observations, coded (LOINC, SNOMED CT...)
and valued with UCUM units. The KB's rules speak of profile attributes
(`running.sessions_per_week`). The mapping says, for each Observation code, which
attribute it gives, the unit its value must be in, and how it is read (its
`interpretation`), which the service shows next to every conclusion that used it.

The file is optional: a KB without it takes Questionnaire answers only.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from ..errors import Problem, did_you_mean
from .located_items import Placed
from .model import FactPath, StrictModel, Text, Vocabulary
from .strict_model import empty_list

FHIR_FILE = "kb/fhir.yaml"

# Observation values are numbers (valueQuantity, valueInteger) or yes/no (valueBoolean):
# attributes of these types can take one; an enumeration or a list cannot.
MAPPABLE_TYPES = ("integer", "number", "bool")


class Coding(StrictModel):
    """A code from a terminology, as FHIR writes it (`Coding`)."""

    system: Text
    """The terminology's URI, e.g. `http://loinc.org`."""
    code: Text
    """The code in that terminology, e.g. `89555-7`."""
    display: Text
    """The code's name in the terminology, for people."""


class ObservationMapping(StrictModel):
    """One Observation code and the profile attribute its value gives."""

    code: Coding
    """The Observation's code (`Observation.code.coding`)."""
    attribute: FactPath
    """The input attribute the value gives, as `fact.attribute` (see kb/facts.yaml)."""
    unit: str | None = None
    """The UCUM code (`valueQuantity.code`) the value must be in, e.g. `d/wk`; required
    for integer and number attributes. A value in another UCUM unit is converted when
    UCUM can (`h` to `min`)."""
    occasion: str | None = None
    """The UCUM unit one occasion (a session) is counted in, e.g. `d`: a value per
    occasion is then a value per that unit, so `/wk` (sessions a week) reads as `d/wk`
    and `min` (minutes a session) as `min/d`. UCUM itself reads `d/wk` as a ratio of
    times, not as a count of days, and could not convert without it."""
    interpretation: Text
    """How the Observation is read as the attribute, for people: shown in every
    explanation that uses it."""


class FhirMapping(StrictModel):
    """`kb/fhir.yaml`: how FHIR data becomes a profile."""

    observations: list[ObservationMapping] = Field(default_factory=empty_list)
    """Observation codes and the attributes they give."""

    def for_code(self, system: str, code: str) -> ObservationMapping | None:
        """The mapping of an Observation coded `system|code`, if there is one."""
        return next(
            (m for m in self.observations if (m.code.system, m.code.code) == (system, code)),
            None,
        )


def check_fhir_mapping(mapping: Placed[FhirMapping], vocabulary: Vocabulary) -> list[Problem]:
    """Every mapping names a declared input attribute a value can give, once per code."""
    problems = []
    seen: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(mapping.item.observations):
        key = (entry.code.system, entry.code.code)
        if key in seen:
            problems.append(
                mapping.problem(
                    "duplicate-code",
                    f"`{entry.code.system}|{entry.code.code}` is mapped twice "
                    f"(first at entry {seen[key] + 1})",
                    "map each Observation code to one attribute",
                    "observations",
                    index,
                    "code",
                )
            )
        seen.setdefault(key, index)
        problems += _check_attribute(mapping, vocabulary, index, entry)
    return problems


def _check_attribute(
    mapping: Placed[FhirMapping], vocabulary: Vocabulary, index: int, entry: ObservationMapping
) -> list[Problem]:
    fact_name, attribute_name = entry.attribute.split(".")
    fact = vocabulary.input.get(fact_name)
    where = ("observations", index, "attribute")
    if fact is None:
        hint = did_you_mean(fact_name, vocabulary.input)
        return [mapping.problem("unknown-fact", f"unknown input fact `{fact_name}`", hint, *where)]
    spec = fact.attributes.get(attribute_name)
    if spec is None:
        hint = did_you_mean(attribute_name, fact.attributes)
        message = f"unknown attribute `{attribute_name}` of `{fact_name}`"
        return [mapping.problem("unknown-attribute", message, hint, *where)]
    if spec.type not in MAPPABLE_TYPES:
        message = (
            f"`{entry.attribute}` is {spec.type}; an Observation's value can only give "
            f"{_words(MAPPABLE_TYPES)} attributes"
        )
        return [mapping.problem("unmappable-attribute", message, "", *where)]
    if spec.type != "bool" and not entry.unit:
        kind = "a whole number" if spec.type == "integer" else "a number"
        message = f"`{entry.attribute}` takes {kind}: say which UCUM unit the value is in"
        hint = f"add `unit:` (the attribute's unit is {spec.unit or 'not declared'})"
        return [mapping.problem("missing-unit", message, hint, "observations", index)]
    if spec.type == "bool" and entry.unit:
        message = f"`{entry.attribute}` is true or false: it has no unit"
        return [mapping.problem("unexpected-unit", message, "remove `unit:`", *where[:2], "unit")]
    return []


def _words(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def questionnaire_url(kb_id: str) -> str:
    """The canonical URL of a KB's FHIR Questionnaire (`QuestionnaireResponse.questionnaire`
    names it, with `|version` or without)."""
    return f"urn:healthkb:{kb_id}:questionnaire"


def answer_system(kb_id: str, attribute: str) -> str:
    """The code system of an enumeration attribute's answer codes (its allowed values)."""
    return f"urn:healthkb:{kb_id}:{attribute}"
