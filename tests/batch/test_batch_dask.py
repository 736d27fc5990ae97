"""The batch and impact jobs on a real Dask cluster: a `distributed.LocalCluster` with
two worker processes on loopback. Its output must be the local run's, byte for byte."""

from __future__ import annotations

import gzip
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_batch import copy_kb, lengthen_running_sessions
from test_impact import impact_json
from tests.benchmarks import population
from tests.benchmarks.batch import local_cluster

import healthkb
from healthkb.batch import cluster
from healthkb.batch.job import LINES_PER_CHUNK, run_batch
from healthkb.batch.jsonlines import BatchInputError
from healthkb.cli import main

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with local_cluster() as local:
        yield local.scheduler_address


def test_a_dask_run_writes_the_bytes_of_a_local_run(
    scheduler: str, tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    people = population.write(tmp_path / "people.jsonl", 2 * LINES_PER_CHUNK + 33)
    with people.open("a") as file:
        file.write('not json\n{"id": "x", "profile": {"running": {"pace": 1}}}\n')
    local = run_batch(people, tmp_path / "local.jsonl.gz", kb, workers=1)
    args = ["batch", str(people), "--out", str(tmp_path / "dask.jsonl.gz"), "--quiet"]
    assert main([*args, "--dask", scheduler]) == 1
    assert local.refused == 2
    dask_bytes = (tmp_path / "dask.jsonl.gz").read_bytes()
    assert dask_bytes == (tmp_path / "local.jsonl.gz").read_bytes()
    assert gzip.decompress(dask_bytes).count(b"\n") == 2 * LINES_PER_CHUNK + 35


def test_an_impact_report_on_dask_is_the_local_one(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = copy_kb(tmp_path / "old"), copy_kb(tmp_path / "new")
    lengthen_running_sessions(new)
    people = str(population.write(tmp_path / "people.jsonl", 400))
    local = impact_json(capsys, str(old), str(new), people, "--workers", "1")
    on_dask = impact_json(capsys, str(old), str(new), people, "--dask", scheduler)
    assert on_dask == local and local["changed"] > 0


def test_dask_workers_refuse_kb_files_that_changed_since_they_were_loaded(
    scheduler: str, tmp_path: Path
) -> None:
    root = copy_kb(tmp_path / "kb")
    rules = root / "rules" / "running_and_diet.yaml"
    # A KB no other test sends: the workers keep each KB they were sent, by its digest.
    rules.write_text(
        rules.read_text()
        .replace("gt: 30", "gt: 33")
        .replace("version: 1", "version: 2", 1)
        .replace("a week, for more than 30", "a week, for more than 33")
    )
    kb = healthkb.load(root)
    rules.write_text(
        rules.read_text().replace("gt: 33", "gt: 34").replace("more than 33", "more than 34")
    )
    people = population.write(tmp_path / "people.jsonl", 10)
    with pytest.raises(cluster.ClusterError, match=r"a Dask worker refused the KB: .* as sent"):
        run_batch(people, tmp_path / "a.jsonl", kb, on=cluster.dask_runners(scheduler))


def test_a_scheduler_that_cannot_be_reached_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_SECONDS", 1)
    people = population.write(tmp_path / "people.jsonl", 3)
    args = ["batch", str(people), "--out", str(tmp_path / "a.jsonl"), "--dask", "tcp://127.0.0.1:9"]
    (tmp_path / "a.jsonl").write_text("a finished run's answers\n")
    assert main(args) == 2
    assert main([*args, "--resume"]) == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err
    # Nothing made or moved: the earlier output stays where it was, alone.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jsonl", "people.jsonl"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def started(*command: str, cwd: Path) -> subprocess.Popen[bytes]:
    """A command of this environment's bin folder, its output discarded."""
    program = str(Path(sys.executable).parent / command[0])
    return subprocess.Popen(
        [program, *command[1:]], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_a_lost_scheduler_stops_the_run_with_exit_2_and_resume_finishes_it(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    """A real `dask scheduler` process, SIGKILLed while a run reads its input from a pipe
    (so the run is certainly mid-way): one line saying so, the answers so far kept."""
    people = population.write(tmp_path / "people.jsonl", 6_000)
    lines = people.read_bytes().splitlines(keepends=True)
    bin_folder = Path(sys.executable).parent
    address = f"tcp://127.0.0.1:{free_port()}"
    host, port = address.removeprefix("tcp://").split(":")
    scheduler = started(
        "dask", "scheduler", "--host", host, "--port", port, "--no-dashboard", cwd=tmp_path
    )
    worker = started("dask", "worker", address, "--nthreads", "1", "--no-dashboard", cwd=tmp_path)
    out = tmp_path / "answers.jsonl"
    run = subprocess.Popen(
        [bin_folder / "healthkb", "batch", "-", "--out", out, "--dask", address, "--quiet"],
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert run.stdin is not None
        run.stdin.write(b"".join(lines[:3_000]))
        run.stdin.flush()
        partial = tmp_path / "answers.jsonl.partial"
        deadline = time.monotonic() + 120
        while not (partial.exists() and partial.stat().st_size) and time.monotonic() < deadline:
            assert run.poll() is None, run.stderr.read() if run.stderr else ""
            time.sleep(0.05)
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait()
        _, errors = run.communicate(b"".join(lines[3_000:]), timeout=120)
    finally:
        for process in (run, worker, scheduler):
            if process.poll() is None:
                process.kill()
                process.wait()
    message = errors.decode().splitlines()[-1]
    written = partial.read_bytes().count(b"\n")
    assert run.returncode == 2, errors.decode()
    assert message == (
        f"healthkb: lost the Dask scheduler; {written:,} answers written; rerun with --resume "
        f"(they are in {partial})"
    )
    assert "Traceback" not in errors.decode() and 0 < written < 6_000
    resumed = main(["batch", str(people), "--out", str(out), "--workers", "1", "--resume"])
    assert resumed == 0
    run_batch(people, tmp_path / "local.jsonl", kb)
    assert out.read_bytes() == (tmp_path / "local.jsonl").read_bytes()


def test_an_input_unreadable_mid_run_on_dask_keeps_every_answer_before_it(
    scheduler: str, tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    text = b"".join(line.encode() for line in population.lines(9 * LINES_PER_CHUNK + 40))
    broken = tmp_path / "people.jsonl.gz"
    broken.write_bytes(gzip.compress(text)[:-30])  # the end of the stream cut off
    written = []
    for name, on in (("local", None), ("dask", cluster.dask_runners(scheduler))):
        out = tmp_path / f"{name}.jsonl"
        with pytest.raises(BatchInputError, match="the lines before it were answered"):
            run_batch(broken, out, kb, workers=1, on=on)
        written.append(Path(f"{out}.partial").read_bytes())
    assert written[0].count(b"\n") == 9 * LINES_PER_CHUNK
    assert written[1] == written[0]
