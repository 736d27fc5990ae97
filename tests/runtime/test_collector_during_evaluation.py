"""`evaluate()` and `conclusions_reached()` pause Python's cyclic garbage collector while
they run (as loading does, `collector_pause.py`): an evaluation on a large KB allocates
thousands of objects that live until it ends, and collections in its midst promoted
them towards the full passes over the whole process. The collector is left as it was
found, also when the profile is refused."""

from __future__ import annotations

import gc
import threading
import time

import pytest

import healthkb
from healthkb.content.loading.collector_pause import collection_paused

MEETS = {  # a chain longer than two firings
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs", "buttocks"], "weight_management_concern": True},
}


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was_found(kb: healthkb.KnowledgeBase, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        kb.evaluate({"symptoms": {"physical_discomfort": True}})
        assert gc.isenabled() is enabled
        kb.conclusions_reached({"symptoms": {"physical_discomfort": True}})
        assert gc.isenabled() is enabled
        with pytest.raises(healthkb.ProfileError):
            kb.conclusions_reached({"symptoms": {"physical_discomfort": "yes"}})
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_the_collector_is_paused_while_a_profile_is_evaluated(
    kb: healthkb.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    run = kb._run
    monkeypatch.setattr(
        kb, "_run", lambda validated: (seen.append(gc.isenabled()), run(validated))[1]
    )
    assert gc.isenabled()
    kb.evaluate({})
    kb.conclusions_reached({})
    assert seen == [False, False]
    assert gc.isenabled()


class _Cycle:
    """What a request handler leaves behind: an object only the cyclic collector frees."""

    def __init__(self) -> None:
        self.me = self


def test_an_evaluation_ending_while_another_thread_evaluates_lets_the_collector_run(
    kb: healthkb.KnowledgeBase,
) -> None:
    """A busy service always has some evaluation running on one of its threads: the
    collector must not wait for all of them to end before it runs again."""
    began, end = threading.Event(), threading.Event()

    def evaluating_slowly() -> None:
        with collection_paused():  # an evaluation on another thread, still running
            began.set()
            end.wait(10)

    other = threading.Thread(target=evaluating_slowly)
    other.start()
    try:
        assert began.wait(10)
        assert not gc.isenabled()  # paused for the other thread's evaluation
        kb.evaluate({"symptoms": {"physical_discomfort": True}})
        assert gc.isenabled()
        collected = len([_Cycle() for _ in range(gc.get_threshold()[0] * 3)])
        assert collected and gc.get_count()[0] < gc.get_threshold()[0]
    finally:
        end.set()
        other.join()
    assert gc.isenabled()


def test_many_threads_evaluating_at_once_leave_the_collector_as_found(
    kb: healthkb.KnowledgeBase,
) -> None:
    """Four threads evaluate at once, refused profiles and runaway chains among them."""
    limited = healthkb.load(max_steps=2)
    start = threading.Barrier(4)

    def serving(thread: int) -> None:
        start.wait(10)
        for turn in range(300):
            try:
                if turn % 3 == 0:
                    kb.conclusions_reached({"symptoms": {"physical_discomfort": "yes"}})
                elif turn % 3 == 1 and thread % 2:
                    limited.evaluate(MEETS)
                else:
                    kb.evaluate({"symptoms": {"physical_discomfort": True}})
            except (healthkb.ProfileError, healthkb.EvaluationError):
                pass

    threads = [threading.Thread(target=serving, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gc.isenabled()


def test_threads_evaluating_without_a_break_leave_their_cycles_to_the_collector(
    kb: healthkb.KnowledgeBase,
) -> None:
    """As a busy service's threads do, for a second: the collector keeps running while
    they evaluate, not once at the end (their cycles piled up until then)."""
    until = time.monotonic() + 1.0
    runs: list[float] = []
    gc.callbacks.append(collecting := lambda phase, info: runs.append(time.monotonic()))

    def serving() -> None:
        while time.monotonic() < until:
            kb.evaluate({"symptoms": {"physical_discomfort": True}})
            _Cycle()

    threads = [threading.Thread(target=serving) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        gc.callbacks.remove(collecting)
    assert len([when for when in runs if when < until - 0.2]) >= 6  # 3 collections
