"""`--workers N`: this process is one of the N, and starts the others only when the
input is longer than what it answers in the time they take to start: at once for a
file (read ahead to know), after that many lines for a pipe. The command ends with
every process it started reaped."""

from __future__ import annotations

import fcntl
import gzip
import io
import os
import pickle
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.benchmarks import population
from tests.support.fresh_python import run_fresh_python

import healthkb
from healthkb.batch import forked
from healthkb.batch.forked import can_fork
from healthkb.batch.job import LINES_PER_CHUNK, WORKERS_AFTER, run_batch
from healthkb.batch.jsonlines import BatchInputError
from healthkb.batch.runners import PoolRunner, R, Runner, T, Task, local_runners
from healthkb.runtime.pool import PIPE_BYTES, READY, in_order, in_order_helping, process_pool

HEALTHKB = str(Path(sys.executable).parent / "healthkb")


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


def failing_at_seven(kb: healthkb.KnowledgeBase, item: int) -> int:
    if item == 7:
        raise ValueError("seven is refused")
    return item


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "spawned"])
def test_an_error_at_a_worker_is_raised_at_its_place_after_the_results_before_it(
    kb: healthkb.KnowledgeBase, fork: bool
) -> None:
    with local_runners(2, alone=0, fork=fork)((kb,)) as runner:
        answers = runner.map(failing_at_seven, range(20))
        assert [next(answers) for _ in range(7)] == list(range(7))
        with pytest.raises(ValueError, match="seven is refused"):
            next(answers)


def answered_by(kb: healthkb.KnowledgeBase, item: int) -> tuple[int, int, bytes]:
    time.sleep(0.005)
    return item, os.getpid(), Path("/proc/self/cmdline").read_bytes()


def first_at_a_worker(kb: healthkb.KnowledgeBase) -> tuple[int, bytes]:
    """The first item a worker process answered, and that worker's command line."""
    with local_runners(2, alone=0)((kb,)) as runner:
        for item, pid, command in runner.map(answered_by, range(100_000)):
            if pid != os.getpid():
                return item, command
    raise AssertionError("no worker answered")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_process_running_other_threads_spawns_its_workers_instead_of_forking(
    kb: healthkb.KnowledgeBase,
) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
        _, command = first_at_a_worker(kb)
        assert b"spawn_main" in command
    finally:
        stop.set()
        other.join()


# In a fresh process, which runs one thread (the test run may have others).
FORKED_AT_ONCE = """
from pathlib import Path
import healthkb
from healthkb.batch import forked
from healthkb.batch.forked import can_fork
from tests.batch.test_workers_start import first_at_a_worker
assert can_fork()
item, command = first_at_a_worker(healthkb.load())
print(item, command == Path("/proc/self/cmdline").read_bytes())
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_process_running_one_thread_forks_its_workers_which_answer_from_the_first_item() -> None:
    done = run_fresh_python(
        [sys.executable, "-c", FORKED_AT_ONCE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # A forked worker runs this process's command line, and is up at once: the first
    # item goes to it (a spawned worker takes half a second to load the KB).
    assert done.stdout.split() == ["0", "True"], done.stdout


# In a fresh process, which runs one thread: `run_batch`'s and the command's default.
FORKED_AFTER_A_THOUSAND_LINES = """
import healthkb
from healthkb.batch.job import FORKED_WORKERS_AFTER, LINES_PER_CHUNK, local_workers
from tests.batch.test_workers_start import where
kb = healthkb.load()
chunks = FORKED_WORKERS_AFTER // LINES_PER_CHUNK
for items in (chunks, chunks + 1):
    with local_workers(2)((kb,)) as runner:
        list(runner.map(where, range(items), at_hand=True))
        print(items * LINES_PER_CHUNK, runner.workers_started)
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_workers_forked_at_once_start_for_an_input_of_more_than_a_thousand_lines() -> None:
    done = run_fresh_python(
        [sys.executable, "-c", FORKED_AFTER_A_THOUSAND_LINES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["1000 False", "1250 True"]


def test_spawned_workers_start_for_an_input_of_more_than_ten_thousand_lines(
    kb: healthkb.KnowledgeBase,
) -> None:
    alone = WORKERS_AFTER // LINES_PER_CHUNK
    for items, started in ((alone, False), (alone + 1, True)):
        spawned = local_runners(2, alone=alone, fork=False, alone_forked=4)
        with spawned((kb,)) as runner:
            assert isinstance(runner, PoolRunner)
            list(runner.map(where, range(items), at_hand=True))
            assert runner.workers_started == started


class AtASlowWorker:
    """An item at a worker that has not finished it (its result, when asked, is there)."""

    def __init__(self, item: int) -> None:
        self.item = item

    def done(self) -> bool:
        return False

    def result(self) -> tuple[str, int]:
        return "worker", self.item

    def cancel(self) -> bool:
        return False


def done_here(item: int) -> tuple[str, int]:
    return "here", item


@pytest.mark.parametrize("take_back", [False, True])
def test_at_the_end_this_process_takes_back_the_items_still_at_the_workers_but_the_first(
    take_back: bool,
) -> None:
    answers = in_order_helping(
        AtASlowWorker, done_here, range(6), READY, window=3, take_back=take_back
    )
    # Items 0 to 2 went to the workers, 3 to 5 were done here.
    taken_back = ["here", "here"] if take_back else ["worker", "worker"]
    where = ["worker", *taken_back, "here", "here", "here"]
    assert list(answers) == list(zip(where, range(6), strict=True))


def test_items_go_to_the_workers_once_they_are_up(kb: healthkb.KnowledgeBase) -> None:
    items = iter(range(10_000))
    with local_runners(2, alone=0)((kb,)) as runner:
        seen: set[int] = set()
        for _, pid in runner.map(slowly_where, items):
            seen.add(pid)
            if len(seen) == 2:
                break  # a worker answered too: the rest of the items are never read
    assert len(seen) == 2 and next(items) < 10_000


def test_items_at_hand_no_more_than_alone_start_no_worker(kb: healthkb.KnowledgeBase) -> None:
    with local_runners(2, alone=5)((kb,)) as runner:
        assert isinstance(runner, PoolRunner)
        answers = list(runner.map(where, range(5), at_hand=True))
        assert answers == [(i, os.getpid()) for i in range(5)]
        assert not runner.workers_started


def test_items_at_hand_more_than_alone_start_the_workers_at_once(
    kb: healthkb.KnowledgeBase,
) -> None:
    with local_runners(2, alone=10_000)((kb,)) as runner:
        answers = runner.map(slowly_where, range(10_001), at_hand=True)
        # A worker answers an item long before this process has done `alone` of them.
        first_at_a_worker = next(item for item, pid in answers if pid != os.getpid())
        assert first_at_a_worker < 10_000


def unreadable_after(count: int) -> Iterator[int]:
    yield from range(count)
    raise OSError("the disk went away")


def test_an_error_reading_ahead_is_raised_after_the_items_before_it(
    kb: healthkb.KnowledgeBase,
) -> None:
    with local_runners(2, alone=5)((kb,)) as runner:
        assert isinstance(runner, PoolRunner)
        answers = runner.map(where, unreadable_after(3), at_hand=True)
        assert [next(answers) for _ in range(3)] == [(i, os.getpid()) for i in range(3)]
        with pytest.raises(OSError, match="the disk went away"):
            next(answers)
        assert not runner.workers_started


# Runs a command as this (sub)process's child, adopting whatever it leaves behind (a
# child subreaper: orphans of the command's tree come to it, not to init), and prints
# the command lines of the processes still around once the command has ended.
ADOPT_LEFTOVERS = """
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
code = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL).returncode
left = []
for pid in os.listdir("/proc"):
    try:
        with open(f"/proc/{pid}/stat") as stat, open(f"/proc/{pid}/cmdline") as cmd:
            if int(stat.read().rsplit(")", 1)[1].split()[1]) == os.getpid():
                left.append(cmd.read().replace(chr(0), " ").strip() or "(exited)")
    except (OSError, ValueError, IndexError):
        pass
print(code, left)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux child subreaper")
def test_the_command_with_workers_ends_with_every_process_it_started_reaped(
    tmp_path: Path,
) -> None:
    people = population.write(tmp_path / "people.jsonl", 600)
    command = [HEALTHKB, "batch", str(people), "--out", str(tmp_path / "a.jsonl")]
    command += ["--workers", "2", "--workers-after", "0", "--quiet"]
    run = subprocess.run(
        [sys.executable, "-c", ADOPT_LEFTOVERS, *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout.strip() == "0 []", run.stdout + run.stderr


class SeenAtHand(Runner):
    """Answers in this process, noting whether the job said its items are at hand."""

    def __init__(self, kbs: tuple[healthkb.KnowledgeBase, ...], seen: list[bool]) -> None:
        self.kbs, self.seen = kbs, seen

    def map(self, task: Task[R], items: Iterable[T], *, at_hand: bool = False) -> Iterator[R]:
        self.seen.append(at_hand)
        return (task(*self.kbs, item) for item in items)


def test_a_batch_reads_a_file_ahead_but_not_standard_input_from_a_pipe(
    tmp_path: Path, kb: healthkb.KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = population.write(tmp_path / "people.jsonl", 30)
    seen: list[bool] = []

    @contextmanager
    def seeing(kbs: tuple[healthkb.KnowledgeBase, ...]) -> Iterator[Runner]:
        yield SeenAtHand(kbs, seen)

    run_batch(people, tmp_path / "a.jsonl", kb, on=seeing)
    read, write = os.pipe()
    os.write(write, people.read_bytes())
    os.close(write)
    with open(read, "rb") as pipe:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(pipe))
        run_batch("-", tmp_path / "b.jsonl", kb, on=seeing)
    assert seen == [True, False]
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def nothing() -> None:
    """A worker's initializer with nothing to do."""


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_the_pipes_to_the_workers_hold_a_chunks_answers_in_one_write() -> None:
    # A 64 kB pipe made a worker wait for this process to read each part of its answers.
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    with process_pool(1, nothing, ()) as pool:
        for queue in (getattr(pool, "_call_queue"), getattr(pool, "_result_queue")):  # noqa: B009
            room = fcntl.fcntl(queue._reader.fileno(), fcntl.F_GETPIPE_SZ)
            assert room >= min(PIPE_BYTES, limit)


def test_a_file_unreadable_within_the_lines_read_ahead_keeps_the_answers_before_it(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    text = b"".join(line.encode() for line in population.lines(600))
    broken = tmp_path / "people.jsonl.gz"
    broken.write_bytes(gzip.compress(text)[:-30])  # the end of the stream cut off
    out = tmp_path / "answers.jsonl"
    with pytest.raises(
        BatchInputError, match=r"cannot read line \d+: .*the lines before it were answered"
    ):
        run_batch(broken, out, kb, workers=2)  # 600 lines: read ahead, no worker
    with pytest.raises(BatchInputError):
        run_batch(broken, tmp_path / "one.jsonl", kb, workers=1)
    partial = Path(f"{out}.partial").read_bytes()
    assert partial and partial == Path(f"{tmp_path / 'one.jsonl'}.partial").read_bytes()


def test_an_input_unreadable_after_the_workers_started_keeps_every_answer_before_it(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    # The chunks at the workers when the input fails are answered and written first,
    # as one process writes them (they were dropped: "the lines before it were answered"
    # was not so).
    text = b"".join(line.encode() for line in population.lines(20 * LINES_PER_CHUNK))
    broken = tmp_path / "people.jsonl.gz"
    broken.write_bytes(gzip.compress(text)[:-30])  # the end of the stream cut off
    written = []
    for name, workers in (("one", local_runners(1)), ("two", local_runners(2, alone=1))):
        out = tmp_path / f"{name}.jsonl"
        with pytest.raises(BatchInputError, match="the lines before it were answered"):
            run_batch(broken, out, kb, on=workers)
        written.append(Path(f"{out}.partial").read_bytes())
    assert written[0].count(b"\n") == 19 * LINES_PER_CHUNK
    assert written[1] == written[0]


def test_in_order_gives_every_result_read_before_an_unreadable_item_then_its_error() -> None:
    def items() -> Iterator[int]:
        yield from range(10)
        raise BatchInputError("item 11 cannot be read")

    given = []
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(BatchInputError, match="item 11"):
            for result in in_order(lambda item: pool.submit(abs, -item), items(), window=4):
                given.append(result)
        assert given == list(range(10))
        given.clear()
        with pytest.raises(BatchInputError, match="item 11"):
            helping = in_order_helping(
                lambda item: pool.submit(abs, -item), abs, items(), READY, window=3
            )
            for result in helping:
                given.append(result)
        assert given == list(range(10))


# In a fresh process, which runs one thread when the run starts, and a second one from
# the moment its first answer is read (a program reading a pipe's answers as they come).
THREAD_STARTED_BEFORE_THE_WORKERS = """
import os, threading
from pathlib import Path
import healthkb
from healthkb.batch import forked
from healthkb.batch.forked import can_fork
from healthkb.batch.runners import local_runners
from tests.batch.test_workers_start import answered_by
kb = healthkb.load()
assert can_fork()
stop = threading.Event()
other = threading.Thread(target=stop.wait)
with local_runners(2, alone=1)((kb,)) as runner:
    for item, pid, command in runner.map(answered_by, iter(range(100_000))):
        if item == 0:
            other.start()
        if pid != os.getpid():
            break
stop.set()
other.join()
print(command == Path("/proc/self/cmdline").read_bytes(), runner.workers_started)
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_workers_are_not_forked_once_another_thread_runs_even_if_it_started_during_the_run() -> (
    None
):
    # Whether to fork was decided when the run started; the fork itself comes once this
    # process has answered `alone` items of a pipe, and a thread may have started since.
    done = run_fresh_python(
        [sys.executable, "-c", THREAD_STARTED_BEFORE_THE_WORKERS],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # A forked worker runs this process's command line; a spawned one its own.
    assert done.stdout.split() == ["False", "True"], done.stdout


@pytest.mark.parametrize("piece", [7, 4096, 300_000])
def test_answers_from_a_forked_worker_are_read_whole_however_the_pipe_cuts_them(
    piece: int,
) -> None:
    # The results' buffer is kept from read to read (`forked._Inbox`): frames split
    # anywhere, several in one read, and larger than the buffer all come out whole.
    values = [b"", b"a" * 10, list(range(1000)), b"b" * (3 << 20), "c" * 200_000, None]
    frames = b"".join(
        forked._HEADER.pack(len(data)) + data
        for data in (pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) for value in values)
    )
    reader, writer = os.pipe()

    def write() -> None:
        for start in range(0, len(frames), piece):
            os.write(writer, frames[start : start + piece])
        os.close(writer)

    sender = threading.Thread(target=write)
    sender.start()
    inbox, received = forked._Inbox(), []
    try:
        while len(received) < len(values):
            received += inbox.read(reader)
        with pytest.raises(forked.WorkerGone):
            inbox.read(reader)
    finally:
        sender.join()
        os.close(reader)
    assert received == values


def test_a_gzip_output_packed_by_the_forked_workers_is_the_bytes_one_process_writes(
    tmp_path: Path,
) -> None:
    # Each chunk's answers are packed where the chunk is answered (a worker or this
    # process), one gzip member per chunk either way.
    people = population.write(tmp_path / "people.jsonl", 6 * LINES_PER_CHUNK + 7)
    written = {}
    for workers in ("1", "2"):
        out = tmp_path / f"answers-{workers}.jsonl.gz"
        command = [HEALTHKB, "batch", str(people), "--out", str(out), "--workers", workers]
        done = subprocess.run([*command, "--workers-after", "0", "--quiet"], capture_output=True)
        assert done.returncode == 0, done.stderr
        written[workers] = out.read_bytes()
    assert written["1"] == written["2"]
    assert written["2"].count(b"\x1f\x8b\x08\x00\x00\x00\x00\x00") == 7  # a member a chunk
    assert gzip.decompress(written["2"]).count(b"\n") == 6 * LINES_PER_CHUNK + 7
