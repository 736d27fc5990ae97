"""The seed article's guidance, branch by branch, with its boundaries and silences."""

from __future__ import annotations

import pytest

import healthkb
from conftest import SOURCE_ID

CONTROLLED_DIET = {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True}
UNCONTROLLED_DIET = {"frequent_high_calorie_foods": True}
FAT_GOAL = {"target_areas": ["thighs"]}
OUTCOMES = {"thigh_buttock_fat_may_decrease", "thigh_buttock_fat_may_not_decrease"}


def running(intensity: str, sessions: int, minutes: float) -> dict:
    return {"intensity": intensity, "sessions_per_week": sessions, "minutes_per_session": minutes}


def outcomes(kb: healthkb.KnowledgeBase, profile: dict) -> set[str]:
    return set(kb.evaluate(profile).conclusion_ids) & OUTCOMES


@pytest.mark.parametrize("intensity", ["moderate", "high"])
@pytest.mark.parametrize("sessions", [3, 4, 5])
def test_moderate_to_high_intensity_3_to_5_times_with_controlled_diet_may_reduce_fat(
    kb, intensity, sessions
) -> None:
    profile = {"running": running(intensity, sessions, 31), "diet": CONTROLLED_DIET}
    assert outcomes(kb, profile) == {"thigh_buttock_fat_may_decrease"}


@pytest.mark.parametrize(
    "changed",
    [
        {"intensity": "low"},
        {"sessions_per_week": 2},
        {"sessions_per_week": 6},
        {"minutes_per_session": 30},  # "more than 30 minutes": exactly 30 is not enough
        {"minutes_per_session": 29.9},
    ],
)
def test_each_running_condition_is_needed_for_the_decrease(kb, changed) -> None:
    profile = {"running": {**running("high", 4, 45), **changed}, "diet": CONTROLLED_DIET}
    assert "thigh_buttock_fat_may_decrease" not in outcomes(kb, profile)


def test_thirty_minutes_and_a_bit_is_more_than_thirty(kb) -> None:
    profile = {"running": running("moderate", 3, 30.01), "diet": CONTROLLED_DIET}
    assert outcomes(kb, profile) == {"thigh_buttock_fat_may_decrease"}


@pytest.mark.parametrize("missing", ["low_calorie", "nutrient_rich", "limits_high_fat_high_sugar"])
def test_each_diet_quality_is_needed_for_the_decrease(kb, missing) -> None:
    diet = {**CONTROLLED_DIET, missing: False}
    assert outcomes(kb, {"running": running("high", 4, 45), "diet": diet}) == set()


def test_frequent_high_calorie_foods_are_never_a_controlled_diet(kb) -> None:
    diet = {**CONTROLLED_DIET, "frequent_high_calorie_foods": True}
    assert outcomes(kb, {"running": running("high", 4, 45), "diet": diet}) == set()


@pytest.mark.parametrize("minutes", [0, 10, 15, 19.9])
@pytest.mark.parametrize("sessions", [0, 1, 2])
def test_low_short_infrequent_running_with_uncontrolled_diet_may_not_reduce_fat(
    kb, minutes, sessions
) -> None:
    profile = {"running": running("low", sessions, minutes), "diet": UNCONTROLLED_DIET}
    assert outcomes(kb, profile) == {"thigh_buttock_fat_may_not_decrease"}


def test_uncontrolled_diet_also_means_neither_low_calorie_nor_limiting(kb) -> None:
    diet = {"low_calorie": False, "limits_high_fat_high_sugar": False}
    assert outcomes(kb, {"running": running("low", 1, 15), "diet": diet}) == {
        "thigh_buttock_fat_may_not_decrease"
    }


@pytest.mark.parametrize(
    "profile",
    [
        # Adequate running, uncontrolled diet: the article does not say.
        {"running": running("high", 4, 45), "diet": UNCONTROLLED_DIET},
        # Insufficient running, controlled diet: the article does not say.
        {"running": running("low", 1, 15), "diet": CONTROLLED_DIET},
        # Between the two descriptions (20 minutes is not "十几 minutes").
        {"running": running("low", 2, 20), "diet": UNCONTROLLED_DIET},
        # Nothing about diet at all.
        {"running": running("high", 4, 45)},
        {"diet": CONTROLLED_DIET},
        {},
    ],
)
def test_where_the_article_is_silent_no_outcome_is_concluded(kb, profile) -> None:
    assert outcomes(kb, profile) == set()


def test_empty_profile_concludes_nothing(kb) -> None:
    assert kb.evaluate({}).conclusions == []


def test_running_for_fat_loss_brings_the_articles_advice(kb) -> None:
    result = kb.evaluate({"running": {"sessions_per_week": 1}, "goals": FAT_GOAL})
    assert result.conclusion_ids == [
        "be_patient_and_consistent",
        "warm_up_and_stretch",
        "wear_appropriate_running_shoes",
        "fat_loss_is_whole_body",
    ]


def test_running_without_a_fat_loss_goal_gets_no_fat_loss_advice(kb) -> None:
    assert kb.evaluate({"running": running("high", 4, 45)}).conclusions == []


def test_whole_body_target_alone_is_not_spot_reduction(kb) -> None:
    result = kb.evaluate({"goals": {"target_areas": ["whole_body"]}})
    assert "fat_loss_is_whole_body" not in result.conclusion_ids


def test_weight_management_concern_suggests_a_professional(kb) -> None:
    result = kb.evaluate({"goals": {"weight_management_concern": True}})
    assert result.conclusion_ids == ["consult_professional"]
    assert kb.evaluate({"goals": {"weight_management_concern": False}}).conclusions == []


def test_physical_discomfort_is_a_warning_listed_first(kb) -> None:
    result = kb.evaluate(
        {"symptoms": {"physical_discomfort": True}, "goals": {"weight_management_concern": True}}
    )
    assert result.conclusion_ids == ["stop_and_rest", "consult_professional"]
    warning = result.conclusions[0]
    assert warning.kind == "warning"
    assert warning.citations[0].quote == (
        "If you experience any physical discomfort, stop exercising immediately and rest."
    )
    assert kb.evaluate({"symptoms": {"physical_discomfort": False}}).conclusions == []


def test_outcomes_are_never_stated_more_strongly_than_may_or_could(kb) -> None:
    for conclusion in kb.content.conclusions.values():
        if conclusion.kind == "outcome":
            assert conclusion.certainty == "possible"
            assert " may " in f" {conclusion.statement} "


def test_every_conclusion_has_a_citation_with_a_verbatim_quote(kb) -> None:
    text = kb.content.sources[SOURCE_ID].text
    profile = {
        "running": running("high", 4, 45),
        "diet": CONTROLLED_DIET,
        "goals": {"target_areas": ["thighs"], "weight_management_concern": True},
        "symptoms": {"physical_discomfort": True},
    }
    result = kb.evaluate(profile)
    assert len(result.conclusions) == 7
    for conclusion in result.conclusions:
        assert conclusion.citations
        for citation in conclusion.citations:
            assert text[citation.start : citation.end] == citation.quote


def test_vague_wording_carries_its_interpretation(kb) -> None:
    interpretations = {
        c.quote: c.interpretation
        for rule in kb.content.rules.values()
        for c in rule.because
        if c.interpretation
    }
    vague = [q for q in interpretations if "十几" in q or "infrequently" in q]
    assert vague and "under 20 minutes" in interpretations[vague[0]]
