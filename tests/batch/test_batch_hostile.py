"""`healthkb batch` never destroys its input nor mixes two runs: hostile cases of the
red-team pass (issue 17), run as real `healthkb batch` processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.benchmarks import population

HEALTHKB = str(Path(sys.executable).parent / "healthkb")


def batch(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HEALTHKB, "batch", *map(str, args), "--quiet"], cwd=cwd, capture_output=True, text=True
    )


def partial_of(out: Path) -> Path:
    return out.with_name(out.name + ".partial")


def lock_of(out: Path) -> Path:
    return out.with_name(out.name + ".lock")


def wait_for_answers(process: subprocess.Popen[str], out: Path) -> None:
    """Until the run has written some answers to its partial file."""
    deadline = time.monotonic() + 180  # worker processes start slowly on a loaded machine
    while time.monotonic() < deadline and process.poll() is None:
        if partial_of(out).exists() and partial_of(out).stat().st_size > 0:
            return
        time.sleep(0.02)
    raise AssertionError("the run wrote nothing, or finished before it was looked at")


@pytest.mark.parametrize("how", ["same name", "symlink", "hard link", "two workers"])
def test_an_output_that_is_the_input_is_refused_and_the_input_kept(
    tmp_path: Path, how: str
) -> None:
    people = population.write(tmp_path / "people.jsonl", 600)
    before = people.read_bytes()
    out = people
    if how == "symlink":
        out = tmp_path / "answers.jsonl"
        out.symlink_to(people.name)
    elif how == "hard link":
        out = tmp_path / "answers.jsonl"
        os.link(people, out)
    workers = "2" if how == "two workers" else "1"
    done = batch(people, "--out", out, "--workers", workers, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"healthkb: {out}: is the input ({people}) itself" in done.stderr
    assert "Traceback" not in done.stderr
    assert people.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {"people.jsonl", out.name}
    )  # no partial or lock file left behind


def started_on_a_pipe(people: Path, out: Path, lines: int) -> subprocess.Popen[bytes]:
    """A run reading profiles from a pipe, fed the first `lines` of `people`, then kept
    waiting for more: it holds the output's lock and has written some answers."""
    process = subprocess.Popen(
        [HEALTHKB, "batch", "-", "--out", str(out), "--workers", "1", "--quiet"],
        cwd=out.parent,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    process.stdin.write(b"".join(people.read_bytes().splitlines(keepends=True)[:lines]))
    process.stdin.flush()
    wait_for_answers(process, out)
    return process


def test_a_killed_run_leaves_the_previous_output_whole_and_resume_continues_its_partial(
    tmp_path: Path,
) -> None:
    people = population.write(tmp_path / "people.jsonl", 2_000)
    out = tmp_path / "answers.jsonl"
    out.write_text("the previous answers\n")
    process = started_on_a_pipe(people, out, 600)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert out.read_text() == "the previous answers\n"
    assert partial_of(out).read_bytes().count(b"\n") in (250, 500)  # whole chunks
    resumed = batch(people, "--out", out, "--workers", "1", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    fresh = batch(people, "--out", tmp_path / "fresh.jsonl", "--workers", "1", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()
    assert not partial_of(out).exists() and not lock_of(out).exists()


def test_a_second_run_on_the_same_output_is_refused_naming_the_first(tmp_path: Path) -> None:
    people = population.write(tmp_path / "people.jsonl", 600)
    out = tmp_path / "answers.jsonl"
    first = started_on_a_pipe(people, out, 300)
    try:
        for extra in ([], ["--resume"], ["--workers", "2"]):
            second = batch(people, "--out", out, "--workers", "1", *extra, cwd=tmp_path)
            assert second.returncode == 2, second.stderr
            assert (
                f"healthkb: {out}: another healthkb batch is writing it (pid {first.pid} on "
                in second.stderr
            )
        # The first run goes on unharmed, to the end of its input.
        _, errors = first.communicate(b"".join(people.read_bytes().splitlines(True)[300:]), 300)
        assert first.returncode == 0, errors
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    fresh = batch(people, "--out", tmp_path / "fresh.jsonl", "--workers", "1", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()
    assert not lock_of(out).exists()


def test_an_output_through_a_link_replaces_the_file_it_links_to(tmp_path: Path) -> None:
    people = population.write(tmp_path / "people.jsonl", 30)
    (tmp_path / "results").mkdir()
    target = tmp_path / "results" / "answers.jsonl"
    target.write_text("old\n")
    link = tmp_path / "answers.jsonl"
    link.symlink_to(target)
    done = batch(people, "--out", link, "--workers", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and target.read_text().count("\n") == 30
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["answers.jsonl"]


def test_a_key_given_twice_or_nan_is_refused_in_place_as_a_json_profile_is(
    tmp_path: Path,
) -> None:
    twice = (
        '{"symptoms": {"physical_discomfort": false}, "symptoms": {"physical_discomfort": true}}'
    )
    nan = '{"running": {"sessions_per_week": NaN}}'
    people = tmp_path / "people.jsonl"
    people.write_text(
        f'{{"id": 1, "profile": {twice}}}\n{{"id": 2, "profile": {nan}}}\n'
        '{"id": 3, "id": 4, "profile": {}}\n{"id": 5, "profile": {}}\n'
    )
    done = batch(people, "--out", "answers.jsonl", "--workers", "1", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    answers = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    codes = [answer.get("error", {}).get("code") for answer in answers]
    assert codes == ["duplicate-key", "json-value", "duplicate-key", None]
    # The same code and words as `healthkb evaluate` on a `.json` profile file.
    for number, profile in ((1, twice), (2, nan)):
        (tmp_path / "profile.json").write_text(profile + "\n")
        evaluated = subprocess.run(
            [HEALTHKB, "evaluate", "profile.json"], cwd=tmp_path, capture_output=True, text=True
        )
        assert evaluated.returncode == 2
        error = answers[number - 1]["error"]
        assert f"{error['code']}: {error['message']}" in evaluated.stderr
        (problem,) = error["problems"]
        assert problem["line"] == number and problem["column"] > 1


# The first chunk answered by the command itself, and so written before more input is
# read (a worker's answers are taken when the next line has been read: from a pipe that
# the test keeps waiting, maybe not before the end).
TWO_WORKERS_AFTER_A_CHUNK = ["--workers", "2", "--workers-after", "250"]
THREE_WORKERS_AFTER_A_CHUNK = ["--workers", "3", "--workers-after", "250"]


def worker_processes(pid: int) -> list[int]:
    """The worker processes under `pid`: forked (the command's own command line) or
    spawned (multiprocessing's `spawn_main`), not multiprocessing's resource tracker."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if command == own or (b"spawn_main" in command and b"resource_tracker" not in command):
            workers.append(child)
    return workers


def started_workers(pid: int, count: int) -> list[int]:
    """The worker processes under `pid`, once `count` of them are there (they start as
    the command reads on after answering its first chunk)."""
    deadline = time.monotonic() + 180
    while len(workers := worker_processes(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return workers


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_a_killed_worker_process_stops_the_run_in_one_line_and_resume_finishes_it(
    tmp_path: Path,
) -> None:
    people = population.write(tmp_path / "people.jsonl", 1_500)
    out = tmp_path / "answers.jsonl"
    rest = b"".join(people.read_bytes().splitlines(keepends=True)[1_100:])
    with answering_from_a_pipe(people, out, TWO_WORKERS_AFTER_A_CHUNK, subprocess.PIPE) as run:
        os.kill(started_workers(run.pid, 1)[0], signal.SIGKILL)
        _, errors = run.communicate(rest, timeout=120)
    written = partial_of(out).read_bytes().count(b"\n")
    assert run.returncode == 2, errors.decode()
    assert errors.decode().splitlines()[-1] == (
        "healthkb: a worker process stopped (killed, or out of memory); "
        f"{written:,} answers written; rerun with --resume (they are in {partial_of(out)})"
    )
    assert "Traceback" not in errors.decode()
    resumed = batch(people, "--out", out, "--workers", "1", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    fresh = batch(people, "--out", tmp_path / "fresh.jsonl", "--workers", "1", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()


@pytest.mark.parametrize("planted", [".partial", ".lock"])
@pytest.mark.parametrize("resume", [False, True])
def test_a_link_planted_as_the_partial_or_lock_file_is_refused_never_written_through(
    tmp_path: Path, planted: str, resume: bool
) -> None:
    people = population.write(tmp_path / "people.jsonl", 30)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "answers.jsonl"
    link = out.with_name(out.name + planted)
    link.symlink_to(victim)
    done = batch(
        people, "--out", out, "--workers", "1", *(["--resume"] if resume else []), cwd=tmp_path
    )
    assert done.returncode == 2, done.stderr
    assert f"healthkb: {link}: is a link; healthkb writes only its own file there" in done.stderr
    assert victim.read_text() == "precious\n" and not out.exists()


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


def still_alive_after(pids: list[int], seconds: float) -> list[int]:
    """Those of `pids` still running once they all ended or `seconds` passed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(map(_alive, pids)):
        time.sleep(0.01)
    return [pid for pid in pids if _alive(pid)]


@contextmanager
def answering_from_a_pipe(
    people: Path, out: Path, workers: list[str], stderr: int = subprocess.DEVNULL
) -> Iterator[subprocess.Popen[bytes]]:
    """`healthkb batch -` with `workers`, given the first 1,100 of `people`'s lines (four
    chunks, and a part of a fifth that waits for the rest) through its standard input,
    kept open, and answering them; killed at the end if still running."""
    run = subprocess.Popen(
        [HEALTHKB, "batch", "-", "--out", str(out), "--quiet", *workers],
        cwd=out.parent,
        stdin=subprocess.PIPE,
        stderr=stderr,
    )
    try:
        assert run.stdin is not None
        run.stdin.write(b"".join(people.read_bytes().splitlines(keepends=True)[:1_100]))
        run.stdin.flush()
        wait_for_answers(run, out)
        yield run
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["kill", "kill-9"])
def test_a_stopped_run_leaves_no_worker_process_behind(tmp_path: Path, stop: int) -> None:
    """A run with worker processes stopped by `kill` (SIGTERM) or `kill -9`: its workers
    and multiprocessing's resource tracker went on living for good (a worker blocked on a
    pipe nobody read), and after SIGTERM the lock stayed. Now SIGTERM stops the pool and
    lets go of the lock before the run ends as terminated; after SIGKILL, when nothing of
    the command runs, each worker ends when it finds its parent gone."""
    people = population.write(tmp_path / "people.jsonl", 1_500)
    out = tmp_path / "answers.jsonl"
    with answering_from_a_pipe(people, out, TWO_WORKERS_AFTER_A_CHUNK) as run:
        assert started_workers(run.pid, 1)
        children = [
            int(c) for c in Path(f"/proc/{run.pid}/task/{run.pid}/children").read_text().split()
        ]
        run.send_signal(stop)
        assert run.wait(timeout=60) == -stop
        left = still_alive_after(children, 20)
    for child in left:
        os.kill(child, signal.SIGKILL)
    assert not left
    if stop == signal.SIGTERM:
        assert not lock_of(out).exists()


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "workers", [["--workers", "1"], TWO_WORKERS_AFTER_A_CHUNK], ids=["one-worker", "two-workers"]
)
def test_ctrl_c_ends_a_run_as_interrupted_without_a_traceback(
    tmp_path: Path, workers: list[str]
) -> None:
    """Ctrl-C (SIGINT to the terminal's process group, the command and its workers)
    printed Python's KeyboardInterrupt traceback, thirty lines ending in wherever the
    command happened to be (59e0d10 and earlier too; found by parity's interruption
    runs). Now it goes out as SIGTERM does: the pool stopped, the lock let go of, the
    partial file kept with whole answers only, and the process ends as interrupted
    (exit status 130 in a shell), with nothing more on standard error."""
    people = population.write(tmp_path / "people.jsonl", 1_500)
    out = tmp_path / "answers.jsonl"
    run = subprocess.Popen(
        [HEALTHKB, "batch", "-", "--out", str(out), "--quiet", *workers],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert run.stdin is not None
        run.stdin.write(b"".join(people.read_bytes().splitlines(keepends=True)[:1_100]))
        run.stdin.flush()
        wait_for_answers(run, out)
        if workers == TWO_WORKERS_AFTER_A_CHUNK:
            assert started_workers(run.pid, 1)
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    said = [line for line in stderr.decode().splitlines() if "using the bundled KB" not in line]
    assert (run.returncode, said) == (-signal.SIGINT, [])
    assert not lock_of(out).exists()
    kept = partial_of(out).read_bytes()
    assert kept.endswith(b"\n")
    assert all(json.loads(line)["id"] for line in kept.splitlines())


def settled_descriptors(worker: int) -> set[str]:
    """What the worker's descriptors refer to, once it has let go of what it inherited
    (it does so first thing, a moment after the fork)."""
    fds = Path(f"/proc/{worker}/fd")
    deadline = time.monotonic() + 60
    while True:
        try:
            held = {os.readlink(fds / fd) for fd in os.listdir(fds)}
        except FileNotFoundError:
            # A descriptor listed was closed before it was read: still letting go.
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
            continue
        if all(name.startswith("pipe:") or name == "/dev/null" for name in held):
            return held
        if time.monotonic() > deadline:
            return held
        time.sleep(0.01)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_forked_workers_hold_none_of_the_commands_files_and_end_with_it(
    tmp_path: Path,
) -> None:
    """A worker forked from the command inherits its descriptors: the output's lock (a
    copy holding it would keep the output locked against `--resume` after the command
    was killed), the input, the output, the other workers' pipes. Each keeps its own two
    pipes, the rest pointed at /dev/null, and dies with the command, even `kill -9`ed."""
    people = population.write(tmp_path / "people.jsonl", 1_500)
    out = tmp_path / "answers.jsonl"
    with answering_from_a_pipe(people, out, THREE_WORKERS_AFTER_A_CHUNK) as run:
        workers = started_workers(run.pid, 2)
        own = Path(f"/proc/{run.pid}/cmdline").read_bytes()
        assert len(workers) == 2
        held = []
        for worker in workers:
            assert Path(f"/proc/{worker}/cmdline").read_bytes() == own  # forked
            held.append(settled_descriptors(worker))
        for files in held:
            assert {name for name in files if not name.startswith("pipe:")} == {"/dev/null"}
            assert len([name for name in files if name.startswith("pipe:")]) == 2
        assert held[0].isdisjoint(held[1] - {"/dev/null"})  # its own pipes only
        run.kill()
        run.wait()
    assert not still_alive_after(workers, 10)
    resumed = batch(people, "--out", out, "--workers", "2", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert batch(people, "--out", tmp_path / "fresh.jsonl", cwd=tmp_path).returncode == 0
    assert out.read_bytes() == (tmp_path / "fresh.jsonl").read_bytes()


@pytest.mark.parametrize("kind", ["folder", "pipe"])
def test_an_output_that_is_a_folder_or_a_pipe_is_refused_before_any_answer(
    tmp_path: Path, kind: str
) -> None:
    # The answers are renamed into the output's place: over a device (`--out /dev/null`
    # with the rights to write /dev) that replaced the device with a file.
    people = population.write(tmp_path / "people.jsonl", 50)
    out = tmp_path / "answers"
    if kind == "folder":
        out.mkdir()
    else:
        os.mkfifo(out)
    done = batch(people, "--out", out, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    shown = "a folder" if kind == "folder" else "not a regular file (a device or a pipe)"
    assert f"healthkb: {out}: is {shown}; batch writes its answers" in done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers", "people.jsonl"]
    assert out.is_dir() if kind == "folder" else not out.is_file()
