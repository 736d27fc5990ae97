"""`--workers N`: this process is one of the N, and starts the others only when the
input is longer than what it answers in the time they take to start."""

from __future__ import annotations

import os
import time

import healthkb
from healthkb.batch.runners import PoolRunner, local_runners


def where(kb: healthkb.KnowledgeBase, item: int) -> tuple[int, int]:
    return item, os.getpid()


def slowly_where(kb: healthkb.KnowledgeBase, item: int) -> tuple[int, int]:
    time.sleep(0.005)  # a chunk's worth of work, so that a worker can start meanwhile
    return item, os.getpid()


def test_an_input_this_process_answers_alone_starts_no_worker(
    kb: healthkb.KnowledgeBase,
) -> None:
    with local_runners(2, alone=5)((kb,)) as runner:
        assert isinstance(runner, PoolRunner)
        assert list(runner.map(where, range(5))) == [(i, os.getpid()) for i in range(5)]
        assert not runner.workers_started


def test_a_longer_input_starts_the_workers_and_keeps_the_order(
    kb: healthkb.KnowledgeBase,
) -> None:
    with local_runners(2, alone=3)((kb,)) as runner:
        assert isinstance(runner, PoolRunner)
        answers = list(runner.map(where, range(40)))
        assert [item for item, _ in answers] == list(range(40))
        assert {pid for _, pid in answers[:3]} == {os.getpid()}
        assert runner.workers_started


def test_items_go_to_the_workers_once_they_are_up(kb: healthkb.KnowledgeBase) -> None:
    items = iter(range(10_000))
    with local_runners(2, alone=0)((kb,)) as runner:
        seen: set[int] = set()
        for _, pid in runner.map(slowly_where, items):
            seen.add(pid)
            if len(seen) == 2:
                break  # a worker answered too: the rest of the items are never read
    assert len(seen) == 2 and next(items) < 10_000
