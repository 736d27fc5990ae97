"""Run the console sessions of docs/service.md against real servers; compare outputs.

Like tests/support/walkthrough.py for the other guides, with what a service needs: a
`$ healthkb serve ... --port N` line starts that server (on a free port instead of N)
and leaves it running for the commands after it, which reach it at the address the
doc shows (`127.0.0.1:N` is replaced by the real one). Every other command runs in
bash, in a fresh folder holding a copy of kb/, with the test's Python first on PATH.
Output is compared line by line, except: a line `…` stands for any run of lines;
digests, uuids, times, ports and process ids may differ.

To print what each step really prints (for pasting into the doc):

    python tests/support/service_docs.py
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from support.service_process import free_port, running

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "service.md"
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
_NORMAL = [
    (re.compile(r"sha256:[0-9a-f]{64}"), "sha256:…"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"), "<time>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r'"worker": \d+'), '"worker": <pid>'),
    (re.compile(r"date: .*"), "date: <date>"),
]


@dataclass(frozen=True)
class Step:
    line: int
    command: str
    shown: list[str]


def steps(text: str) -> list[Step]:
    found: list[Step] = []
    lines = text.splitlines()
    inside = False
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip() == "```console":
            inside = True
        elif line.strip() == "```":
            inside = False
        elif inside and line.startswith("$ "):
            start = index
            command = [line[2:]]
            heredoc = _HEREDOC.search(line)
            while command[-1].endswith("\\") or heredoc:
                index += 1
                command.append(lines[index])
                if heredoc and lines[index] == heredoc.group(2):
                    heredoc = None
            shown = []
            while (
                index + 1 < len(lines)
                and not lines[index + 1].startswith("$ ")
                and lines[index + 1].strip() != "```"
            ):
                index += 1
                shown.append(lines[index])
            found.append(Step(start + 1, "\n".join(command), shown))
        index += 1
    return found


def normal(line: str) -> str:
    for pattern, replacement in _NORMAL:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def matches(shown: list[str], printed: list[str]) -> bool:
    """Whether printed lines fit the shown ones (`…` standing for any run of lines)."""
    shown = [normal(s) for s in shown]
    printed = [normal(p) for p in printed]
    while shown and not shown[-1]:
        shown.pop()
    while printed and not printed[-1]:
        printed.pop()

    def fit(i: int, j: int) -> bool:
        if i == len(shown):
            return j == len(printed)
        if shown[i] in ("…", "..."):
            return any(fit(i + 1, k) for k in range(j, len(printed) + 1))
        return j < len(printed) and shown[i] == printed[j] and fit(i + 1, j + 1)

    return fit(0, 0)


def run(work: Path, compare: bool = True) -> list[tuple[Step, list[str]]]:
    """Run every step in `work`; return what each printed. AssertionError on a mismatch."""
    shutil.copytree(ROOT / "kb", work / "kb")
    shutil.copytree(ROOT / "rules", work / "rules")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    addresses: dict[str, str] = {}
    outputs = []
    with ExitStack() as servers:
        for step in steps(DOC.read_text(encoding="utf-8")):
            command = step.command
            for shown, real in addresses.items():
                command = command.replace(shown, real)
            if command.startswith("healthkb serve ") and ";" not in command:
                # A free port of its own, also where the command names its own URL
                # (`--public-url http://127.0.0.1:N`).
                words = shlex.split(command)[2:]
                at = words.index("--port") + 1
                port, words[at] = words[at], str(free_port())
                words = [w.replace(f"127.0.0.1:{port}", f"127.0.0.1:{words[at]}") for w in words]
                server = servers.enter_context(running(*words, cwd=work))
                addresses[f"127.0.0.1:{port}"] = server.url.removeprefix("http://")
                printed = [line.rstrip("\n") for line in server.output if "healthkb:" in line]
            else:
                finished = subprocess.run(
                    ["bash", "-c", command],
                    cwd=work,
                    env=environment,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                printed = (finished.stdout + finished.stderr).splitlines()
            outputs.append((step, printed))
            if compare and not matches(step.shown, printed):
                raise AssertionError(
                    f"docs/service.md:{step.line}: `{step.command.splitlines()[0]}` printed:\n"
                    + "\n".join(printed)
                    + "\n--- the doc shows ---\n"
                    + "\n".join(step.shown)
                )
    return outputs


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        for step, printed in run(Path(folder), compare=False):
            print(f"$ {step.command}")
            print("\n".join(printed))
