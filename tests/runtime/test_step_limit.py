"""The step limit stops an evaluation with a clear error that counts the firings right."""

from __future__ import annotations

import pytest

import healthkb

MEETS = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
}


def test_chain_longer_than_the_step_limit_is_stopped() -> None:
    kb = healthkb.load(max_steps=2)
    with pytest.raises(healthkb.EvaluationError) as caught:
        kb.evaluate(MEETS)
    assert str(caught.value) == (
        "evaluation stopped: more than 2 rule firings (a runaway chain?); most recent rules: "
        "running_load_adequate, diet_controlled, calorie_deficit"
    )


def test_chain_within_the_step_limit_runs(kb: healthkb.KnowledgeBase) -> None:
    fired = len(kb.evaluate(MEETS).fired)
    assert healthkb.load(max_steps=fired).evaluate(MEETS).conclusion_ids == (
        kb.evaluate(MEETS).conclusion_ids
    )
