"""A KB folder its user cannot list (`chmod 000 rules/`) is an `unreadable` problem, exit 2:
never a PermissionError traceback, never "0 test cases", never a release.

Permissions only bind a user without CAP_DAC_OVERRIDE: when the suite runs as root, each
command runs in a forked child that has given up root for `nobody`, on a KB in a folder
that user may enter.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import pkgutil
import shutil
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import healthkb
from conftest import write_kb
from support.fuzzing import run_cli
from support.kb_cli import kb_named

NOBODY = 65534
HINT = "(let this user read and search the folder (chmod u+rx, or change its owner))"
CASE = """\
cases:
  - name: four_walks
    profile: {walk: {sessions: 4}}
    expect: {conclusions: [walking_may_help]}
"""


def as_another_user(command: Callable[[], Any]) -> Any:
    """`command()`, run by a user that file permissions apply to (not root)."""
    if os.geteuid() != 0:
        return command()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: give up root for good, run, send the outcome back
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = pickle.dumps(("ok", command()))
        except BaseException:
            payload = pickle.dumps(("error", traceback.format_exc()))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        outcome, value = pickle.loads(pipe.read())
    os.waitpid(pid, 0)
    assert outcome == "ok", value
    return value


@pytest.fixture
def kb_root() -> Iterator[Path]:
    """The mini KB with one test case, where another user may read it (tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="healthkb-perm-"))
    try:
        folder.chmod(0o755)
        root = write_kb(folder / "kb-root", {"kb/tests/walks.yaml": CASE})
        (folder / "profile.yaml").write_text("walk: {sessions: 4}\n")
        for path in [root, *root.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        yield root
    finally:
        for path in folder.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def cli(*argv: str) -> tuple[int, str, str]:
    # Every module of the package is loaded first: the other user may not read the
    # files of this checkout, only those of the KB.
    for module in pkgutil.walk_packages(healthkb.__path__, "healthkb."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    # From inside the KB, as an editor runs it: places print as the KB has them.
    root = kb_named(argv)
    assert root is not None

    def in_kb() -> tuple[int, str, str]:
        with contextlib.chdir(root):
            return run_cli(list(argv))

    return as_another_user(in_kb)  # type: ignore[no-any-return]


def unreadable(folder: str) -> str:
    return f"{folder}: unreadable: cannot list folder `{folder}`: Permission denied {HINT}"


@pytest.mark.parametrize("folder", ["rules", "kb/sources", "kb/tests", "kb"])
def test_validate_reports_an_unlistable_folder_and_exits_2(kb_root: Path, folder: str) -> None:
    (kb_root / folder).chmod(0)
    code, out, err = cli("validate", str(kb_root))
    assert (code, out) == (2, unreadable(folder) + "\n")
    assert err == f"1 problem(s) found (folder {kb_root})\n"


@pytest.mark.parametrize("folder", ["rules", "kb/sources", "kb"])
@pytest.mark.parametrize("command", ["evaluate", "report", "replay"])
def test_commands_that_load_the_kb_say_which_folder_cannot_be_listed(
    kb_root: Path, folder: str, command: str
) -> None:
    profile = str(kb_root.parent / "profile.yaml")
    log = str(kb_root.parent / "audit.jsonl")
    assert run_cli(["evaluate", profile, "--kb", str(kb_root), "--audit-log", log])[0] == 0
    Path(log).chmod(0o666)
    argv = {
        "evaluate": ["evaluate", profile, "--kb", str(kb_root)],
        "report": ["report", str(kb_root), "--out", str(kb_root.parent / "site")],
        "replay": ["audit", "replay", log, "--kb", str(kb_root)],
    }[command]
    (kb_root / folder).chmod(0)
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert err.endswith(f"  {unreadable(folder)}\n"), err


@pytest.mark.parametrize("command", ["test", "coverage"])
def test_an_unlistable_test_folder_is_not_read_as_no_test_cases(
    kb_root: Path, command: str
) -> None:
    (kb_root / "kb/tests").chmod(0)
    code, out, err = cli(command, str(kb_root))
    assert (code, out) == (2, "")
    assert f"  {unreadable('kb/tests')}\n" in err


def test_release_is_refused_while_the_test_folder_cannot_be_listed(kb_root: Path) -> None:
    before = {p: p.read_bytes() for p in kb_root.rglob("*.yaml") if "tests" not in p.parts}
    (kb_root / "kb/tests").chmod(0)
    code, out, _ = cli("release", str(kb_root), "--bump", "minor", "--change", "x")
    assert (code, out) == (2, unreadable("kb/tests") + "\nrelease refused: 1 problem(s) found\n")
    assert {p: p.read_bytes() for p in before} == before
