"""Hypothesis strategies for the seed KB's profiles, and the engine's answer in the
reference evaluator's terms: shared by the differential and robustness tests."""

from __future__ import annotations

import json

from hypothesis import strategies as st

import healthkb
from healthkb.content import reference_evaluator as reference

_maybe = st.none() | st.booleans()


@st.composite
def profiles(draw: st.DrawFn) -> dict:
    profile: dict = {}
    if draw(st.booleans()):
        running = {
            "intensity": draw(st.none() | st.sampled_from(["low", "moderate", "high"])),
            "sessions_per_week": draw(st.none() | st.integers(0, 14)),
            "minutes_per_session": draw(
                st.none()
                | st.sampled_from([0, 10, 19, 19.5, 20, 29.9, 30, 30.0, 30.01, 31, 45, 600])
                | st.floats(0, 600, allow_nan=False)
            ),
        }
        profile["running"] = {k: v for k, v in running.items() if v is not None}
    if draw(st.booleans()):
        diet = {
            k: draw(_maybe)
            for k in (
                "low_calorie",
                "nutrient_rich",
                "limits_high_fat_high_sugar",
                "frequent_high_calorie_foods",
            )
        }
        profile["diet"] = {k: v for k, v in diet.items() if v is not None}
    if draw(st.booleans()):
        goals = {
            "target_areas": draw(
                st.none()
                | st.lists(
                    st.sampled_from(["thighs", "buttocks", "abdomen", "arms", "whole_body"]),
                    unique=True,
                )
            ),
            "weight_management_concern": draw(_maybe),
        }
        profile["goals"] = {k: v for k, v in goals.items() if v is not None}
    if draw(st.booleans()):
        discomfort = draw(_maybe)
        profile["symptoms"] = {} if discomfort is None else {"physical_discomfort": discomfort}
    return profile


def engine_view(result: healthkb.Result) -> reference.ReferenceResult:
    return reference.ReferenceResult(
        conclusions=frozenset(result.conclusion_ids),
        derived=frozenset(
            f"{d.fact}:{json.dumps(d.values, sort_keys=True)}" for d in result.derived
        ),
        fired=frozenset(f.rule_id for f in result.fired),
    )
