"""The KB's fact vocabulary as a FHIR R4 Questionnaire: data in, a JSON-ready dict out.

One group per input fact (`linkId` the fact's name, its description as text), holding
one question per attribute, `linkId` the dotted attribute path
(`running.sessions_per_week`) so that a `QuestionnaireResponse` names each answer by
the attribute it gives. Types follow the vocabulary: an enumeration is a `choice` with
an `answerOption` per allowed value, a list is a `choice` that `repeats`, an integer is
`integer`, a number `decimal`, a bool `boolean`.

A clinic puts it in front of a person, so each item asks the attribute's `question`
(kb/facts.yaml; its description when there is none); an item is `required` when an
active rule tests its attribute (the KB needs the answer), `enableWhen` follows the
attribute's `asked_when` (running details only for a person who runs; such an item
comes after the one it depends on), units are UCUM-coded (`questionnaire-unit`, from
the attribute's `ucum`), ranges travel in `minValue`/`maxValue`, and an item whose
attribute kb/fhir.yaml maps from an Observation carries that Observation's code
(LOINC) in `code`.

A KB in several languages asks in one (`language`) and carries the others as FHIR's
`translation` extension on every text it translates (the title, description, each
item's text, each answer's display), as `_text: {extension: [{url: …/translation,
extension: [{url: lang, valueCode: zh-Hans}, {url: content, valueString: …}]}]}`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..content.fhir_mapping import FhirMapping, answer_system, questionnaire_url
from ..content.languages.translated import value_label
from ..content.loading.kb_content import KBContent
from ..content.logic import comparisons
from ..content.model import AskedWhen, Attribute, FactType

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
TRANSLATION_EXTENSION = "http://hl7.org/fhir/StructureDefinition/translation"
_TRANSLATED = ("title", "description", "text", "display")
UCUM = "http://unitsofmeasure.org"
ANSWER_KEYS = {
    "bool": "answerBoolean",
    "integer": "answerInteger",
    "number": "answerDecimal",
    "enum": "answerCoding",
    "list": "answerCoding",
}


def questionnaire(content: KBContent) -> dict[str, Any]:
    """The Questionnaire resource asking for every input attribute of the KB."""
    manifest = content.manifest
    needed = _needed(content)
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
                    _question(content, fact_name, name, spec, needed)
                    for name, spec in _asking_order(fact)
                ],
            }
            for fact_name, fact in content.vocabulary.input.items()
        ],
    }


def _needed(content: KBContent) -> set[str]:
    """The input attributes an active rule tests (`fact.attribute`)."""
    return {c.fact for rule in content.active_rules() for c in comparisons(rule.when)}


def _asking_order(fact: FactType) -> list[tuple[str, Attribute]]:
    """The attributes in vocabulary order, except that a question asked only after
    another's answer comes right after that one."""
    ordered: list[tuple[str, Attribute]] = []
    waiting = dict(fact.attributes)

    def place(name: str) -> None:
        ordered.append((name, waiting.pop(name)))
        for other in [n for n, s in waiting.items() if _after(s) == name]:
            place(other)

    for name, spec in fact.attributes.items():
        if name in waiting and (_after(spec) is None or _after(spec) not in waiting):
            place(name)
    ordered += list(waiting.items())  # a cycle of asked_when: vocabulary order
    return ordered


def _after(spec: Attribute) -> str | None:
    return spec.asked_when.attribute if spec.asked_when is not None else None


def _name(kb_id: str) -> str:
    """A computable name (FHIR wants `[A-Z]([A-Za-z0-9_]){0,254}`)."""
    words = "".join(c if c.isalnum() else " " for c in kb_id).split()
    return ("Healthkb" + "".join(w.capitalize() for w in words))[:255]


def _question(
    content: KBContent, fact_name: str, name: str, spec: Attribute, needed: set[str]
) -> dict[str, Any]:
    kb_id, link_id = content.manifest.id, f"{fact_name}.{name}"
    item: dict[str, Any] = {
        "linkId": link_id,
        "text": spec.question or spec.description,
        "type": ITEM_TYPES[spec.type],
    }
    codes = _codes(content.fhir, link_id)
    if codes:
        item["code"] = codes
    if link_id in needed:
        item["required"] = True
    if spec.asked_when is not None:
        depends = content.vocabulary.input[fact_name].attributes[spec.asked_when.attribute]
        item["enableWhen"] = [_enable_when(kb_id, fact_name, spec.asked_when, depends)]
    extensions: list[dict[str, Any]] = []
    if spec.type in ("integer", "number"):
        value_key = "valueInteger" if spec.type == "integer" else "valueDecimal"
        if spec.min is not None:
            extensions.append({"url": MIN_EXTENSION, value_key: spec.min})
        if spec.max is not None:
            extensions.append({"url": MAX_EXTENSION, value_key: spec.max})
        if spec.unit or spec.ucum:
            coding = {"system": UCUM, "code": spec.ucum} if spec.ucum else {}
            if spec.unit:
                coding["display"] = spec.unit
            extensions.append({"url": UNIT_EXTENSION, "valueCoding": coding})
    if extensions:
        item["extension"] = extensions
    if spec.type in ("enum", "list"):
        system = answer_system(kb_id, link_id)
        item["answerOption"] = [
            {
                "valueCoding": {
                    "system": system,
                    "code": value,
                    "display": _label(content, link_id, value),
                }
            }
            for value in spec.values or []
        ]
    if spec.type == "list":
        item["repeats"] = True
    return item


def _codes(mapping: FhirMapping, link_id: str) -> list[dict[str, str]]:
    """The codes of the Observations that give the attribute (LOINC), as item codes."""
    return [
        {"system": m.code.system, "code": m.code.code, "display": " ".join(m.code.display.split())}
        for m in mapping.observations
        if m.attribute == link_id
    ]


def _enable_when(
    kb_id: str, fact_name: str, asked: AskedWhen, depends: Attribute
) -> dict[str, Any]:
    question = f"{fact_name}.{asked.attribute}"
    answer: Any = asked.value
    if depends.type in ("enum", "list"):
        answer = {"system": answer_system(kb_id, question), "code": asked.value}
    return {"question": question, "operator": asked.operator, ANSWER_KEYS[depends.type]: answer}


def _label(content: KBContent, link_id: str, value: str) -> str:
    fact, attribute = link_id.split(".", 1)
    return value_label(content, fact, attribute, value) or value.replace("_", " ")


def translated_questionnaire(
    content: KBContent, translations: Mapping[str, KBContent]
) -> dict[str, Any]:
    """The Questionnaire in the language `content` is worded in, carrying each of
    `translations` (the same KB worded in another language, by its tag) as FHIR
    `translation` extensions; a KB that declares no languages gets the plain one."""
    resource = questionnaire(content)
    if content.manifest.languages is None:
        return resource
    resource["language"] = content.language or content.default_language
    for tag, other in sorted(translations.items()):
        _add_translations(resource, questionnaire(other), tag)
    return resource


def _add_translations(here: Any, there: Any, tag: str) -> None:
    """Each text of `here` that `there` words differently, with `there`'s wording as a
    translation into `tag` (the two have the same shape: the same KB's vocabulary)."""
    if isinstance(here, list):
        for mine, theirs in zip(here, there, strict=True):
            _add_translations(mine, theirs, tag)
        return
    if not isinstance(here, dict):
        return
    for key in list(here):
        if key in _TRANSLATED and isinstance(here[key], str) and here[key] != there[key]:
            extensions = here.setdefault(f"_{key}", {"extension": []})["extension"]
            extensions.append(
                {
                    "url": TRANSLATION_EXTENSION,
                    "extension": [
                        {"url": "lang", "valueCode": tag},
                        {"url": "content", "valueString": there[key]},
                    ],
                }
            )
        elif isinstance(here[key], dict | list) and not key.startswith("_"):
            _add_translations(here[key], there[key], tag)


def questionnaire_json(
    content: KBContent, translations: Mapping[str, KBContent] | None = None
) -> str:
    """The Questionnaire as JSON text (deterministic), with `translations` if given."""
    resource = translated_questionnaire(content, translations or {})
    return json.dumps(resource, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
