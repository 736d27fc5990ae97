"""A result's firings, derived facts, sources and other derivations are built when first
read (results/deferred.py); whatever reads them first, the result is the same."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from tests.benchmarks.generated_kb import group_profile, write_generated_kb

import healthkb
from healthkb.results.result import Result

FIRST_READS: dict[str, Callable[[Result], Any]] = {
    "fired": lambda r: r.fired,
    "derived": lambda r: r.derived,
    "sources": lambda r: r.sources,
    "also_reached_by": lambda r: [c.also_reached_by for c in r.conclusions],
    "model_dump": lambda r: r.model_dump(),
    "model_dump_json": lambda r: r.model_dump_json(),
    "conclusion model_dump": lambda r: [c.model_dump() for c in r.conclusions],
    "equality": lambda r: r == r.model_copy(),
    "pickle": lambda r: pickle.loads(pickle.dumps(r)),
    "conclusion pickle": lambda r: [pickle.loads(pickle.dumps(c)) for c in r.conclusions],
    "deepcopy": copy.deepcopy,
    "copy": copy.copy,
    "model_copy with update": lambda r: r.model_copy(update={"kb_version": "9.9.9"}),
    "repr": repr,
    "dict": dict,
    "explain": lambda r: [r.explain(c.id).to_dict() for c in r.conclusions],
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> healthkb.KnowledgeBase:
    # Each synthetic conclusion is reached by 25 rules: 24 other derivations each.
    return healthkb.load(write_generated_kb(tmp_path_factory.mktemp("kb") / "kb", 215))


PROFILE = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    **group_profile(0, 30),
    **group_profile(3, 7),
}


def test_evaluate_leaves_firings_derived_facts_and_sources_unbuilt(
    generated: healthkb.KnowledgeBase,
) -> None:
    result = generated.evaluate(PROFILE)
    assert {"fired", "derived", "sources"}.isdisjoint(result.__dict__)
    assert all("also_reached_by" not in c.__dict__ for c in result.conclusions)
    assert len(result.fired) > 30  # read: built now, and kept
    assert {"fired", "derived", "sources"} <= result.__dict__.keys()


@pytest.mark.parametrize("first", sorted(FIRST_READS))
def test_whatever_reads_a_result_first_it_is_the_same_result(
    generated: healthkb.KnowledgeBase, first: str
) -> None:
    expected = generated.evaluate(PROFILE).model_dump_json()
    assert '"also_reached_by"' in expected
    assert Result.model_validate_json(expected).model_dump_json() == expected  # field order
    result = generated.evaluate(PROFILE)
    FIRST_READS[first](result)
    assert result.model_dump_json() == expected
    assert result == Result.model_validate_json(expected)
    assert pickle.loads(pickle.dumps(result)).model_dump_json() == expected


def test_a_copy_made_before_reading_builds_the_same_fields(kb: healthkb.KnowledgeBase) -> None:
    profile = {"symptoms": {"physical_discomfort": True}, "goals": {"target_areas": ["arms"]}}
    expected = kb.evaluate(profile).model_dump_json()
    result = kb.evaluate(profile)
    twin = result.model_copy()
    assert twin.model_dump_json() == expected == result.model_dump_json()


def test_unknown_attributes_are_still_refused(kb: healthkb.KnowledgeBase) -> None:
    result = kb.evaluate({})
    with pytest.raises(AttributeError):
        result.no_such_field  # type: ignore[attr-defined]  # noqa: B018
