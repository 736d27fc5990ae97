"""The intake Questionnaire as a clinic would use it: questions in the KB's words,
required where the KB needs the answer, asked only when they apply, coded units and
LOINC codes; a valid FHIR R4 Questionnaire (checked with fhir.resources)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from ucumvert import PintUcumRegistry

import healthkb
from healthkb.render.questionnaire import questionnaire

# FHIR R4's value set for Questionnaire.item.type and enableWhen.operator
# (fhir.resources checks the structure, not these codes).
ITEM_TYPES = {
    "group",
    "display",
    "boolean",
    "decimal",
    "integer",
    "date",
    "dateTime",
    "time",
    "string",
    "text",
    "url",
    "choice",
    "open-choice",
    "attachment",
    "reference",
    "quantity",
}
OPERATORS = {"exists", "=", "!=", ">", "<", ">=", "<="}


def questions_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["linkId"]: q for group in document["item"] for q in group["item"]}


def test_the_questionnaire_is_a_valid_fhir_r4_questionnaire(kb: healthkb.KnowledgeBase) -> None:
    document = questionnaire(kb.content)
    Questionnaire.model_validate(document)
    seen: list[str] = []
    for group in document["item"]:
        seen.append(group["linkId"])
        for item in group["item"]:
            assert item["type"] in ITEM_TYPES
            for condition in item.get("enableWhen", []):
                assert condition["operator"] in OPERATORS
                # Asked after the answer it depends on.
                assert condition["question"] in seen, item["linkId"]
            seen.append(item["linkId"])


def test_items_ask_questions_in_the_kbs_words(kb: healthkb.KnowledgeBase) -> None:
    questions = questions_of(questionnaire(kb.content))
    assert questions["diet.limits_high_fat_high_sugar"]["text"] == (
        "Do you limit high-fat and high-sugar foods?"
    )
    vocabulary = kb.content.vocabulary.input
    for link_id, item in questions.items():
        fact, attribute = link_id.split(".")
        assert item["text"] == vocabulary[fact].attributes[attribute].question
        assert item["text"].endswith("?") or "?" in item["text"]


def test_items_the_rules_test_are_required(kb: healthkb.KnowledgeBase) -> None:
    questions = questions_of(questionnaire(kb.content))
    assert questions["running.sessions_per_week"]["required"] is True
    assert questions["diet.low_calorie"]["required"] is True


def test_running_details_are_asked_only_of_a_person_who_runs(kb: healthkb.KnowledgeBase) -> None:
    document = questionnaire(kb.content)
    running = [item["linkId"] for item in document["item"][0]["item"]]
    assert running[0] == "running.sessions_per_week"
    questions = questions_of(document)
    runs = {"question": "running.sessions_per_week", "operator": ">", "answerInteger": 0}
    assert questions["running.intensity"]["enableWhen"] == [runs]
    assert questions["running.minutes_per_session"]["enableWhen"] == [runs]
    assert "enableWhen" not in questions["running.sessions_per_week"]


def test_units_are_ucum_coded_and_mapped_items_carry_their_loinc_code(
    kb: healthkb.KnowledgeBase,
) -> None:
    questions = questions_of(questionnaire(kb.content))
    minutes = questions["running.minutes_per_session"]
    assert minutes["extension"][-1] == {
        "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
        "valueCoding": {"system": "http://unitsofmeasure.org", "code": "min", "display": "minutes"},
    }
    registry = PintUcumRegistry()
    for item in questions.values():
        for extension in item.get("extension", []):
            if extension["url"].endswith("questionnaire-unit"):
                registry.from_ucum(extension["valueCoding"]["code"])  # a UCUM code
    assert [c["code"] for c in questions["running.sessions_per_week"]["code"]] == ["89555-7"]
    assert [c["code"] for c in minutes["code"]] == ["68516-4"]
    assert all(c["system"] == "http://loinc.org" for c in minutes["code"])
    assert "code" not in questions["diet.low_calorie"]


@pytest.mark.parametrize(
    ("asked_when", "message"),
    [
        ("{attribute: sesions, operator: '>', value: 0}", "`sesions`, which is not another"),
        ("{attribute: tired, operator: '>', value: 0}", "`>` compares numbers"),
        ("{attribute: sessions, operator: '=', value: many}", "a value it cannot take"),
    ],
    # The second asks the walks (an integer) only when `tired` (a bool) is above 0.
    ids=["unknown-attribute", "operator-for-numbers", "value-of-another-type"],
)
def test_a_wrong_asked_when_is_a_located_problem(
    make_kb: Any, asked_when: str, message: str
) -> None:
    root: Path = make_kb()
    facts = root / "kb" / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    asked = "Walks per week." if "tired" in asked_when else "Feels tired."
    facts.write_text(
        text.replace(
            f"        description: {asked}\n",
            f"        description: {asked}\n        asked_when: {asked_when}\n",
        ),
        encoding="utf-8",
    )
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith("kb/facts.yaml:") and message in p for p in found), found


def test_a_question_asked_when_another_answer_allows_it(make_kb: Any) -> None:
    root: Path = make_kb()
    facts = root / "kb" / "facts.yaml"
    text = facts.read_text(encoding="utf-8").replace(
        "        description: Feels tired.\n",
        "        description: Feels tired.\n"
        "        question: Do you feel tired after walking?\n"
        "        asked_when: {attribute: sessions, operator: '>=', value: 1}\n",
    )
    facts.write_text(text, encoding="utf-8")
    document = questionnaire(healthkb.load(root).content)
    Questionnaire.model_validate(document)
    tired = questions_of(document)["walk.tired"]
    assert tired["text"] == "Do you feel tired after walking?"
    assert tired["enableWhen"] == [
        {"question": "walk.sessions", "operator": ">=", "answerInteger": 1}
    ]
