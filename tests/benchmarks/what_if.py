"""`python -m tests.benchmarks.what_if [--quick]`: what-if and proven-diff figures.

- what-if (`Result.what_if`, building the z3 encoding each time, as every call does):
  on the seed KB, the failing example asking for the fat decrease (target < 200 ms);
  on the generated 1,000-rule KB with its synthetic measures changeable, the same
  question and one about a synthetic conclusion (target < 5 s);
- proven diff (`healthkb diff OLD NEW --prove`) of the generated 10,000-rule KB
  against itself with one rule's threshold changed (target < 60 s for the proof), and
  the time each side takes to load (`read_content`, which every command does first).

The machine's load average is printed with the figures; each is wall-clock and CPU
time of this process (the latter is what the code costs when other work shares the
cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml

import healthkb
from healthkb.analysis.proven_diff import ProvenDiff, prove_diff
from healthkb.content.loading.loader import read_content

from .generated_kb import ROOT, RULES_PER_GROUP, SEED_RULES, write_generated_kb

FAILS = ROOT / "kb" / "examples" / "fails_conditions.yaml"
DECREASE = "thigh_buttock_fat_may_decrease"
CHANGED_GROUP = 100  # its first rule derives the measure's state at `level gt 0`


@dataclass(frozen=True)
class Timing:
    label: str
    median_s: float
    cpu_s: float
    """CPU time of this process: on a machine other work keeps busy, what the code costs."""
    runs: int
    target_s: float | None = None

    def line(self) -> str:
        verdict = ""
        if self.target_s is not None:
            verdict = f"  target < {self.target_s:g} s: " + (
                "PASS" if self.median_s < self.target_s else "MISS"
            )
        return (
            f"{self.label}: {self.median_s * 1000:,.1f} ms wall, {self.cpu_s * 1000:,.1f} ms CPU "
            f"(median of {self.runs}){verdict}"
        )


def timed(label: str, call: Callable[[], object], runs: int, target: float | None) -> Timing:
    samples = [clocked(call)[0] for _ in range(runs)]
    wall = statistics.median(wall for wall, _ in samples)
    cpu = statistics.median(cpu for _, cpu in samples)
    return Timing(label, wall, cpu, runs, target)


def what_if_timings(rules: int, runs: int) -> list[Timing]:
    """The seed KB's what-if, and the generated KB's (`rules` rules) if asked."""
    seed = healthkb.load().evaluate_file(FAILS)
    found = [
        timed(
            "seed: what-if (fat decrease, 3 proposals)", lambda: seed.what_if(DECREASE), runs, 0.2
        )
    ]
    if not rules:
        return found
    with tempfile.TemporaryDirectory() as scratch:
        kb = healthkb.load(write_generated_kb(Path(scratch) / "kb", rules, changeable=True))
    failing = kb.evaluate_file(FAILS)
    found.append(
        timed(
            f"{rules:,} rules: what-if (fat decrease, 3 proposals)",
            lambda: failing.what_if(DECREASE),
            runs,
            5.0,
        )
    )
    group = (rules - SEED_RULES) // RULES_PER_GROUP // 2
    low = kb.evaluate({f"measure_{group}": {"level": 0, "flagged": False}})
    asked = f"measure_{group}_advice"
    proposals = low.what_if(asked).proposals
    assert proposals and asked in proposals[0].reaches
    found.append(
        timed(
            f"{rules:,} rules: what-if ({asked}, 3 proposals)",
            lambda: low.what_if(asked),
            runs,
            5.0,
        )
    )
    return found


def change_one_rule(root: Path, number: int) -> None:
    """Raise rule `synthetic_<number>`'s threshold by 3 (and its version)."""
    for path in sorted((root / "rules").glob("synthetic_*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for rule in data["rules"]:
            if rule["id"] == f"synthetic_{number:05d}":
                rule["when"]["all"][0]["gt"] += 3
                rule["version"] += 1
                path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
                return
    raise LookupError(f"no rule synthetic_{number:05d}")


def proven_diff_timings(rules: int) -> tuple[list[Timing], ProvenDiff]:
    """`diff --prove` of a generated KB against itself with one rule changed: loading
    each side (the same `read_content` every command does), then the proof."""
    with tempfile.TemporaryDirectory() as scratch:
        old = write_generated_kb(Path(scratch) / "old", rules)
        new = write_generated_kb(Path(scratch) / "new", rules)
        full_groups = (rules - SEED_RULES) // RULES_PER_GROUP
        change_one_rule(new, min(CHANGED_GROUP, full_groups - 1) * RULES_PER_GROUP)
        load_old, before = clocked(lambda: read_content(old))
        load_new, after = clocked(lambda: read_content(new))
        proof_time, proof = clocked(lambda: prove_diff(before, after))
    label = f"{rules:,} rules, one rule changed"
    return [
        Timing(f"{label}: load OLD", *load_old, 1),
        Timing(f"{label}: load NEW", *load_new, 1),
        Timing(f"{label}: diff --prove, the proof", *proof_time, 1, 60.0),
    ], proof


T = TypeVar("T")


def clocked(call: Callable[[], T]) -> tuple[tuple[float, float], T]:
    """((wall seconds, CPU seconds of this process), the call's value)."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = call()
    return (time.perf_counter() - wall, time.process_time() - cpu), value


def run(what_if_rules: int, diff_rules: int, runs: int) -> list[str]:
    load = os.getloadavg()
    lines = [
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    ]
    lines += [t.line() for t in what_if_timings(what_if_rules, runs)]
    if diff_rules:
        timings, proof = proven_diff_timings(diff_rules)
        lines += [t.line() for t in timings]
        lines += [f"  {d.change} {d.conclusion} where {d.region}" for d in proof.differences]
    load = os.getloadavg()
    lines.append(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small KBs, few runs")
    args = parser.parse_args(argv)
    if args.quick:
        lines = run(what_if_rules=215, diff_rules=215, runs=3)
    else:
        lines = run(what_if_rules=1000, diff_rules=10000, runs=5)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
