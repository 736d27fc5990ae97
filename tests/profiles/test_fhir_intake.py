"""FHIR for the KB: kb/fhir.yaml checked like every KB file, the Questionnaire built
from the vocabulary, and FHIR data read into a profile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import healthkb
from healthkb.cli import main
from healthkb.profiles.fhir_intake import MissingData, build_intake
from healthkb.profiles.fhir_units import UnitConverter
from support.fhir_data import (
    DAYS_PER_WEEK,
    MINUTES_PER_DAY,
    bundle,
    observation,
    questionnaire_response,
)

UNITS = UnitConverter()

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
    assert {m.occasion for m in kb.content.fhir.observations} == {"d"}


def test_the_questionnaire_asks_for_every_attribute_with_its_type(
    kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["fhir", "questionnaire"]) == 0
    questionnaire = json.loads(capsys.readouterr().out)
    assert questionnaire["resourceType"] == "Questionnaire"
    assert questionnaire["version"] == kb.version
    questions = {q["linkId"]: q for group in questionnaire["item"] for q in group["item"]}
    vocabulary = kb.content.vocabulary.input
    assert sorted(questions) == sorted(
        f"{f}.{a}" for f, fact in vocabulary.items() for a in fact.attributes
    )
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
        "valueCoding": {"system": "http://unitsofmeasure.org", "code": "min", "display": "minutes"},
    }
    assert questions["running.sessions_per_week"]["text"] == (
        "How many times a week do you run? (0 if you do not run)"
    )
    out = tmp_path / "questionnaire.json"
    assert main(["fhir", "questionnaire", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == questionnaire


def intake(kb: healthkb.KnowledgeBase, prefetch: object) -> healthkb.profiles.fhir_intake.Intake:  # type: ignore[name-defined]
    content = kb.content
    return build_intake(kb.id, content.vocabulary, content.fhir, prefetch, "patient-1", UNITS)


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


def test_out_of_range_values_are_skipped_and_named_in_the_notes(
    kb: healthkb.KnowledgeBase,
) -> None:
    too_long = observation("68516-4", 900, "min/d")
    found = intake(kb, {"observations": bundle(too_long)})
    assert found.profile == {}
    assert [n.to_dict() for n in found.notes] == [
        {
            "resource": f"Observation/{too_long['id']}",
            "message": "not used: 900 is above the maximum 600 (`running.minutes_per_session`)",
        },
        {
            "resource": "prefetch.questionnaireResponses",
            "message": "not sent: the profile is built without it",
        },
    ][::-1]


def test_instants_in_other_time_zones_are_compared_as_instants(
    kb: healthkb.KnowledgeBase,
) -> None:
    # A is newer: 23:00 UTC on the 1st; B is 01:00 at +05:00 on the 2nd, 20:00 UTC on the 1st.
    newer = observation(DAYS_PER_WEEK, 5, "d/wk", when="2026-12-01T23:00:00Z")
    older = observation(DAYS_PER_WEEK, 2, "d/wk", when="2026-12-02T01:00:00+05:00")
    for order in ((newer, older), (older, newer)):
        found = intake(kb, {"observations": bundle(*order), "questionnaireResponses": None})
        assert found.profile == {"running": {"sessions_per_week": 5}}


def test_answers_authored_in_other_time_zones_are_compared_as_instants(
    kb: healthkb.KnowledgeBase,
) -> None:
    newer = questionnaire_response(
        kb, {"running": {"intensity": "high"}}, authored="2026-12-01T23:00:00Z"
    )
    older = questionnaire_response(
        kb, {"running": {"intensity": "low"}}, authored="2026-12-02T01:00:00+05:00"
    )
    found = intake(kb, {"questionnaireResponses": bundle(newer, older)})
    assert found.profile == {"running": {"intensity": "high"}}


@pytest.mark.parametrize(
    ("newer", "older"),
    [
        ("2026-12-01T10:00:00Z", "2026-12-01"),  # a time within the day ranks above the day
        ("2026-12-02", "2026-12-01T23:00:00Z"),  # the next day began after 23:00
        ("2026-12", "2026-11-30T23:59:59Z"),
        ("2026-01-01", "garbled"),  # an unreadable time ranks below every other
    ],
)
def test_partial_dates_rank_by_the_first_instant_they_cover(
    kb: healthkb.KnowledgeBase, newer: str, older: str
) -> None:
    observations = bundle(
        observation(DAYS_PER_WEEK, 5, "d/wk", when=newer),
        observation(DAYS_PER_WEEK, 2, "d/wk", when=older),
    )
    found = intake(kb, {"observations": observations})
    assert found.profile == {"running": {"sessions_per_week": 5}}


def test_an_observation_without_a_value_is_skipped_and_the_others_count(
    kb: healthkb.KnowledgeBase,
) -> None:
    absent = observation(DAYS_PER_WEEK, 0, "d/wk", when="2026-12-05")
    del absent["valueQuantity"]
    absent["dataAbsentReason"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                "code": "asked-declined",
                "display": "Asked But Declined",
            }
        ]
    }
    empty = observation(DAYS_PER_WEEK, 0, "d/wk", when="2026-12-06")
    del empty["valueQuantity"]
    strange = observation(DAYS_PER_WEEK, 3, "kg", when="2026-12-07")
    good = observation(DAYS_PER_WEEK, 4, "d/wk", when="2026-12-01")
    found = intake(
        kb, {"observations": bundle(absent, empty, strange, good), "questionnaireResponses": None}
    )
    assert found.profile == {"running": {"sessions_per_week": 4}}
    assert [(n.resource, n.message) for n in found.notes] == [
        (
            f"Observation/{absent['id']}",
            "not used: no value (data absent: Asked But Declined)",
        ),
        (
            f"Observation/{empty['id']}",
            "not used: an Observation http://loinc.org|89555-7 needs a `valueQuantity` "
            "with a `value`",
        ),
        (
            f"Observation/{strange['id']}",
            "not used: the value is in `kg`, which UCUM cannot convert to `d/wk` (the unit "
            "kb/fhir.yaml reads http://loinc.org|89555-7 in)",
        ),
    ]


@pytest.mark.parametrize(
    ("code", "value", "unit", "attribute", "expected"),
    [
        (DAYS_PER_WEEK, 3, "/wk", "sessions_per_week", 3),
        (DAYS_PER_WEEK, 3, "d/wk", "sessions_per_week", 3),
        (DAYS_PER_WEEK, 1, "/d", "sessions_per_week", 7),
        (MINUTES_PER_DAY, 45, "min", "minutes_per_session", 45),
        (MINUTES_PER_DAY, 1.5, "h", "minutes_per_session", 90),
        (MINUTES_PER_DAY, 40, "min/d", "minutes_per_session", 40),
    ],
)
def test_ucum_units_are_converted_to_the_mapped_unit(
    kb: healthkb.KnowledgeBase, code: str, value: float, unit: str, attribute: str, expected: float
) -> None:
    found = intake(kb, {"observations": bundle(observation(code, value, unit))})
    assert found.profile == {"running": {attribute: expected}}
    (source,) = found.sources
    if unit in ("d/wk", "min/d"):
        assert "converted_from" not in source.to_dict()
    else:
        assert source.to_dict()["converted_from"] == f"{value} {unit}"


def test_operation_outcomes_are_reported_not_silently_skipped(kb: healthkb.KnowledgeBase) -> None:
    warning = {
        "resourceType": "OperationOutcome",
        "id": "search-warning",
        "issue": [{"severity": "warning", "code": "incomplete", "diagnostics": "truncated"}],
    }
    failed = {
        "resourceType": "OperationOutcome",
        "id": "prefetch-failed",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    prefetch = {
        "observations": bundle(observation(DAYS_PER_WEEK, 4, "d/wk"), warning),
        "questionnaireResponses": failed,
    }
    found = intake(kb, prefetch)
    assert found.profile == {"running": {"sessions_per_week": 4}}
    assert [(n.resource, n.message) for n in found.notes] == [
        ("OperationOutcome/prefetch-failed", "`questionnaireResponses` not fetched: error timeout"),
        ("OperationOutcome/search-warning", "warning incomplete: truncated"),
    ]


@pytest.mark.parametrize(
    "prefetch",
    [
        {"questionnaireResponses": None, "observations": None},
        {"questionnaireResponses": bundle(), "observations": bundle()},
        {"observations": bundle()},
    ],
    ids=["null", "empty-bundles", "one-empty-bundle"],
)
def test_no_data_is_an_empty_profile_not_an_error(
    kb: healthkb.KnowledgeBase, prefetch: dict[str, object]
) -> None:
    assert intake(kb, prefetch).profile == {}
