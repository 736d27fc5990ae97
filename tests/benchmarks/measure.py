"""Timing and memory figures: latency percentiles, throughput, resident memory."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Latency:
    """Per-call latency in microseconds, and calls per second on one thread."""

    median_us: float
    p99_us: float
    per_second: float


def latency(call: Callable[[], object], repeats: int, budget_s: float = 10.0) -> Latency:
    """Time `repeats` calls after a warm-up, stopping early (after 20) past `budget_s`."""
    for _ in range(min(50, repeats)):
        call()
    samples = []
    started = time.perf_counter()
    while len(samples) < repeats:
        before = time.perf_counter()
        call()
        samples.append(time.perf_counter() - before)
        if len(samples) >= 20 and before - started > budget_s:
            break
    elapsed = time.perf_counter() - started
    repeats = len(samples)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return Latency(statistics.median(samples) * 1e6, p99 * 1e6, repeats / elapsed)


def seconds(call: Callable[[], object]) -> tuple[float, object]:
    before = time.perf_counter()
    value = call()
    return time.perf_counter() - before, value


def resident_mib() -> float:
    """Resident set size of this process (Linux /proc; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def paired(
    first: Callable[[], object], second: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median µs of two calls timed in turn, call after call: a load that comes and goes
    on the machine weighs on both alike, so their ratio holds when their times do not."""
    for _ in range(min(50, repeats)):
        first()
        second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        started = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        times[0].append(middle - started)
        times[1].append(time.perf_counter() - middle)
    return statistics.median(times[0]) * 1e6, statistics.median(times[1]) * 1e6
