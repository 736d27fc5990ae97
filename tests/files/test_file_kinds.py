"""Whatever stands where a file should be (a named pipe, a device, a folder) is refused
with a message saying what it is, and never waited on; standard input is read only when
a profile names it (`-` or /dev/stdin)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import healthkb
from conftest import ROOT
from support.kb_cli import main_in_kb as main

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")

DISCOMFORT = str(ROOT / "kb" / "examples" / "discomfort.yaml")
LOCK = "kb/rules.lock.yaml"


@pytest.fixture(autouse=True)
def _never_hang() -> Iterator[None]:
    """A test that waits on a pipe fails after a few seconds instead of hanging the suite."""

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError("waited on a pipe or a device")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 10)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def pipe_at(path: Path) -> Path:
    os.mkfifo(path)
    return path


@contextmanager
def standard_input(data: bytes) -> Iterator[None]:
    """Descriptor 0 reads `data` from a pipe, as in `cat profile.yaml | healthkb ...`."""
    read, write = os.pipe()
    os.write(write, data)  # small enough for the pipe's buffer
    os.close(write)
    saved = os.dup(0)
    os.dup2(read, 0)
    os.close(read)
    try:
        yield
    finally:
        os.dup2(saved, 0)
        os.close(saved)


@pytest.fixture(params=["device", "named pipe", "folder"])
def not_a_log(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    if request.param == "device":
        return Path(os.devnull), "a device"
    if request.param == "named pipe":
        return pipe_at(tmp_path / "audit.jsonl"), "a named pipe"
    (tmp_path / "audit").mkdir()
    return tmp_path / "audit", "a folder"


def test_an_audit_log_that_is_not_a_regular_file_is_an_audit_log_error(
    kb: healthkb.KnowledgeBase, not_a_log: tuple[Path, str]
) -> None:
    path, kind = not_a_log
    log = healthkb.AuditLog(path)
    message = f"{path}: not-a-file: the audit log is {kind}, not a regular file"
    with pytest.raises(healthkb.AuditLogError, match=f"^{message}"):
        kb.evaluate({"symptoms": {"physical_discomfort": True}}, audit=log)
    with pytest.raises(healthkb.AuditLogError, match=f"^{message}"):
        log.verify()
    with pytest.raises(healthkb.AuditLogError, match=f"^{message}"):
        log.find("any")


def test_every_command_refuses_an_audit_log_that_is_not_a_regular_file(
    capsys: pytest.CaptureFixture[str], not_a_log: tuple[Path, str]
) -> None:
    path, kind = not_a_log
    expected = (
        f"healthkb: {path}: not-a-file: the audit log is {kind}, not a regular file (give "
        "the name of a regular file; a missing one is created by `evaluate`)\n"
    )
    for argv in (
        ["evaluate", DISCOMFORT, "--audit-log", str(path)],
        ["audit", "verify", str(path)],
        ["audit", "replay", str(path)],
        ["audit", "show", str(path), "any"],
    ):
        code, out, err = run(capsys, *argv)
        assert (code, out, err) == (2, "", expected), argv


def test_a_named_pipe_given_as_a_profile_is_refused_not_waited_on(
    kb: healthkb.KnowledgeBase, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pipe = pipe_at(tmp_path / "p.yaml")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(pipe)
    (problem,) = caught.value.problems
    assert str(problem) == (
        f"{pipe}: not-a-file: `{pipe}` is a named pipe, not a regular file (give a regular "
        "file, or pipe the profile into standard input (`-`))"
    )
    for argv in (["evaluate", str(pipe)], ["explain", str(pipe), "--conclusion", "rest"]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert err == f"healthkb: invalid profile:\n  {problem}\n"


def test_a_device_given_as_a_profile_is_refused_not_read_to_its_end(
    kb: healthkb.KnowledgeBase,
) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file("/dev/zero")
    assert [p.message for p in caught.value.problems] == [
        "`/dev/zero` is a device, not a regular file"
    ]


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_a_profile_piped_into_standard_input_is_read_when_named(
    capsys: pytest.CaptureFixture[str], name: str
) -> None:
    expected = run(capsys, "evaluate", DISCOMFORT)
    with standard_input(Path(DISCOMFORT).read_bytes()):
        assert run(capsys, "evaluate", name) == expected


def test_a_broken_profile_on_standard_input_is_named_stdin(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with standard_input(b"symptoms: [\n"):
        code, _, err = run(capsys, "evaluate", "-")
    assert code == 2
    assert err.startswith("healthkb: invalid profile:\n  <stdin>:1:12: yaml-syntax: ")


def test_a_named_pipe_among_the_examples_is_reported_by_diff_not_waited_on(
    make_kb, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = make_kb(name="old"), make_kb(name="new")
    (new / "kb" / "examples").mkdir()
    pipe = pipe_at(new / "kb" / "examples" / "x.yaml")
    code, out, _ = run(capsys, "diff", str(old), str(new))
    assert code == 0
    assert (
        f"    not valid on NEW: not-a-file: `{pipe}` is a named pipe, not a regular file\n" in out
    )


@pytest.mark.parametrize("kind", ["a folder", "a named pipe"])
def test_a_lock_file_that_is_not_a_regular_file_is_a_problem_not_a_missing_lock(
    make_kb, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    # Read as "no lock file", it would silently skip the version-not-bumped check.
    root = make_kb()
    if kind == "a folder":
        (root / LOCK).mkdir()
    else:
        pipe_at(root / LOCK)
    problem = (
        f"{LOCK}: not-a-file: `{LOCK}` is {kind}, not a regular file (only regular files "
        "are read: replace it with one, or move it away)"
    )
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    assert [str(p) for p in caught.value.problems] == [problem]
    code, out, _ = run(capsys, "release", str(root), "--bump", "patch")
    assert (code, out) == (1, f"{problem}\nrelease refused: 1 problem(s) found\n")
    assert sorted(p.name for p in (root / "kb").iterdir()) == [
        "conclusions.yaml",
        "facts.yaml",
        "kb.yaml",
        "rules.lock.yaml",
        "sources",
    ]


def test_a_lock_file_linking_to_nothing_is_unreadable_not_missing(make_kb) -> None:
    root = make_kb()
    (root / LOCK).symlink_to("nowhere.yaml")
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    assert [str(p) for p in caught.value.problems] == [
        f"{LOCK}: unreadable: cannot read file: it is a link to `nowhere.yaml`, which does "
        "not exist (check that the file exists and that you may read it)"
    ]


def test_a_manifest_that_is_a_named_pipe_is_named_as_such_not_as_a_missing_kb(
    make_kb, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_kb()
    (root / "kb" / "kb.yaml").unlink()
    pipe_at(root / "kb" / "kb.yaml")
    problem = (
        "kb/kb.yaml: not-a-file: `kb/kb.yaml` is a named pipe, not a regular file (only "
        "regular files are read: replace it with one, or move it away)"
    )
    code, out, _ = run(capsys, "validate", str(root))
    assert (code, out) == (1, f"{problem}\n")
    # From inside the KB too: it is this KB's broken manifest, not a reason to fall
    # back on the bundled KB.
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "validate")
    assert (code, out, err) == (1, f"{problem}\n", "1 problem(s) found (folder .)\n")


def test_a_file_where_the_rules_folder_belongs_is_named_as_such(make_kb) -> None:
    root = make_kb()
    (root / "rules" / "walking.yaml").unlink()
    (root / "rules").rmdir()
    (root / "rules").write_text("rules: []\n", encoding="utf-8")
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    assert [str(p) for p in caught.value.problems] == [
        "rules: missing-folder: `rules` is a regular file, not a folder (a KB holds "
        "`kb/sources/` and `rules/`: move it away and create the folder `rules/`)"
    ]


def test_a_vocabulary_that_is_a_folder_is_named_as_such_by_schema(
    make_kb, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_kb()
    (root / "kb" / "facts.yaml").unlink()
    (root / "kb" / "facts.yaml").mkdir()
    code, _, err = run(capsys, "schema", str(root), "--check")
    assert code == 2
    assert "  kb/facts.yaml: not-a-file: `kb/facts.yaml` is a folder, not a regular file" in err


def test_a_named_pipe_given_to_test_is_called_what_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pipe = pipe_at(tmp_path / "cases.yaml")
    code, out, err = run(capsys, "test", str(pipe))
    assert (code, out) == (2, "")
    assert err == (
        f"healthkb: {pipe}: is a named pipe, not a regular file (give a case file or a KB folder)\n"
    )
