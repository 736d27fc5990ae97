"""The KB's fact vocabulary as a FHIR R4 Questionnaire: data in, a JSON-ready dict out.

One group per input fact (`linkId` the fact's name, its description as text), holding
one question per attribute, `linkId` the dotted attribute path
(`running.sessions_per_week`) so that a `QuestionnaireResponse` names each answer by
the attribute it gives. Types follow the vocabulary: an enumeration is a `choice` with
an `answerOption` per allowed value, a list is a `choice` that `repeats`, an integer is
`integer`, a number `decimal`, a bool `boolean`. Units and ranges travel in the
standard extensions (`questionnaire-unit`, `minValue`, `maxValue`). Nothing is
required: a profile may leave out anything, and where an answer is missing the KB
concludes nothing from it.
"""

from __future__ import annotations

import json
from typing import Any

from ..content.fhir_mapping import answer_system, questionnaire_url
from ..content.loading.kb_content import KBContent
from ..content.model import Attribute

ITEM_TYPES = {
    "bool": "boolean",
    "integer": "integer",
    "number": "decimal",
    "enum": "choice",
    "list": "choice",
}
UNIT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
MIN_EXTENSION = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_EXTENSION = "http://hl7.org/fhir/StructureDefinition/maxValue"


def questionnaire(content: KBContent) -> dict[str, Any]:
    """The Questionnaire resource asking for every input attribute of the KB."""
    manifest = content.manifest
    return {
        "resourceType": "Questionnaire",
        "id": manifest.id,
        "url": questionnaire_url(manifest.id),
        "version": manifest.version,
        "name": _name(manifest.id),
        "title": manifest.title,
        "status": "active",
        "date": manifest.released.isoformat(),
        "description": " ".join((manifest.description or manifest.title).split()),
        "subjectType": ["Patient"],
        "item": [
            {
                "linkId": fact_name,
                "text": fact.description,
                "type": "group",
                "item": [
                    _question(manifest.id, f"{fact_name}.{name}", spec)
                    for name, spec in fact.attributes.items()
                ],
            }
            for fact_name, fact in content.vocabulary.input.items()
        ],
    }


def _name(kb_id: str) -> str:
    """A computable name (FHIR wants `[A-Z]([A-Za-z0-9_]){0,254}`)."""
    words = "".join(c if c.isalnum() else " " for c in kb_id).split()
    return ("Healthkb" + "".join(w.capitalize() for w in words))[:255]


def _question(kb_id: str, link_id: str, spec: Attribute) -> dict[str, Any]:
    item: dict[str, Any] = {
        "linkId": link_id,
        "text": spec.description,
        "type": ITEM_TYPES[spec.type],
    }
    extensions: list[dict[str, Any]] = []
    if spec.type in ("integer", "number"):
        value_key = "valueInteger" if spec.type == "integer" else "valueDecimal"
        if spec.min is not None:
            extensions.append({"url": MIN_EXTENSION, value_key: spec.min})
        if spec.max is not None:
            extensions.append({"url": MAX_EXTENSION, value_key: spec.max})
        if spec.unit:
            coding = {"display": spec.unit}  # free text in the vocabulary, not UCUM
            extensions.append({"url": UNIT_EXTENSION, "valueCoding": coding})
    if extensions:
        item["extension"] = extensions
    if spec.type in ("enum", "list"):
        system = answer_system(kb_id, link_id)
        item["answerOption"] = [
            {"valueCoding": {"system": system, "code": value, "display": value.replace("_", " ")}}
            for value in spec.values or []
        ]
    if spec.type == "list":
        item["repeats"] = True
    return item


def questionnaire_json(content: KBContent) -> str:
    """The Questionnaire as JSON text (deterministic)."""
    return json.dumps(questionnaire(content), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
