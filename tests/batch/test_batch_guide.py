"""docs/batch.md runs as written: its console sessions in a fresh copy of the KB, its
Dask commands against a scheduler and workers started as the doc starts them (on a
free loopback port in place of 8786), and its Python snippet."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT
from support.walkthrough import WALKTHROUGHS, run_walkthrough

DOC = ROOT / "docs" / "batch.md"


def test_the_batch_guide_sessions_print_what_the_doc_shows(tmp_path: Path) -> None:
    checkout = tmp_path / "healthkb"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, checkout / folder)
    home = tmp_path / "home"
    home.mkdir()
    assert run_walkthrough(DOC, WALKTHROUGHS["batch.md"], checkout, home) >= 14


def dask_commands() -> list[str]:
    """The commands of the doc's Dask section: its ```sh blocks, pip install aside."""
    section = DOC.read_text(encoding="utf-8").split("## On a Dask cluster", 1)[1].split("\n## ")[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
    commands = [line for block in blocks for line in block.splitlines() if line.strip()]
    assert commands[0] == "pip install 'healthkb[dask]'"
    return commands[1:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_the_dask_commands_of_the_guide_run_a_batch_on_a_cluster(tmp_path: Path) -> None:
    scheduler, worker, batch = dask_commands()
    assert scheduler.startswith("dask scheduler ") and worker.startswith("dask worker ")
    port = str(free_port())
    bin_folder = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    people = tmp_path / "people.jsonl"
    people.write_text(
        '{"id": "person-1", "profile": {"symptoms": {"physical_discomfort": true}}}\n'
        '{"id": "person-2", "profile": {}}\n'
    )
    started = []
    try:
        for command in (scheduler, worker):
            args = shlex.split(command.replace("8786", port))
            started.append(
                subprocess.Popen(
                    args,
                    cwd=tmp_path,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            time.sleep(1 if command is scheduler else 0)
        done = subprocess.run(
            shlex.split(batch.replace("8786", port)),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        for process in reversed(started):
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
            if process.poll() is None:
                process.kill()
    assert done.returncode == 0, done.stderr
    answers = (tmp_path / "answers.jsonl").read_text().splitlines()
    assert [a[:16] for a in answers] == ['{"id":"person-1"', '{"id":"person-2"']
    assert '"stop_and_rest"' in answers[0]


def test_the_python_snippet_of_the_batch_guide_prints_what_it_shows() -> None:
    text = DOC.read_text(encoding="utf-8")
    code, shown = re.findall(r"```python\n(.*?)```\n\n```output\n(.*?)```", text, re.DOTALL)[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "docs/batch.md", "exec"), {})
    assert printed.getvalue() == shown
