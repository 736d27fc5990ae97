"""FHIR data in, a profile out: QuestionnaireResponse answers and mapped Observations.

A CDS Hooks call carries the patient's data as prefetched FHIR resources: a Bundle of
`QuestionnaireResponse`s answering the KB's Questionnaire (each answer names its
attribute by `linkId`) and a Bundle of `Observation`s, which become attributes through
`kb/fhir.yaml` (fhir_observations.py). The profile built from them is an ordinary
profile (validated by the KB like any other), and every attribute remembers where it
came from, with the mapping's interpretation, so an explanation can show it.

Rules: only completed (or amended) responses count; the newest wins, times compared as
instants (fhir_instants.py says how partial dates rank); an answer wins over an
Observation for the same attribute. A key sent as `null` or as an empty Bundle means
"no data" (CDS Hooks): the profile is then built from what there is, possibly nothing.
An answer that names an attribute but cannot give it (an unknown `linkId`, a value of
the wrong type) and data about another patient are located problems (the client sent
something wrong); an Observation without a usable value, an OperationOutcome, a key
that was not sent, are intake notes, shown with the cards.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..content.checks.cross_file import value_error
from ..content.fhir_mapping import FhirMapping, answer_system, questionnaire_url
from ..content.model import Attribute, Vocabulary
from ..errors import HealthKBError, ProfileError, did_you_mean, shown
from .fhir_instants import rank
from .fhir_observations import OBSERVATIONS_KEY, observations
from .fhir_reading import Found, IntakeNote, IntakeSource, Reader, outcome_text, resource_name
from .fhir_units import UnitConverter

QUESTIONNAIRE_KEY = "questionnaireResponses"
PREFETCH_KEYS = (QUESTIONNAIRE_KEY, OBSERVATIONS_KEY)
_USED_RESPONSES = ("completed", "amended")

__all__ = [
    "OBSERVATIONS_KEY",
    "PREFETCH_KEYS",
    "QUESTIONNAIRE_KEY",
    "Intake",
    "IntakeNote",
    "IntakeSource",
    "MissingData",
    "build_intake",
    "missing_keys",
]


class MissingData(HealthKBError):
    """The FHIR data needed to build a profile is not there; `.missing` names it."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Intake:
    """The profile built from FHIR data, where each attribute came from, and the notes
    on data that was sent but not used."""

    profile: dict[str, dict[str, Any]]
    sources: list[IntakeSource]
    notes: list[IntakeNote]


def missing_keys(prefetch: Any) -> list[str]:
    """The prefetch keys whose data the call does not carry: not sent, or sent as an
    OperationOutcome (the client could not fetch it). `null` is data: "there is none"."""
    given = prefetch if isinstance(prefetch, dict) else {}
    return [
        key
        for key in PREFETCH_KEYS
        if key not in given
        or (isinstance(given[key], dict) and given[key].get("resourceType") == "OperationOutcome")
    ]


def build_intake(
    kb_id: str,
    vocabulary: Vocabulary,
    mapping: FhirMapping,
    prefetch: Any,
    patient: str,
    units: UnitConverter | None = None,
) -> Intake:
    """The profile the prefetched FHIR data gives; ProfileError naming each unusable
    answer, MissingData when none of the data the service declares was sent."""
    given: dict[str, Any] = prefetch if isinstance(prefetch, dict) else {}
    missing = missing_keys(given)
    if len(missing) == len(PREFETCH_KEYS):
        raise MissingData(
            "the request carries no prefetch `questionnaireResponses` and no prefetch "
            "`observations` (the data this service declares in its discovery document), "
            "and no `fhirServer` with `fhirAuthorization` to fetch them from",
            missing,
        )
    reader = Reader(kb_id, vocabulary, mapping, patient, units or UnitConverter())
    for key in missing:
        sent = given.get(key)
        if isinstance(sent, dict):
            reader.note(resource_name(sent), f"`{key}` not fetched: {outcome_text(sent)}")
        else:
            reader.note(f"prefetch.{key}", "not sent: the profile is built without it")
    answered = _answers(
        reader, None if QUESTIONNAIRE_KEY in missing else given.get(QUESTIONNAIRE_KEY)
    )
    observed = observations(
        reader, None if OBSERVATIONS_KEY in missing else given.get(OBSERVATIONS_KEY)
    )
    if reader.problems:
        raise ProfileError(reader.problems)
    found = {**observed, **answered}  # an answer wins over an Observation
    profile: dict[str, dict[str, Any]] = {}
    for attribute in sorted(found):
        fact, name = attribute.split(".")
        profile.setdefault(fact, {})[name] = found[attribute].value
    return Intake(profile, [found[a].source for a in sorted(found)], reader.notes)


# --- QuestionnaireResponse -----------------------------------------------------------


def _answers(reader: Reader, bundle: Any) -> dict[str, Found]:
    found: dict[str, Found] = {}
    url = questionnaire_url(reader.kb_id)
    for path, response in reader.resources(
        bundle, f"prefetch.{QUESTIONNAIRE_KEY}", "QuestionnaireResponse"
    ):
        named = response.get("questionnaire")
        if isinstance(named, str) and named.split("|", 1)[0] != url:
            continue  # another questionnaire's answers say nothing in this KB's terms
        if response.get("status") not in _USED_RESPONSES or not reader.about_patient(
            path, response
        ):
            continue
        when = rank(response.get("authored"))
        resource = resource_name(response)
        for item_path, item in _items(reader, response, path):
            link = item["linkId"]
            spec = reader.attributes[link]
            value = _answer_value(reader, item_path, item, link, spec)
            if value is None:
                continue
            previous = found.get(link)
            if previous is None or when >= previous.rank:
                source = IntakeSource(link, value, resource, link, None)
                found[link] = Found(value, when, source)
    return found


def _items(reader: Reader, node: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every answered item naming an attribute, through groups; problems for the rest."""
    items = node.get("item", [])
    if not isinstance(items, list):
        reader.problem(f"{path}.item", "invalid-fhir", "`item` must be a list")
        return
    for index, item in enumerate(items):
        where = f"{path}.item[{index}]"
        link = item.get("linkId") if isinstance(item, dict) else None
        if not isinstance(link, str):
            reader.problem(where, "invalid-fhir", "each item needs a `linkId`")
            continue
        if link in reader.attributes:
            yield where, item
        elif link in reader.facts:
            yield from _items(reader, item, where)
        else:
            hint = did_you_mean(link, [*reader.attributes, *reader.facts])
            reader.problem(
                f"{where}.linkId", "unknown-attribute", f"unknown linkId {shown(link)}", hint
            )


_ANSWER_KEYS = {
    "bool": ("valueBoolean",),
    "integer": ("valueInteger",),
    "number": ("valueDecimal", "valueInteger"),
    "enum": ("valueCoding",),
    "list": ("valueCoding",),
}


def _answer_value(
    reader: Reader, path: str, item: dict[str, Any], link: str, spec: Attribute
) -> Any:
    answers = item.get("answer", [])
    if not isinstance(answers, list):
        reader.problem(f"{path}.answer", "invalid-fhir", "`answer` must be a list")
        return None
    if not answers:
        return None
    if spec.type != "list" and len(answers) > 1:
        reader.problem(
            f"{path}.answer", "invalid-value", f"`{link}` takes one answer; got {len(answers)}"
        )
        return None
    values = []
    for index, answer in enumerate(answers):
        where = f"{path}.answer[{index}]"
        keys = _ANSWER_KEYS[spec.type]
        key = next((k for k in keys if isinstance(answer, dict) and k in answer), None)
        if key is None:
            reader.problem(where, "invalid-value", f"`{link}` is answered with {' or '.join(keys)}")
            return None
        value = answer[key]
        if key == "valueCoding":
            value = _code(reader, f"{where}.valueCoding", value, answer_system(reader.kb_id, link))
            if value is None:
                return None
        values.append(value)
    value = values if spec.type == "list" else values[0]
    error = value_error(spec, value)
    if error:
        reader.problem(path, "invalid-value", f"{error} (`{link}`)")
        return None
    return value


def _code(reader: Reader, path: str, coding: Any, system: str) -> str | None:
    if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
        reader.problem(path, "invalid-value", "a Coding needs a `code`")
        return None
    if coding.get("system", system) != system:
        reader.problem(path, "invalid-value", f"the code system must be `{system}`")
        return None
    code: str = coding["code"]
    return code
