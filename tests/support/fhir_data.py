"""FHIR resources as a health record would send them, for the CDS Hooks tests."""

from __future__ import annotations

import uuid
from typing import Any

import healthkb
from healthkb.content.fhir_mapping import answer_system, questionnaire_url

LOINC = "http://loinc.org"
DAYS_PER_WEEK = "89555-7"
MINUTES_PER_DAY = "68516-4"
PATIENT = "patient-1"


def answer(kb: healthkb.KnowledgeBase, link_id: str, value: Any) -> dict[str, Any]:
    """An item answering the attribute `link_id` with `value` (a list: several answers)."""
    fact, attribute = link_id.split(".")
    spec = kb.content.vocabulary.input[fact].attributes[attribute]
    values = value if isinstance(value, list) else [value]
    if spec.type in ("enum", "list"):
        system = answer_system(kb.id, link_id)
        answers = [{"valueCoding": {"system": system, "code": v}} for v in values]
    else:
        key = {"bool": "valueBoolean", "integer": "valueInteger", "number": "valueDecimal"}
        answers = [{key[spec.type]: v} for v in values]
    return {"linkId": link_id, "answer": answers}


def questionnaire_response(
    kb: healthkb.KnowledgeBase,
    profile: dict[str, dict[str, Any]],
    *,
    grouped: bool = True,
    authored: str = "2026-11-30T10:00:00Z",
    patient: str = PATIENT,
) -> dict[str, Any]:
    """A completed QuestionnaireResponse answering the KB's Questionnaire with `profile`."""
    if grouped:
        items = [
            {
                "linkId": fact,
                "item": [answer(kb, f"{fact}.{name}", v) for name, v in values.items()],
            }
            for fact, values in profile.items()
        ]
    else:
        items = [
            answer(kb, f"{fact}.{name}", v)
            for fact, values in profile.items()
            for name, v in values.items()
        ]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"qr-{uuid.uuid4().hex[:8]}",
        "questionnaire": f"{questionnaire_url(kb.id)}|{kb.version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient}"},
        "authored": authored,
        "item": items,
    }


def observation(
    code: str,
    value: float,
    unit: str,
    *,
    when: str = "2026-11-29",
    status: str = "final",
    patient: str = PATIENT,
) -> dict[str, Any]:
    """An Exercise Vital Sign Observation, as the Physical Activity IG's examples."""
    return {
        "resourceType": "Observation",
        "id": f"obs-{uuid.uuid4().hex[:8]}",
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def hook_request(
    prefetch: dict[str, Any] | None, *, hook: str = "patient-view", patient: str = PATIENT
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient},
    }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return request
