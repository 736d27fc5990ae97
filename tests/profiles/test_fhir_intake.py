"""FHIR for the KB: kb/fhir.yaml checked like every KB file, the Questionnaire built
from the vocabulary, and FHIR data read into a profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import healthkb
from healthkb.cli import main
from healthkb.profiles.fhir_intake import MissingData, build_intake
from support.fhir_data import DAYS_PER_WEEK, bundle, observation, questionnaire_response

GOOD_MAPPING = """\
observations:
  - code: {system: http://loinc.org, code: 89555-7, display: Days per week of activity}
    attribute: walk.sessions
    unit: d/wk
    interpretation: Days of activity are read as walks.
"""


def problems_of(root: Path) -> list[str]:
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    return [str(p) for p in caught.value.problems]


def test_a_mapping_is_part_of_the_kb_and_its_digest(make_kb) -> None:
    without = healthkb.load(make_kb())
    with_mapping = healthkb.load(make_kb({"kb/fhir.yaml": GOOD_MAPPING}, name="mapped"))
    assert with_mapping.content.fhir.observations[0].attribute == "walk.sessions"
    assert without.content.fhir.observations == []
    assert with_mapping.digest != without.digest


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (
            "walk.sessions",
            "walk.sesions",
            "kb/fhir.yaml:3:5: unknown-attribute: unknown attribute `sesions` of `walk` "
            "(did you mean `sessions`?)",
        ),
        (
            "walk.sessions",
            "wlk.sessions",
            "kb/fhir.yaml:3:5: unknown-fact: unknown input fact `wlk` (did you mean `walk`?)",
        ),
        (
            "    unit: d/wk\n",
            "",
            "kb/fhir.yaml:2:5: missing-unit: `walk.sessions` takes a whole number: say which "
            "UCUM unit the value is in (add `unit:` (the attribute's unit is not declared))",
        ),
        (
            "    interpretation: Days of activity are read as walks.\n",
            "",
            "kb/fhir.yaml:2:5: missing-key: ",
        ),
    ],
    ids=["unknown-attribute", "unknown-fact", "missing-unit", "missing-interpretation"],
)
def test_mapping_errors_are_located(make_kb, replace: str, by: str, expected: str) -> None:
    root = make_kb({"kb/fhir.yaml": GOOD_MAPPING.replace(replace, by)})
    found = problems_of(root)
    assert any(problem.startswith(expected) for problem in found), found


def test_a_code_mapped_twice_is_refused(make_kb) -> None:
    entry = GOOD_MAPPING.split("\n", 1)[1]
    found = problems_of(make_kb({"kb/fhir.yaml": GOOD_MAPPING + entry}))
    assert any("duplicate-code: `http://loinc.org|89555-7` is mapped twice" in p for p in found)


def test_the_bundled_mapping_uses_the_exercise_vital_sign(kb: healthkb.KnowledgeBase) -> None:
    mapped = {(m.code.code, m.attribute, m.unit) for m in kb.content.fhir.observations}
    assert mapped == {
        ("89555-7", "running.sessions_per_week", "d/wk"),
        ("68516-4", "running.minutes_per_session", "min/d"),
    }


def test_the_questionnaire_asks_for_every_attribute_with_its_type(
    kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["fhir", "questionnaire"]) == 0
    questionnaire = json.loads(capsys.readouterr().out)
    assert questionnaire["resourceType"] == "Questionnaire"
    assert questionnaire["version"] == kb.version
    questions = {q["linkId"]: q for group in questionnaire["item"] for q in group["item"]}
    vocabulary = kb.content.vocabulary.input
    assert list(questions) == [
        f"{f}.{a}" for f, fact in vocabulary.items() for a in fact.attributes
    ]
    assert questions["running.intensity"]["type"] == "choice"
    assert [o["valueCoding"]["code"] for o in questions["running.intensity"]["answerOption"]] == [
        "low",
        "moderate",
        "high",
    ]
    assert questions["goals.target_areas"]["repeats"] is True
    assert questions["running.sessions_per_week"]["type"] == "integer"
    assert questions["running.minutes_per_session"]["type"] == "decimal"
    assert questions["diet.low_calorie"]["type"] == "boolean"
    assert questions["running.minutes_per_session"]["extension"][-1] == {
        "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
        "valueCoding": {"display": "minutes"},
    }
    assert (
        questions["running.sessions_per_week"]["text"] == "How many times a week the person runs."
    )
    out = tmp_path / "questionnaire.json"
    assert main(["fhir", "questionnaire", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == questionnaire


def intake(kb: healthkb.KnowledgeBase, prefetch: object) -> healthkb.profiles.fhir_intake.Intake:  # type: ignore[name-defined]
    content = kb.content
    return build_intake(kb.id, content.vocabulary, content.fhir, prefetch, "patient-1")


def test_the_newest_observation_wins(kb: healthkb.KnowledgeBase) -> None:
    observations = bundle(
        observation(DAYS_PER_WEEK, 2, "d/wk", when="2026-10-01"),
        observation(DAYS_PER_WEEK, 5, "d/wk", when="2026-11-01"),
        observation(DAYS_PER_WEEK, 3, "d/wk", when="2026-09-01"),
    )
    assert intake(kb, {"observations": observations}).profile == {
        "running": {"sessions_per_week": 5}
    }


def test_a_later_response_wins_and_in_progress_ones_do_not_count(
    kb: healthkb.KnowledgeBase,
) -> None:
    older = questionnaire_response(kb, {"running": {"intensity": "low"}}, authored="2026-01-01")
    newer = questionnaire_response(kb, {"running": {"intensity": "high"}}, authored="2026-02-01")
    draft = questionnaire_response(
        kb, {"running": {"intensity": "moderate"}}, authored="2026-03-01"
    )
    draft["status"] = "in-progress"
    found = intake(kb, {"questionnaireResponses": bundle(newer, draft, older)})
    assert found.profile == {"running": {"intensity": "high"}}


def test_no_prefetch_at_all_names_both_keys(kb: healthkb.KnowledgeBase) -> None:
    with pytest.raises(MissingData) as caught:
        intake(kb, None)
    assert caught.value.missing == ["questionnaireResponses", "observations"]


def test_out_of_range_values_name_the_resource(kb: healthkb.KnowledgeBase) -> None:
    observations = bundle(observation("68516-4", 900, "min/d"))
    with pytest.raises(healthkb.ProfileError) as caught:
        intake(kb, {"observations": observations})
    (problem,) = caught.value.problems
    assert problem.message == (
        "`prefetch.observations.entry[0].resource.valueQuantity`: 900 is above the maximum "
        "600 (`running.minutes_per_session`)"
    )
