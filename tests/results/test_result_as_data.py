"""A Result is data: it crosses process boundaries, copies and round-trips through JSON.

Explaining needs the KB that evaluated it, which stays in its process; a result that
was pickled or rebuilt from its data says so when asked to explain itself.
"""

from __future__ import annotations

import copy
import pickle
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

import healthkb

PROFILES = [
    {"symptoms": {"physical_discomfort": True}},
    {
        "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
        "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
        "goals": {"target_areas": ["thighs"]},
    },
]

_worker_kb: healthkb.KnowledgeBase | None = None


def _load_worker_kb() -> None:
    global _worker_kb
    _worker_kb = healthkb.load()


def evaluate_as_json(profile: dict[str, Any]) -> dict[str, Any]:
    """The pattern docs/api.md recommends: each worker has its own KB, returns data."""
    assert _worker_kb is not None
    return _worker_kb.evaluate(profile).model_dump(mode="json")


def evaluate_as_result(profile: dict[str, Any]) -> healthkb.Result:
    assert _worker_kb is not None
    return _worker_kb.evaluate(profile)


def test_worker_processes_return_results_as_json_data_and_as_results(
    kb: healthkb.KnowledgeBase,
) -> None:
    here = [kb.evaluate(p) for p in PROFILES]
    with ProcessPoolExecutor(max_workers=2, initializer=_load_worker_kb) as pool:
        as_json = list(pool.map(evaluate_as_json, PROFILES))
        as_results = list(pool.map(evaluate_as_result, PROFILES))
    assert as_json == [r.model_dump(mode="json") for r in here]
    assert as_results == here
    assert [r.conclusion_ids for r in as_results] == [r.conclusion_ids for r in here]


def test_a_result_from_another_process_says_it_cannot_explain_itself(
    kb: healthkb.KnowledgeBase,
) -> None:
    result = kb.evaluate(PROFILES[0])
    received = pickle.loads(pickle.dumps(result))
    assert received == result and received.model_dump() == result.model_dump()
    for ask in (received.explain, received.why_not):
        with pytest.raises(healthkb.HealthKBError, match="detached from the knowledge base"):
            ask("stop_and_rest")
    with pytest.raises(healthkb.HealthKBError, match=r"kb\.evaluate\(result\.profile\)"):
        received.to_cds_cards()
    again = kb.evaluate(received.profile)
    assert again.kb_digest == received.kb_digest and again == received
    assert str(again.explain("stop_and_rest")) == str(result.explain("stop_and_rest"))


def test_a_result_rebuilt_from_its_json_equals_the_original_and_is_detached(
    kb: healthkb.KnowledgeBase,
) -> None:
    result = kb.evaluate(PROFILES[1])
    rebuilt = healthkb.Result.model_validate_json(result.model_dump_json())
    assert rebuilt == result
    with pytest.raises(healthkb.HealthKBError, match="detached"):
        rebuilt.explain("thigh_buttock_fat_may_decrease")


def test_a_deep_copy_is_independent_data_that_still_explains_itself(
    kb: healthkb.KnowledgeBase,
) -> None:
    result = kb.evaluate(PROFILES[1])
    twin = copy.deepcopy(result)
    assert twin == result and twin.conclusions is not result.conclusions
    assert twin.profile is not result.profile
    conclusion = "thigh_buttock_fat_may_decrease"
    assert twin.explain(conclusion).to_dict() == result.explain(conclusion).to_dict()
    assert result.model_copy(deep=True).why_not("stop_and_rest").to_dict()["concluded"] is False


@pytest.mark.parametrize(
    "update",
    [
        {"kb_digest": "sha256:0"},
        {"kb_version": "9.9.9"},
        {"conclusions": []},
        {"profile": {"symptoms": {"physical_discomfort": False}}},
    ],
    ids=["digest", "version", "conclusions", "profile"],
)
def test_a_copy_with_changed_data_is_detached_not_explained_under_its_stamp(
    kb: healthkb.KnowledgeBase, update: dict[str, Any]
) -> None:
    forged = kb.evaluate(PROFILES[0]).model_copy(update=update)
    for ask in (forged.explain, forged.why_not):
        with pytest.raises(healthkb.HealthKBError, match="copied with changed data"):
            ask("stop_and_rest")
    with pytest.raises(healthkb.HealthKBError, match="detached"):
        forged.to_cds_cards()


def test_a_copy_with_unchanged_data_still_explains_itself(kb: healthkb.KnowledgeBase) -> None:
    result = kb.evaluate(PROFILES[0])
    same = result.model_copy(update={"kb_digest": result.kb_digest})
    assert str(same.explain("stop_and_rest")) == str(result.explain("stop_and_rest"))


def test_a_stamp_written_past_the_frozen_model_is_refused(kb: healthkb.KnowledgeBase) -> None:
    result = copy.deepcopy(kb.evaluate(PROFILES[0]))
    object.__setattr__(result, "kb_digest", "sha256:0")
    with pytest.raises(healthkb.HealthKBError) as caught:
        result.explain("stop_and_rest")
    assert str(caught.value) == (
        f"this Result says it comes from {kb.id} {kb.version} sha256:0, but the knowledge "
        f"base that evaluated it is {kb.id} {kb.version} {kb.digest}; it cannot explain "
        "itself: evaluate its profile again"
    )


def test_an_explanation_is_stamped_by_the_knowledge_base_that_explains_it(
    kb: healthkb.KnowledgeBase,
) -> None:
    stamp = kb.evaluate(PROFILES[0]).explain("stop_and_rest").to_dict()["kb"]
    assert stamp == {"id": kb.id, "version": kb.version, "digest": kb.digest}
