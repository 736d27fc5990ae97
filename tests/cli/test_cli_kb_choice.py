"""Which KB a command works on without a PATH, and where commands may write.

Without a PATH (or `--kb`), a command uses the KB in the current folder when it holds
`kb/kb.yaml`, else the bundled KB, which it never writes into. Each test runs in a
tmp folder as the current folder: a KB copy, or an empty folder. The "bundled" KB is
a copy in tmp_path too, as it is in site-packages after `pip install .` (the packaging
test runs the same commands against a real wheel).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import healthkb.cli.common
from conftest import ACCEPT_OPTIONS, write_kb
from healthkb.cli import main

CASES = """\
cases:
  - name: three_walks_may_help
    profile: {walk: {sessions: 3}}
    expect: {conclusions: [walking_may_help]}
"""

PROFILE = "walk: {sessions: 4}\n"


@pytest.fixture
def bundled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed copy of a KB, standing in for site-packages/healthkb/_bundled."""
    root = write_kb(
        tmp_path / "site-packages" / "_bundled",
        {"kb/kb.yaml": "id: installed-kb\ntitle: I\nversion: 1.0.0\nreleased: 2025-02-01\n"},
    )
    monkeypatch.setattr(healthkb.cli.common, "bundled_root", lambda: root)
    return root


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    (folder / "me.yaml").write_text(PROFILE, encoding="utf-8")
    return folder


@pytest.fixture
def kb_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The editor's own KB as the current folder: same rules as the installed one."""
    root = write_kb(tmp_path / "my-kb", {"kb/tests/walking.yaml": CASES})
    monkeypatch.chdir(root)
    (root / "me.yaml").write_text(PROFILE, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --- in a KB folder: the editor's files -------------------------------------------------


def test_validate_without_a_path_in_a_kb_folder_checks_the_editors_files(
    bundled: Path, kb_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "validate")
    assert code == 0 and err == ""
    assert out.startswith("ok: mini-kb 1.0.0 (folder .): 3 rules")
    rules = kb_cwd / "rules" / "walking.yaml"
    rules.write_text(rules.read_text().replace('"may help"', '"may hlep"'), encoding="utf-8")
    code, out, err = run(capsys, "validate")
    assert code == 1
    assert "rules/walking.yaml:20:9: quote-not-found:" in out
    assert err == "1 problem(s) found (folder .)\n"


def test_every_reading_command_without_a_path_in_a_kb_folder_uses_that_kb(
    bundled: Path, kb_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "evaluate", "me.yaml", "--format", "json")
    assert (code, json.loads(out)["kb_id"], err) == (0, "mini-kb", "")
    code, out, _ = run(capsys, "explain", "me.yaml", "--conclusion", "walking_may_help")
    assert code == 0 and "mini-kb 1.0.0" in out
    code, out, _ = run(capsys, "test")
    assert code == 0 and out.endswith("1 passed, 0 failed  (knowledge base mini-kb 1.0.0)\n")
    code, out, _ = run(capsys, "coverage", "--format", "json")
    assert code == 0 and json.loads(out)["summary"]["rules"]["exercised"] == 2
    assert run(capsys, "report", "--out", "site")[0] == 0
    assert "mini-kb" in (kb_cwd / "site" / "index.html").read_text(encoding="utf-8")


def test_schema_without_a_path_in_a_kb_folder_writes_into_that_kb(
    bundled: Path, kb_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(bundled)
    code, out, _ = run(capsys, "schema")
    assert code == 0 and out.splitlines()[0] == "wrote: kb/schemas/manifest.schema.json"
    assert run(capsys, "schema", "--check")[0] == 0
    assert tree(bundled) == before


def test_release_without_a_path_releases_the_kb_in_the_current_folder(
    bundled: Path, kb_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "release", "--bump", "patch", "--change", "First.", *ACCEPT_OPTIONS)
    assert code == 0 and out.startswith("released mini-kb 1.0.1")
    assert "version: 1.0.1" in (kb_cwd / "kb" / "kb.yaml").read_text(encoding="utf-8")


# --- elsewhere: the bundled KB, read but never written ---------------------------------


def test_validate_outside_a_kb_folder_checks_the_bundled_kb_and_says_so(
    bundled: Path, empty_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "validate")
    assert code == 0 and out.startswith("ok: installed-kb 1.0.0 (bundled KB): 3 rules")


def test_reading_commands_outside_a_kb_folder_use_the_bundled_kb_and_say_so_on_stderr(
    bundled: Path, empty_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "healthkb: using the bundled KB (no kb/kb.yaml in the current folder or above)\n"
    code, out, err = run(capsys, "evaluate", "me.yaml", "--format", "json")
    assert (code, json.loads(out)["kb_id"], err) == (0, "installed-kb", note)
    code, _, err = run(capsys, "schema", "--check")
    assert (code, err) == (1, note)  # the installed KB has no schemas: all are stale
    code, _, err = run(capsys, "test")
    assert code == 2 and err.startswith(note) and "no test case was found" in err


def test_schema_outside_a_kb_folder_refuses_to_write_into_the_installed_package(
    bundled: Path, empty_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(bundled)
    code, out, err = run(capsys, "schema")
    assert (code, out) == (2, "")
    assert err == (
        "healthkb: no kb/kb.yaml in the current folder or above, and `healthkb schema` "
        "without --out does not write into the installed package's bundled KB: give the KB "
        "folder (or run it from there)\n"
    )
    assert tree(bundled) == before
    code, out, _ = run(capsys, "schema", "--out", "schemas")
    assert code == 0 and len(list((empty_cwd / "schemas").glob("*.schema.json"))) == 10
    assert tree(bundled) == before


def test_release_outside_a_kb_folder_exits_2_and_writes_nothing(
    bundled: Path, empty_cwd: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(bundled)
    code, out, err = run(capsys, "release", "--bump", "patch", *ACCEPT_OPTIONS)
    assert (code, out) == (2, "")
    assert "`healthkb release` does not write into the installed package's bundled KB" in err
    assert tree(bundled) == before


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "{}"],
        ["test", "{}"],
        ["coverage", "{}"],
        ["schema", "{}"],
        ["schema", "{}", "--check"],
        ["report", "{}", "--out", "site"],
        ["release", "{}", "--bump", "patch"],
        ["evaluate", "me.yaml", "--kb", "{}"],
        ["explain", "me.yaml", "--kb", "{}", "--conclusion", "rest"],
    ],
)
def test_a_folder_that_is_not_a_kb_is_unusable_input_for_every_command(
    empty_cwd: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    (empty_cwd / "notes").mkdir()
    code, out, err = run(capsys, *[a.replace("{}", "notes") for a in argv])
    assert (code, out) == (2, "")
    assert err == (
        "healthkb: notes: not a knowledge base: no kb/kb.yaml here "
        "(give the folder that holds kb/ and rules/)\n"
    )
    assert sorted(os.listdir(empty_cwd)) == ["me.yaml", "notes"]


@pytest.mark.parametrize(
    "command",
    ["validate", "evaluate", "explain", "test", "coverage", "schema", "release", "report"],
)
def test_help_of_every_command_that_reads_a_kb_says_which_kb_it_uses_by_default(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    printed = " ".join(capsys.readouterr().out.split())
    if command == "release":
        assert "(default: the KB the current folder is in; never the bundled KB)" in printed
    else:
        assert (
            "(default: the KB the current folder is in, found by looking upwards for "
            "kb/kb.yaml, else the bundled KB)"
        ) in printed


@pytest.mark.parametrize("below", ["rules", "kb/tests", "kb/sources"])
def test_commands_in_a_folder_below_the_kb_use_that_kb_as_git_would(
    bundled: Path, kb_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch, below: str
) -> None:
    monkeypatch.chdir(kb_cwd / below)
    up = "/".join([".."] * len(below.split("/")))
    code, out, err = run(capsys, "validate")
    assert (code, err) == (0, "")
    assert out.startswith(f"ok: mini-kb 1.0.0 (folder {up}): 3 rules")
    code, out, err = run(capsys, "test")
    assert (code, out.splitlines()[-1]) == (
        0,
        "1 passed, 0 failed  (knowledge base mini-kb 1.0.0)",
    )


def test_release_from_a_folder_below_the_kb_writes_into_that_kb(
    bundled: Path, kb_cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(kb_cwd / "rules")
    code, out, _ = run(capsys, "release", "--date", "2025-03-01", *ACCEPT_OPTIONS)
    assert code == 0
    assert "version: 1.1.0" in (kb_cwd / "kb/kb.yaml").read_text(encoding="utf-8")
    assert "installed-kb" not in out
