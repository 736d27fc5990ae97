"""`python -m tests.benchmarks.stages [--size N] [--rounds R] [KB]`: the load by stage.

Times each stage of loading a KB once, in thread CPU seconds with the cyclic collector
paused (as `healthkb.load()` pauses it): reading the files (`reading.read_files`: YAML
and the models' validation), the checks across files (`checking.check_files`),
assembling (`assembly.assemble`), starting the engine (`KnowledgeBase(content)`) and
the first read of the KB's digest. The process loads the seed KB first, so imports and
first-use work are not counted in the stages (the peer benchmark times a cold load).
Without a KB folder it writes the generated KB of `--size` rules (default 10,000) in a
temporary folder. docs/performance.md, "Issue 23's targets", quotes its figures.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import healthkb
from healthkb.content.loading import assembly, checking, reading
from healthkb.content.loading.collector_pause import collection_paused
from healthkb.knowledge_base import KnowledgeBase

from .generated_kb import write_generated_kb

STAGES = ("read", "checks", "assemble", "KnowledgeBase", "digest")


def stage_times(root: Path, kept: list[KnowledgeBase] | None = None) -> dict[str, float]:
    """Thread CPU seconds of each stage of loading the KB at `root`, and their total.

    The KB made is added to `kept`, if given: a KB dropped leaves its native rulesets
    to the next KB compiled to the same definitions (runtime/native.py), whose
    `KnowledgeBase` stage then skips making them (0.1 s of the 10,000-rule KB's 0.2 s),
    as no first load of a KB does."""
    gc.collect()
    clock = time.thread_time
    with collection_paused():
        started = clock()
        read = reading.read_files(root, links_outside=False)
        read_done = clock()
        problems = checking.check_files(read)
        checks_done = clock()
        checked = assembly.assemble(root, read, problems)
        assembled = clock()
        kb = KnowledgeBase(checked.content)
        started_engine = clock()
        _ = kb.digest
        digested = clock()
    if kept is not None:
        kept.append(kb)
    marks = (started, read_done, checks_done, assembled, started_engine, digested)
    times = {stage: marks[i + 1] - marks[i] for i, stage in enumerate(STAGES)}
    times["total"] = digested - started
    return times


def render(times: dict[str, float]) -> str:
    return " ".join(f"{stage} {seconds:.3f}" for stage, seconds in times.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.stages", description=__doc__)
    parser.add_argument("kb", nargs="?", type=Path, help="a KB folder (default: a generated one)")
    parser.add_argument("--size", type=int, default=10_000, help="rules of the generated KB")
    parser.add_argument("--rounds", type=int, default=1, help="loads timed, one line each")
    args = parser.parse_args(argv)
    _ = healthkb.load(None).digest  # imports and first-use work, outside the stages
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; thread CPU s")
    with tempfile.TemporaryDirectory() as scratch:
        root = args.kb or write_generated_kb(Path(scratch) / "kb", args.size)
        kept: list[KnowledgeBase] = []  # each round timed as a first load (stage_times)
        for _ in range(args.rounds):
            print(render(stage_times(root, kept)))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
