"""The what-if and proven-diff benchmark, small: every figure it prints is there."""

from __future__ import annotations

from tests.benchmarks import what_if as what_if_benchmark


def test_a_small_what_if_and_proven_diff_benchmark_reports_every_figure() -> None:
    lines = what_if_benchmark.run(what_if_rules=120, diff_rules=120, runs=1)
    text = "\n".join(lines)
    assert text.startswith("machine: ")
    assert "seed: what-if (fat decrease, 3 proposals): " in text
    assert "120 rules: what-if (measure_1_advice, 3 proposals): " in text
    assert "120 rules, one rule changed: diff --prove, the proof: " in text
    # Raising `level gt 0` to `gt 3` in one group's first rule loses its advice at 1 and 2.
    assert (
        "  lost measure_1_advice where measure_1.flagged is true and measure_1.level >= 1 "
        "and measure_1.level <= 2" in text
    )
