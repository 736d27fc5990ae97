"""Run the console sessions of a document's walk-through as written; compare their output.

A walk-through in docs/ shows shell sessions in ```console blocks:

    $ healthkb validate .
    ok: healthkb-running-fat-loss 0.1.2: 15 rules (15 active), ...

Every `$ ` line of the blocks under the given headings is a command, run in order;
the lines under it, up to the next `$ `, are what it must print (stdout and stderr
together, as a terminal shows them; so no line of output may start with `$ `). A
command goes on over lines ending in `\\` and over the body of a heredoc (`cat > file
<<'EOF'` ... `EOF`), so a step that edits a file is a command the reader can paste.
The commands run as if typed in one terminal: `cd` carries over to the next command,
and `$?` is the previous command's status.

What may differ from the doc, and only that:

- A line holding only `…` or `...` stands for any run of lines, including none.
- Times (`2026-11-25T06:22:48.934195Z`), sha256 digests (in full, or abbreviated as the
  docs show them: `sha256:ff2f668e…`), the version numbers on a `software:` line, and
  the home folder (shown as `~`).
- Ids: a uuid (an audit record) or a 12-digit git commit shown in the doc stands for
  the one printed at that place. The first time it appears it is bound to the real
  one; after that, commands run with the real one in its place and output must show
  the real one there. So the record id printed by one step is the id the next uses.
- Trailing white space, and blank lines at the end of the output.

A command that exits with a status other than 0 fails the walk-through, unless the
next command is `echo $?` (which then prints the status, as the doc must show). A
command under which the doc shows nothing must print nothing.

How commands run: a plain `healthkb ARGS` (no quotes, `~`, `$`, globs, pipes or
redirections; the shell would pass such words unchanged) runs in this process through
`healthkb.cli.main`, the function behind the `healthkb` console script, because that
is about 5 times faster than starting Python. Every other command runs in bash, with
the test's Python first on PATH, so `healthkb` there is the console script installed
with it. Set HEALTHKB_WALKTHROUGH_SUBPROCESS=1 to run every command in bash.

To see what each step really prints, for pasting into the doc (not compared):

    python tests/support/walkthrough.py docs/editors.md "Editor's guide" FOLDER

(FOLDER is where the session starts, as a copy of the repository's kb/ and rules/.)
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from healthkb.cli import main as healthkb_main

_FENCE_OPEN = re.compile(r"^( *)```console\s*$")
_HEADING = re.compile(r"^(#+) (.*?)\s*$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1")
_ELLIPSIS = {"…", "..."}
# Ids that differ on every run: uuids (audit records) and abbreviated git commits.
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{12}\b")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
_DIGEST = re.compile(r"sha256:(?:[0-9a-f]{64}|[0-9a-f]{4,63}(?:…|\.\.\.))")
_SOFTWARE_VERSION = re.compile(r"(?<=[\w)] )\d+(?:\.\d+)+\w*")
# Words bash passes on unchanged: no quoting, expansion, globbing or redirection.
_PLAIN_HEALTHKB = re.compile(r"healthkb(?: [\w./:=,@+-]+)*")


# The walk-throughs of docs/ whose sessions the tests run: doc, and headings in order.
WALKTHROUGHS = {
    # The guide, then the reference after it, whose examples go on in the guide's folder.
    "editors.md": ("Editor's guide", "Editor's reference"),
    "auditors.md": (
        "The report site: the whole knowledge base",
        "The explain page: one answer",
        "Verifying one answer from the log back to the article",
        "Signed checkpoints: a log nobody can rewrite unseen",
        "An auditor's questions, without code",
        "Personal data in the audit log",
    ),
    "batch.md": (
        "Running a batch",
        "Where the answers are written",
        "Resuming an interrupted run",
        "The impact of a release",
    ),
}


class WalkthroughError(AssertionError):
    """A step printed something else than its doc shows, or failed."""


@dataclass(frozen=True)
class Step:
    """One `$ ` command of the doc, what the doc shows under it, and its line."""

    command: str
    shown: tuple[str, ...]
    line: int


# --- reading the doc ----------------------------------------------------------------


def section(text: str, heading: str) -> tuple[list[str], int]:
    """The lines from the heading `heading` to the next heading as high, and the line
    number of the heading. Lines inside fenced blocks are never headings."""
    lines = text.splitlines()
    start = level = None
    fenced = False
    for number, line in enumerate(lines, 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if not match:
            continue
        if start is None and match.group(2) == heading:
            start, level = number, len(match.group(1))
        elif start is not None and level is not None and len(match.group(1)) <= level:
            return lines[start - 1 : number - 1], start
    if start is None:
        raise WalkthroughError(f"no heading `{heading}`")
    return lines[start - 1 :], start


def console_blocks(lines: list[str], first: int) -> Iterator[tuple[list[str], int]]:
    """The body of each ```console block, its indentation removed, and the doc's line
    number of its first line (`first` is the number of `lines[0]`)."""
    index = 0
    while index < len(lines):
        opening = _FENCE_OPEN.match(lines[index])
        index += 1
        if not opening:
            continue
        indent, body, start = len(opening.group(1)), [], first + index
        while index < len(lines) and lines[index].strip() != "```":
            body.append(lines[index][indent:] if lines[index][:indent].isspace() else lines[index])
            index += 1
        index += 1
        yield body, start


def parse(body: list[str], first: int, doc: str) -> list[Step]:
    """The steps of one console block: commands with their continuations and heredocs."""
    found: list[Step] = []
    index = 0
    while index < len(body):
        line_number = first + index
        if not body[index].startswith("$ "):
            raise WalkthroughError(f"{doc}:{line_number}: output shown before any `$ ` command")
        command = [body[index][2:]]
        index += 1
        while command[-1].endswith("\\") and index < len(body):
            command.append(body[index])
            index += 1
        for _, end in _HEREDOC.findall("\n".join(command)):
            while index < len(body) and body[index].lstrip("\t") != end:
                command.append(body[index])
                index += 1
            if index == len(body):
                raise WalkthroughError(f"{doc}:{line_number}: heredoc without its `{end}` line")
            command.append(body[index])
            index += 1
        shown = []
        while index < len(body) and not body[index].startswith("$ "):
            shown.append(body[index])
            index += 1
        found.append(Step("\n".join(command), tuple(shown), line_number))
    return found


def steps(path: Path, headings: Sequence[str]) -> list[Step]:
    """Every step of the console blocks under each of `headings`, in order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for heading in headings:
        lines, first = section(text, heading)
        for body, start in console_blocks(lines, first):
            found.extend(parse(body, start, doc_name(path)))
    return found


def doc_name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


# --- comparing ----------------------------------------------------------------------


def normalise(line: str, home: str | None = None) -> str:
    """A line of the doc or of the output with what legitimately varies replaced by a
    fixed token (see the module docstring)."""
    if home:
        line = line.replace(home, "~")
    line = _TIME.sub("TIME", _DIGEST.sub("sha256:…", line.rstrip()))
    if line.lstrip().startswith("software:"):
        line = _SOFTWARE_VERSION.sub("VERSION", line)
    return line


def _trimmed(lines: list[str]) -> list[str]:
    while lines and not lines[-1]:
        lines = lines[:-1]
    return lines


def match_line(shown: str, printed: str, bound: dict[str, str]) -> dict[str, str] | None:
    """The id bindings after matching one doc line with one printed line, or None."""
    if _ID.split(shown) != _ID.split(printed):
        return None
    after = dict(bound)
    for doc_id, real in zip(_ID.findall(shown), _ID.findall(printed), strict=True):
        if after.setdefault(doc_id, real) != real:
            return None
        if list(after.values()).count(real) > 1:
            return None  # two of the doc's ids cannot stand for one real id
    return after


@dataclass
class Matcher:
    """Matches the doc's lines against printed lines (`…` matching any run of them),
    and remembers how far it got, for the message when they do not match."""

    furthest: tuple[int, int] = (0, 0)
    attempts: int = 0

    def match(
        self, shown: list[str], printed: list[str], bound: dict[str, str], i: int = 0, j: int = 0
    ) -> dict[str, str] | None:
        self.attempts += 1
        if self.attempts > 100_000:
            raise WalkthroughError("too many `…` lines to match; show more of the output")
        # For the message: the furthest doc line reached, at the first place tried.
        if (i, -j) > (self.furthest[0], -self.furthest[1]):
            self.furthest = (i, j)
        if i == len(shown):
            return bound if j == len(printed) else None
        if shown[i].strip() in _ELLIPSIS:
            for k in range(j, len(printed) + 1):
                if (found := self.match(shown, printed, bound, i + 1, k)) is not None:
                    return found
            return None
        if j == len(printed) or (after := match_line(shown[i], printed[j], bound)) is None:
            return None
        return self.match(shown, printed, after, i + 1, j + 1)


# --- running ------------------------------------------------------------------------


@dataclass
class Session:
    """One reader's terminal: runs the steps of a walk-through in order."""

    cwd: Path
    home: Path
    doc: str = "doc"
    status: int = 0
    bound: dict[str, str] = field(default_factory=dict)
    in_process: bool = field(
        default_factory=lambda: not os.environ.get("HEALTHKB_WALKTHROUGH_SUBPROCESS")
    )

    def environment(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        environment.pop("BASH_ENV", None)
        environment.update(
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            HOME=str(self.home),
            # Printed in program order, as on a terminal, although both go to one pipe.
            PYTHONUNBUFFERED="1",
            PYTHONIOENCODING="utf-8",
            LC_ALL="C.UTF-8",
            # A reader's git knows who they are; this one knows that, and nothing else.
            GIT_CONFIG_NOSYSTEM="1",
            GIT_AUTHOR_NAME="Editor",
            GIT_AUTHOR_EMAIL="editor@example.org",
            GIT_COMMITTER_NAME="Editor",
            GIT_COMMITTER_EMAIL="editor@example.org",
        )
        return environment

    def command(self, step: Step) -> str:
        """The step's command with the doc's ids replaced by the real ones."""
        command = step.command
        for doc_id, real in self.bound.items():
            command = command.replace(doc_id, real)
        return command

    def execute(self, command: str) -> str:
        """Run one command as typed in this terminal; its status is kept in `status`."""
        if self.in_process and _PLAIN_HEALTHKB.fullmatch(command):
            return self._in_process(command.split()[1:])
        with tempfile.TemporaryDirectory() as scratch:
            where = Path(scratch) / "cwd"
            script = (
                f"(exit {self.status})\n{command}\n"
                f"__status=$?\npwd > {shlex.quote(str(where))}\nexit $__status\n"
            )
            done = subprocess.run(
                ["bash", "-c", script],
                cwd=self.cwd,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
            if where.exists():
                self.cwd = Path(where.read_text(encoding="utf-8").strip())
        self.status = done.returncode
        return done.stdout.decode("utf-8", errors="replace")

    def _in_process(self, argv: list[str]) -> str:
        printed = io.StringIO()
        before_cwd, before_environment = Path.cwd(), dict(os.environ)
        environment = self.environment()
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(environment)
        try:
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                try:
                    self.status = healthkb_main(argv)
                except SystemExit as leaving:  # argparse: usage errors and --version
                    code = leaving.code
                    self.status = code if isinstance(code, int) else int(code is not None)
        finally:
            os.environ.clear()
            os.environ.update(before_environment)
            os.chdir(before_cwd)
        return printed.getvalue()

    def check(self, step: Step, printed: str) -> None:
        """Compare what the step printed with what the doc shows under it."""
        shown = _trimmed([normalise(line) for line in step.shown])
        real = _trimmed([normalise(line, str(self.home)) for line in printed.splitlines()])
        matcher = Matcher()
        found = matcher.match(shown, real, self.bound)
        if found is not None:
            self.bound = found
            return
        __tracebackhide__ = True  # pytest: the message says it all
        i, j = matcher.furthest
        if i == len(shown):
            difference = f"  the doc shows no more lines; printed line {j + 1}: {real[j]!r}"
        else:
            difference = f"  doc line {step.line + 1 + i}: {shown[i]!r}\n"
            if i and shown[i - 1].strip() in _ELLIPSIS:
                difference += f"  not printed at or after printed line {j + 1}"
            elif j == len(real):
                difference += "  printed: nothing more"
            else:
                difference += f"  printed line {j + 1}: {real[j]!r}"
        if self.bound:
            difference += "\n  ids so far (doc = printed): " + ", ".join(
                f"{doc_id} = {real_id}" for doc_id, real_id in self.bound.items()
            )
        raise WalkthroughError(
            f"{self.doc}:{step.line}: `$ {_first_line(step.command)}` printed something "
            f"else than the doc shows\n{difference}\n--- printed (normalised) ---\n"
            + "\n".join(real)
        )

    def run(self, all_steps: list[Step]) -> None:
        """Run every step in order; raise WalkthroughError at the first that differs."""
        __tracebackhide__ = True
        for number, step in enumerate(all_steps):
            printed = self.execute(self.command(step))
            self.check(step, printed)
            following = all_steps[number + 1] if number + 1 < len(all_steps) else None
            if self.status and not (following and following.command.startswith("echo $?")):
                raise WalkthroughError(
                    f"{self.doc}:{step.line}: `$ {_first_line(step.command)}` exited with "
                    f"status {self.status} (show `$ echo $?` next if that is intended)\n"
                    f"--- printed ---\n{printed}"
                )


def _first_line(command: str) -> str:
    first, _, rest = command.partition("\n")
    return first + (" …" if rest else "")


def run_walkthrough(path: Path, headings: Sequence[str], cwd: Path, home: Path) -> int:
    """Run the console sessions under `headings` of the doc at `path`, starting in
    `cwd` with `home` as the home folder; return the number of steps run.

    Raises WalkthroughError naming the doc, line, command and the first differing line.
    """
    all_steps = steps(path, headings)
    if not all_steps:
        raise WalkthroughError(f"{doc_name(path)}: no console steps under {list(headings)}")
    Session(cwd=cwd, home=home, doc=doc_name(path)).run(all_steps)
    return len(all_steps)


def _print_steps(argv: list[str]) -> None:
    """Print what each step of a walk-through really prints (not compared)."""
    path, heading, start = Path(argv[0]), argv[1], Path(argv[2])
    with tempfile.TemporaryDirectory() as home:
        session = Session(cwd=start.resolve(), home=Path(home), doc=doc_name(path))
        for step in steps(path, [heading]):
            printed = session.execute(session.command(step))
            # Bind the doc's ids in order of appearance, so later steps can use them.
            shown_ids = _ID.findall("\n".join(step.shown))
            for doc_id, real in zip(shown_ids, _ID.findall(printed), strict=False):
                session.bound.setdefault(doc_id, real)
            print(f"$ {step.command}")
            print("\n".join(normalise(line, home) for line in printed.splitlines()))
            if session.status:
                print(f"[exit status {session.status}]")


if __name__ == "__main__":
    _print_steps(sys.argv[1:])
