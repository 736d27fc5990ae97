"""A result's trace keeps its firings as plain tuples, which Python's garbage collector
stops tracking: on a large KB a result keeps thousands of firings, and as tracked
objects they made the collector's full passes (over the whole process and the loaded
KB) come every few dozen results kept (see `FiringRecord`)."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.benchmarks.clips_peer import population
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb
from healthkb.runtime.engine import Firing


def test_a_kept_results_firings_and_their_ranks_are_left_to_reference_counting(
    tmp_path: Path,
) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", 200))
    results = [kb.evaluate(profile) for profile in population(kb.content, 20)]
    # A tuple is let go once its items are, so a pass may keep one whose items it looks
    # at afterwards; kept objects pass through a collection of each generation.
    for _ in range(3):
        gc.collect()
    records = [record for result in results for record in result._trace.records]
    ranks = [
        entry
        for result in results
        for reaching in result._proofs.reaching.values()
        for entry in reaching
    ]
    assert len(records) > 400 and len(ranks) > 150
    assert not any(gc.is_tracked(record) for record in records)
    assert not any(gc.is_tracked(entry) for entry in ranks)


def test_the_trace_still_gives_its_firings_as_firings(kb: healthkb.KnowledgeBase) -> None:
    trace = kb.evaluate({"symptoms": {"physical_discomfort": True}})._trace
    assert trace.firings == [Firing._make(record) for record in trace.records]
    assert [f.rule_id for f in trace.firings] == ["stop_on_discomfort"]
