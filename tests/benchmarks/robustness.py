"""`python -m tests.benchmarks.robustness [--quick]`: figures for the red-team defects.

- why-not on diamond-chain KBs (each step derivable by two rules) against chain depth:
  the time of `why_not` and the size of its text and JSON, which must grow with the KB
  (it was exponential: 16 steps took 29 s and 102 MB);
- resident memory over many KB reloads (load, evaluate twice, drop), in a fresh
  process, which must stay flat (it grew by about 0.3-0.5 MB per reload).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import healthkb

from .diamond_kb import CONCLUSION, NOTHING_REACHED, write_diamond_kb
from .generated_kb import ROOT
from .measure import resident_mib

RUNNING = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
}


def why_not_by_depth(depths: list[int]) -> list[tuple[int, int, float, int, int]]:
    """(steps, rules, seconds, text bytes, JSON bytes) of why-not per chain depth."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for steps in depths:
            kb = healthkb.load(write_diamond_kb(Path(scratch) / f"kb{steps}", steps))
            result = kb.evaluate(NOTHING_REACHED)
            started = time.perf_counter()
            why_not = result.why_not(CONCLUSION)
            text, data = str(why_not), json.dumps(why_not.to_dict())
            elapsed = time.perf_counter() - started
            rows.append((steps, len(kb.content.rules), elapsed, len(text), len(data)))
    return rows


def reload_checkpoints(reloads: int) -> list[tuple[int, float]]:
    """In this process: resident memory every tenth of `reloads` KB reloads."""
    content = healthkb.load().content
    checkpoints = []
    step = max(reloads // 10, 1)
    for done in range(1, reloads + 1):
        kb = healthkb.KnowledgeBase(content)
        kb.evaluate(RUNNING)
        kb.evaluate({})
        del kb
        if done % step == 0:
            checkpoints.append((done, resident_mib()))
    return checkpoints


def measure_reloads(reloads: int) -> list[tuple[int, float]]:
    command = [sys.executable, "-m", "tests.benchmarks.robustness", "--reloads-only", str(reloads)]
    printed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return [(int(done), float(mib)) for done, mib in json.loads(printed.stdout)]


def render(depths: list[int], reloads: int) -> list[str]:
    lines = ["why-not on diamond-chain KBs (each step derivable by two rules)"]
    lines.append(f"  {'steps':>6}{'rules':>7}{'seconds':>10}{'text bytes':>12}{'JSON bytes':>12}")
    for steps, rules, elapsed, text, data in why_not_by_depth(depths):
        lines.append(f"  {steps:>6}{rules:>7}{elapsed:>10.3f}{text:>12,}{data:>12,}")
    memory = measure_reloads(reloads)
    lines += ["", "resident memory over KB reloads (load, evaluate twice, drop; seed KB)"]
    lines += [f"  {done:>10,} reloads  {mib:7.1f} MiB" for done, mib in memory]
    growth = memory[-1][1] - memory[0][1]
    verdict = "PASS" if growth < 5 else "MISS"
    lines.append(f"  {verdict}  growth after the first tenth < 5 MiB: {growth:+.1f} MiB")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.robustness")
    parser.add_argument("--depths", type=int, nargs="*", default=[5, 10, 20, 40, 80, 100])
    parser.add_argument("--reloads", type=int, default=1_000)
    parser.add_argument("--quick", action="store_true", help="small run, for a smoke test")
    parser.add_argument("--reloads-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reloads_only:
        print(json.dumps(reload_checkpoints(args.reloads_only)))
        return 0
    if args.quick:
        args.depths, args.reloads = [5, 16], 50
    print("\n".join(render(args.depths, args.reloads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
