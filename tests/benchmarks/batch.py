"""Batch figures: per profile against the bare path, workers, Dask, memory over a run.

- **per profile, one worker**: `answer_chunk` in this process (read the JSON line,
  validate, evaluate, write the answer line) against the bare durable_rules path on
  the same profiles, chunk after chunk in turn, so a load that comes and goes on the
  machine weighs on both alike.
- **2 workers vs 1**, **Dask vs the local pool**: wall time of `run_batch` over the
  same file (pool start-up included; the file is large enough for it not to matter).
- **memory**: `healthkb batch` as a command over N lines streamed through a pipe;
  resident memory of the command and its workers sampled as it goes.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import healthkb
from healthkb.batch import answers, forked, job, jsonlines
from healthkb.batch.answers import Chunk, answer_chunk
from healthkb.batch.job import FORKED_WORKERS_AFTER, LINES_PER_CHUNK, run_batch
from healthkb.batch.jsonlines import Line

from . import population
from .bare import BareEngine


@dataclass
class BatchFigures:
    per_profile_us: float = 0.0
    bare_us: float = 0.0
    lines: int = 0
    one_worker_s: float = 0.0
    two_workers_s: float = 0.0
    # CPU seconds the run used (this process and its workers): what the machine gave.
    one_worker_cpu_s: float = 0.0
    two_workers_cpu_s: float = 0.0
    dask_s: float | None = None
    memory: list[tuple[int, float]] | None = None


def per_profile(kb: healthkb.KnowledgeBase, chunks: int = 40) -> tuple[float, float]:
    """Median µs per profile of a batch chunk in this process, and of the bare path."""
    bare = BareEngine(kb)
    texts = list(population.lines(LINES_PER_CHUNK, seed=1))
    chunk = Chunk("bench", tuple(Line(n, t.encode()) for n, t in enumerate(texts, 1)))
    given = [
        kb.validate_profile(json.loads(t)["profile"]).model_dump(exclude_none=True) for t in texts
    ]
    batch_times, bare_times = [], []
    answer_chunk(kb, chunk)  # warm-up
    for _ in range(chunks):
        started = time.perf_counter()
        answer_chunk(kb, chunk)
        middle = time.perf_counter()
        for profile in given:
            bare.run(profile)
        batch_times.append(middle - started)
        bare_times.append(time.perf_counter() - middle)
    scale = 1e6 / LINES_PER_CHUNK
    return statistics.median(batch_times) * scale, statistics.median(bare_times) * scale


def wall_times(figures: BatchFigures, with_dask: bool) -> None:
    """Seconds for `figures.lines` profiles on 1 worker, on 2, and on a 2-process Dask
    cluster; and the CPU seconds the local runs took, workers included."""
    kb = healthkb.load()
    with tempfile.TemporaryDirectory() as scratch:
        people = population.write(Path(scratch) / "people.jsonl", figures.lines)
        out = Path(scratch) / "answers.jsonl"
        before = _cpu_seconds()
        figures.one_worker_s = _timed(lambda: run_batch(people, out, kb, workers=1))
        middle = _cpu_seconds()
        figures.two_workers_s = _timed(lambda: run_batch(people, out, kb, workers=2))
        figures.one_worker_cpu_s = middle - before
        figures.two_workers_cpu_s = _cpu_seconds() - middle
        figures.dask_s = _dask_time(people, out, kb) if with_dask else None


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that ended (the pool's workers)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def local_cluster(workers: int = 2) -> Any:
    """A Dask LocalCluster of `workers` single-thread processes on loopback, no dashboards."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        worker_dashboard_address=None,
    )


def _dask_time(people: Path, out: Path, kb: healthkb.KnowledgeBase) -> float:
    from healthkb.batch.cluster import dask_runners  # imports Dask distributed

    with local_cluster() as cluster:
        address = cluster.scheduler_address
        run_batch(people, out, kb, on=dask_runners(address))  # the workers load the KB once
        return _timed(lambda: run_batch(people, out, kb, on=dask_runners(address)))


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def memory_over_a_run(lines: int, workers: int = 2) -> list[tuple[int, float]]:
    """(lines answered, MiB resident in the command and its workers), ten times a run."""
    command = [
        sys.executable, "-m", "healthkb", "batch", "-", "--out", "-",
        "--workers", str(workers), "--quiet",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None
    feeder = threading.Thread(target=_feed, args=(process.stdin, lines), daemon=True)
    feeder.start()
    checkpoints = []
    step = max(lines // 10, 1)
    for answered, _ in enumerate(process.stdout, 1):
        if answered % step == 0 or answered == 1000:
            checkpoints.append((answered, _tree_mib(process.pid)))
    process.wait()
    return checkpoints


def _feed(stdin: Any, lines: int) -> None:
    with stdin:
        for text in population.lines(lines, seed=2):
            stdin.write(text.encode())


def _tree_mib(pid: int) -> float:
    """Resident MiB of a process and its children (Linux /proc; 0 where unavailable)."""
    total = 0
    for process in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    children = [int(child) for child in found]
    return children + [grandchild for child in children for grandchild in _children(child)]


def measure(lines: int, memory_lines: int, with_dask: bool = True) -> BatchFigures:
    kb = healthkb.load()
    figures = BatchFigures(lines=lines)
    figures.per_profile_us, figures.bare_us = per_profile(kb)
    wall_times(figures, with_dask)
    figures.memory = memory_over_a_run(memory_lines)
    return figures


def render(figures: BatchFigures) -> list[str]:
    lines = [
        "batch (seed KB, synthetic population)",
        f"  per profile, in this process: {figures.per_profile_us:.0f} µs "
        f"(bare durable_rules on the same profiles: {figures.bare_us:.0f} µs)",
        f"  {figures.lines:,} profiles: 1 worker {figures.one_worker_s:.2f} s "
        f"({figures.lines / figures.one_worker_s:,.0f}/s), 2 workers "
        f"{figures.two_workers_s:.2f} s ({figures.lines / figures.two_workers_s:,.0f}/s)",
    ]
    for workers, wall, cpu in (
        (1, figures.one_worker_s, figures.one_worker_cpu_s),
        (2, figures.two_workers_s, figures.two_workers_cpu_s),
    ):
        lines.append(
            f"  {workers} worker(s): {cpu:.2f} CPU s ({cpu / figures.lines * 1e6:.0f} µs a "
            f"profile, start-up included), {cpu / wall:.2f} cores obtained from the machine"
        )
    if figures.dask_s is not None:
        lines.append(
            f"  Dask LocalCluster, 2 worker processes: {figures.dask_s:.2f} s "
            f"({figures.lines / figures.dask_s:,.0f}/s)"
        )
    for done, mib in figures.memory or []:
        lines.append(f"  {done:>10,} lines answered  {mib:7.1f} MiB resident (command + workers)")
    return lines


def targets(figures: BatchFigures) -> list[tuple[bool, str, str]]:
    found = []
    ratio = figures.per_profile_us / figures.bare_us
    found.append((ratio <= 1.3, "batch, one worker, per profile <= 1.3x bare", f"{ratio:.2f}x"))
    speedup = figures.one_worker_s / figures.two_workers_s
    found.append((speedup >= 1.7, "batch: 2 workers >= 1.7x one worker", f"{speedup:.2f}x"))
    if figures.dask_s is not None:
        slower = figures.dask_s / figures.two_workers_s
        what = "batch: Dask (2 processes) within 1.3x of the pool"
        found.append((slower <= 1.3, what, f"{slower:.2f}x"))
    memory = figures.memory or []
    if len(memory) >= 3:
        growth = memory[-1][1] - memory[1][1]
        what = "batch memory flat: growth after the first tenth < 10 MiB"
        found.append((growth < 10, what, f"{growth:+.1f} MiB"))
    return found


@dataclass
class CommandFigures:
    """Whole `healthkb batch` commands timed in turn: wall and CPU seconds (the command
    and its workers) of each run, by what ran."""

    lines: int
    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]

    def median(self, what: str, of: str = "cpu") -> float:
        return statistics.median((self.cpu if of == "cpu" else self.wall)[what])


COMMANDS = {
    "1 worker": ("--workers", "1"),
    "2 workers": ("--workers", "2"),
    "start-up": ("--workers", "1"),  # on an empty input: import healthkb, load the KB
    "start-up and a worker": ("--workers", "2", "--workers-after", "0"),  # on one line
}


def commands_in_turn(lines: int, rounds: int = 3) -> CommandFigures:
    """`healthkb batch` on `lines` lines with 1 and 2 workers, and the start-up parts
    (the command on no line, and with a worker on one line), `rounds` times in turn;
    the answers of 1 and 2 workers checked to be the same bytes. The commands (and
    their workers) get a bytecode cache, as an installed package has (see
    `peer.startup_s`), filled by a first round that is not counted."""
    figures = CommandFigures(lines, {what: [] for what in COMMANDS}, {w: [] for w in COMMANDS})
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        environment["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        people = population.write(folder / "people.jsonl", lines)
        inputs = {"start-up": folder / "none.jsonl", "start-up and a worker": folder / "one.jsonl"}
        inputs["start-up"].write_text("")
        inputs["start-up and a worker"].write_text(next(population.lines(1)))
        _command_seconds(inputs["start-up and a worker"], folder / "o.jsonl", (), environment)
        for _ in range(rounds):
            for what, options in COMMANDS.items():
                out = folder / f"{what}.jsonl"
                wall, cpu = _command_seconds(inputs.get(what, people), out, options, environment)
                figures.wall[what].append(wall)
                figures.cpu[what].append(cpu)
            if (folder / "1 worker.jsonl").read_bytes() != (
                folder / "2 workers.jsonl"
            ).read_bytes():
                raise AssertionError("1 and 2 workers answered differently")
    return figures


def _command_seconds(
    people: Path, out: Path, options: tuple[str, ...], environment: dict[str, str]
) -> tuple[float, float]:
    """Wall and CPU seconds of one `healthkb batch` (CPU: the command and the workers it
    waited for, as the kernel accounts them)."""
    command = [sys.executable, "-m", "healthkb", "batch", str(people), "--out", str(out)]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, *options, "--quiet"], env=environment, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise AssertionError(f"healthkb batch {' '.join(options)} exited {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def render_commands(figures: CommandFigures) -> list[str]:
    """The medians, the speed-up measured, and the one to expect on an idle 2-core
    machine from the CPU the parts took: the start-up runs alone, then two cores share
    the rest (the workers' start-up included); one worker's wall is its CPU."""
    one, two = figures.median("1 worker"), figures.median("2 workers")
    start = figures.median("start-up")
    worker_start = figures.median("start-up and a worker") - start
    measured = figures.median("1 worker", "wall") / figures.median("2 workers", "wall")
    # Below `--workers-after` lines (its default for workers forked, as on Linux) no
    # worker starts: both are one process.
    idle = one / (start + (two - start) / 2) if figures.lines > FORKED_WORKERS_AFTER else one / two
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [f"healthkb batch on {figures.lines:,} lines, commands in turn (medians; load {load})"]
    for what in COMMANDS:
        wall, cpu = figures.median(what, "wall"), figures.median(what)
        lines.append(f"  {what:<22} {wall:6.2f} s wall {cpu:6.2f} CPU s ({cpu / wall:.2f} cores)")
    lines += [
        f"  a worker's start-up: {worker_start:.2f} CPU s; 2 workers use "
        f"{two - one:+.2f} CPU s more than 1",
        f"  2 workers against 1: {measured:.2f}x measured; {idle:.2f}x on an idle 2-core "
        f"machine by the CPU of the parts",
    ]
    return lines


PARTS: dict[str, tuple[tuple[Any, ...], str]] = {
    "reading the input": ((job,), "read_blocks"),
    "sending chunks": ((forked.ForkedWorker,), "send"),
    "receiving answers": ((forked.ForkedWorker,), "_read"),
    "writing the output": ((jsonlines.Output,), "write"),
    "answering chunks": ((answers, job), "answer_chunk"),  # named in both
}


def parent_parts(lines: int, workers: int = 2) -> list[str]:
    """Where the healthkb process's CPU goes in `run_batch` over `lines` lines with
    `workers` (forked where this process runs one thread, as a fresh `python -m` does):
    thread CPU of each part of `PARTS` (a generator's per item), the rest, and the
    CPU of the workers (reaped children)."""
    spent = dict.fromkeys(PARTS, 0.0)
    originals = {part: getattr(owners[0], name) for part, (owners, name) in PARTS.items()}

    def timed(part: str, call: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return call(*args, **kwargs)
            finally:
                spent[part] += time.thread_time() - started

        return functools.wraps(call)(wrapper)

    def timed_items(part: str, call: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            items = iter(call(*args, **kwargs))
            while True:
                started = time.thread_time()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    spent[part] += time.thread_time() - started
                yield item

        return functools.wraps(call)(wrapper)

    kb = healthkb.load()
    kb.digest  # noqa: B018  # made on first read, as the command's first answer does
    with tempfile.TemporaryDirectory() as scratch:
        people = population.write(Path(scratch) / "people.jsonl", lines)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            for part, (owners, name) in PARTS.items():
                wrap = timed_items if name == "read_blocks" else timed
                wrapped = wrap(part, originals[part])
                for owner in owners:
                    setattr(owner, name, wrapped)
            started = time.thread_time()
            run_batch(people, Path(scratch) / "answers.jsonl", kb, workers=workers)
            total = time.thread_time() - started
        finally:
            for part, (owners, name) in PARTS.items():
                for owner in owners:
                    setattr(owner, name, originals[part])
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    shown = [f"run_batch, {lines:,} lines, {workers} workers (load {load}); thread CPU s:"]
    shown += [f"  {part:<20} {seconds:7.3f}" for part, seconds in spent.items()]
    shown.append(f"  {'the rest':<20} {total - sum(spent.values()):7.3f}")
    worker = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    shown.append(f"  healthkb process {total:.3f}; workers {worker:.3f}")
    return shown


if __name__ == "__main__":
    # `python -m tests.benchmarks.batch N`: resident memory over a run of N lines, as JSON.
    # `python -m tests.benchmarks.batch --commands N [ROUNDS]`: `commands_in_turn`.
    # `python -m tests.benchmarks.batch --parts N [WORKERS]`: `parent_parts`.
    if sys.argv[1] == "--commands":
        rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
        print("\n".join(render_commands(commands_in_turn(int(sys.argv[2]), rounds))))
    elif sys.argv[1] == "--parts":
        workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
        print("\n".join(parent_parts(int(sys.argv[2]), workers)))
    else:
        print(json.dumps(memory_over_a_run(int(sys.argv[1]))))
