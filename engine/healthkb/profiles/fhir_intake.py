"""FHIR data in, a profile out: QuestionnaireResponse answers and mapped Observations.

A CDS Hooks call carries the patient's data as prefetched FHIR resources: a Bundle of
`QuestionnaireResponse`s answering the KB's Questionnaire (each answer names its
attribute by `linkId`) and a Bundle of `Observation`s, which become attributes through
`kb/fhir.yaml`. The profile built from them is an ordinary profile (validated by the KB
like any other), and every attribute remembers where it came from, with the mapping's
interpretation, so an explanation can show it.

Rules: only completed (or amended) responses and final (amended, corrected)
Observations count; the newest wins; an answer wins over an Observation for the same
attribute; Observations with codes the mapping does not name are not used. Anything
that names an attribute but cannot give it (an unknown `linkId`, a value of the wrong
type or unit, data about another patient) is a located problem, never skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..content.checks.cross_file import value_error
from ..content.fhir_mapping import FhirMapping, ObservationMapping, answer_system, questionnaire_url
from ..content.model import Attribute, Vocabulary
from ..errors import HealthKBError, Problem, ProfileError, did_you_mean, shown

QUESTIONNAIRE_KEY = "questionnaireResponses"
OBSERVATIONS_KEY = "observations"
BODY = "request body"
_USED_RESPONSES = ("completed", "amended")
_USED_OBSERVATIONS = ("final", "amended", "corrected")


class MissingData(HealthKBError):
    """The FHIR data needed to build a profile is not there; `.missing` names it."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class IntakeSource:
    """Where one attribute of a profile built from FHIR data came from."""

    attribute: str
    value: Any
    resource: str
    """`QuestionnaireResponse/<id>` or `Observation/<id>`."""
    via: str
    """The answer's linkId, or the Observation's code (`http://loinc.org|89555-7`)."""
    interpretation: str | None
    """How an Observation is read as the attribute (kb/fhir.yaml); None for an answer."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "value": self.value,
            "resource": self.resource,
            "via": self.via,
            "interpretation": self.interpretation,
        }


@dataclass(frozen=True)
class Intake:
    """The profile built from FHIR data, and where each attribute came from."""

    profile: dict[str, dict[str, Any]]
    sources: list[IntakeSource]


@dataclass(frozen=True)
class _Found:
    value: Any
    when: str
    source: IntakeSource


class _Reader:
    def __init__(
        self, kb_id: str, vocabulary: Vocabulary, mapping: FhirMapping, patient: str
    ) -> None:
        self.kb_id = kb_id
        self.attributes: dict[str, Attribute] = {
            f"{fact}.{name}": spec
            for fact, declared in vocabulary.input.items()
            for name, spec in declared.attributes.items()
        }
        self.facts = set(vocabulary.input)
        self.mapping = mapping
        self.patient = patient
        self.problems: list[Problem] = []

    def problem(self, path: str, code: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(BODY, 0, 0, code, f"`{path}`: {message}", hint))

    def resources(self, bundle: Any, path: str, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(path, resource) for each resource of `kind` in a Bundle (or a lone resource)."""
        if bundle is None:
            return
        if not isinstance(bundle, dict):
            self.problem(path, "invalid-fhir", "expected a FHIR Bundle (a JSON object)")
            return
        if bundle.get("resourceType") == kind:
            yield path, bundle
            return
        if bundle.get("resourceType") != "Bundle":
            self.problem(path, "invalid-fhir", f"expected a Bundle of {kind}s")
            return
        entries = bundle.get("entry", [])
        if not isinstance(entries, list):
            self.problem(f"{path}.entry", "invalid-fhir", "`entry` must be a list")
            return
        for index, entry in enumerate(entries):
            where = f"{path}.entry[{index}].resource"
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                self.problem(where, "invalid-fhir", "each entry needs a `resource` object")
            elif resource.get("resourceType") == kind:
                yield where, resource

    def about_patient(self, path: str, resource: dict[str, Any]) -> bool:
        subject = resource.get("subject")
        if subject is None:
            return True
        reference = subject.get("reference") if isinstance(subject, dict) else None
        if not isinstance(reference, str):
            self.problem(f"{path}.subject", "invalid-fhir", "`subject` must hold a `reference`")
            return False
        if reference.rsplit("/", 2)[-2:] != ["Patient", self.patient]:
            self.problem(
                f"{path}.subject",
                "other-patient",
                f"the resource is about {shown(reference)}, not Patient/{self.patient} "
                "(the hook's `context.patientId`)",
            )
            return False
        return True


def build_intake(
    kb_id: str,
    vocabulary: Vocabulary,
    mapping: FhirMapping,
    prefetch: Any,
    patient: str,
) -> Intake:
    """The profile the prefetched FHIR data gives; ProfileError naming each unusable
    part, MissingData when the data needed is not there."""
    if not isinstance(prefetch, dict):
        prefetch = {}
    missing = [key for key in (QUESTIONNAIRE_KEY, OBSERVATIONS_KEY) if key not in prefetch]
    if len(missing) == 2:
        raise MissingData(
            "the request carries no prefetch `questionnaireResponses` and no prefetch "
            "`observations` (the data this service declares in its discovery document)",
            missing,
        )
    reader = _Reader(kb_id, vocabulary, mapping, patient)
    answers = _answers(reader, prefetch.get(QUESTIONNAIRE_KEY))
    observed = _observations(reader, prefetch.get(OBSERVATIONS_KEY))
    if reader.problems:
        raise ProfileError(reader.problems)
    found = {**observed, **answers}  # an answer wins over an Observation
    if not found:
        codes = ", ".join(f"{m.code.system}|{m.code.code}" for m in mapping.observations)
        raise MissingData(
            f"no completed QuestionnaireResponse answering {questionnaire_url(kb_id)} "
            f"and no final Observation with a mapped code ({codes or 'none mapped'}) in "
            "the prefetch: there is no data about this patient to evaluate",
            [QUESTIONNAIRE_KEY, OBSERVATIONS_KEY],
        )
    profile: dict[str, dict[str, Any]] = {}
    for attribute in sorted(found):
        fact, name = attribute.split(".")
        profile.setdefault(fact, {})[name] = found[attribute].value
    return Intake(profile, [found[a].source for a in sorted(found)])


# --- QuestionnaireResponse -----------------------------------------------------------


def _answers(reader: _Reader, bundle: Any) -> dict[str, _Found]:
    found: dict[str, _Found] = {}
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
        when = str(response.get("authored", ""))
        resource = f"QuestionnaireResponse/{response.get('id', '(no id)')}"
        for item_path, item in _items(reader, response, path):
            link = item["linkId"]
            spec = reader.attributes[link]
            value = _answer_value(reader, item_path, item, link, spec)
            if value is None:
                continue
            previous = found.get(link)
            if previous is None or when >= previous.when:
                source = IntakeSource(link, value, resource, link, None)
                found[link] = _Found(value, when, source)
    return found


def _items(
    reader: _Reader, node: dict[str, Any], path: str
) -> Iterator[tuple[str, dict[str, Any]]]:
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
    reader: _Reader, path: str, item: dict[str, Any], link: str, spec: Attribute
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


def _code(reader: _Reader, path: str, coding: Any, system: str) -> str | None:
    if not isinstance(coding, dict) or not isinstance(coding.get("code"), str):
        reader.problem(path, "invalid-value", "a Coding needs a `code`")
        return None
    if coding.get("system", system) != system:
        reader.problem(path, "invalid-value", f"the code system must be `{system}`")
        return None
    code: str = coding["code"]
    return code


# --- Observation ---------------------------------------------------------------------


def _observations(reader: _Reader, bundle: Any) -> dict[str, _Found]:
    found: dict[str, _Found] = {}
    for path, observation in reader.resources(
        bundle, f"prefetch.{OBSERVATIONS_KEY}", "Observation"
    ):
        mapping = _mapping_of(reader, observation)
        if mapping is None or observation.get("status") not in _USED_OBSERVATIONS:
            continue
        if not reader.about_patient(path, observation):
            continue
        spec = reader.attributes[mapping.attribute]
        value = _observed_value(reader, path, observation, mapping, spec)
        if value is None:
            continue
        when = _effective(observation)
        previous = found.get(mapping.attribute)
        if previous is None or when >= previous.when:
            resource = f"Observation/{observation.get('id', '(no id)')}"
            via = f"{mapping.code.system}|{mapping.code.code}"
            source = IntakeSource(mapping.attribute, value, resource, via, mapping.interpretation)
            found[mapping.attribute] = _Found(value, when, source)
    return found


def _mapping_of(reader: _Reader, observation: dict[str, Any]) -> ObservationMapping | None:
    code = observation.get("code")
    codings = code.get("coding", []) if isinstance(code, dict) else []
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict):
            found = reader.mapping.for_code(str(coding.get("system")), str(coding.get("code")))
            if found is not None:
                return found
    return None


def _observed_value(
    reader: _Reader,
    path: str,
    observation: dict[str, Any],
    mapping: ObservationMapping,
    spec: Attribute,
) -> Any:
    code = f"{mapping.code.system}|{mapping.code.code}"
    if spec.type == "bool":
        value = observation.get("valueBoolean")
        if not isinstance(value, bool):
            reader.problem(path, "invalid-value", f"an Observation {code} needs `valueBoolean`")
            return None
        return value
    if "valueInteger" in observation:
        value = observation["valueInteger"]
        where = f"{path}.valueInteger"
    elif isinstance(observation.get("valueQuantity"), dict):
        quantity = observation["valueQuantity"]
        where = f"{path}.valueQuantity"
        unit = quantity.get("code", quantity.get("unit"))
        if unit != mapping.unit:
            reader.problem(
                where,
                "invalid-unit",
                f"the value is in {shown(unit)}; an Observation {code} must be in `{mapping.unit}`",
                "kb/fhir.yaml names the unit each code's value is read in",
            )
            return None
        value = quantity.get("value")
    else:
        reader.problem(
            path, "invalid-value", f"an Observation {code} needs `valueQuantity` or `valueInteger`"
        )
        return None
    if spec.type == "integer" and isinstance(value, float) and value.is_integer():
        value = int(value)
    error = value_error(spec, value)
    if error:
        reader.problem(where, "invalid-value", f"{error} (`{mapping.attribute}`)")
        return None
    return value


def _effective(observation: dict[str, Any]) -> str:
    """When an Observation holds, as sortable text (ISO dates sort as text)."""
    period = observation.get("effectivePeriod")
    for value in (
        observation.get("effectiveDateTime"),
        observation.get("effectiveInstant"),
        period.get("end") if isinstance(period, dict) else None,
        observation.get("issued"),
    ):
        if isinstance(value, str):
            return value
    return ""
