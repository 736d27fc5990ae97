"""Every `--out` behaves alike: a folder output is created (its parent must exist), a file
output needs an existing folder, and whatever cannot be written is a clear message with
exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.benchmarks import population

from conftest import ROOT
from healthkb.cli import main

PROFILE = str(ROOT / "kb" / "examples" / "discomfort.yaml")
EXPLAIN = [
    "explain",
    PROFILE,
    "--kb",
    str(ROOT),
    "--conclusion",
    "stop_and_rest",
    "--format",
    "html",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_out_an_existing_folder_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, *EXPLAIN, "--out", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"healthkb: {tmp_path}: is a folder; give the name of a file to write\n"


def test_explain_out_in_a_missing_folder_exits_2_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "why.html"
    code, _, err = run(capsys, *EXPLAIN, "--out", str(target))
    assert code == 2
    assert err == f"healthkb: {target}: folder {target.parent} does not exist\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("inside", ["why.html", "site/why.html"])
def test_explain_out_inside_a_file_says_it_is_a_file_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], inside: str
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("a file, not a folder", encoding="utf-8")
    target = readme / inside
    code, out, err = run(capsys, *EXPLAIN, "--out", str(target))
    assert (code, out) == (2, "")
    assert err == f"healthkb: {target}: {readme} is a file, not a folder\n"


def test_explain_out_that_cannot_be_written_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A link into a folder that does not exist: the check passes, the write fails
    # (permissions would do the same, but not for root).
    link = tmp_path / "why.html"
    link.symlink_to(tmp_path / "gone" / "why.html")
    code, _, err = run(capsys, *EXPLAIN, "--out", str(link))
    assert code == 2
    assert err == f"healthkb: cannot write {link}: No such file or directory\n"


def test_schema_out_creates_its_folder_but_not_missing_parents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "no" / "such" / "schemas"
    code, out, err = run(capsys, "schema", str(ROOT), "--out", str(deep))
    assert (code, out) == (2, "")
    assert err == f"healthkb: {deep}: folder {deep.parent} does not exist\n"
    assert list(tmp_path.iterdir()) == []
    code, out, _ = run(capsys, "schema", str(ROOT), "--out", str(tmp_path / "schemas"))
    assert code == 0 and out.count("wrote: ") == 10


@pytest.mark.parametrize("command", ["schema", "report"])
def test_folder_out_that_is_a_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    code, _, err = run(capsys, command, str(ROOT), "--out", str(tmp_path / "taken"))
    assert code == 2
    assert err == f"healthkb: {tmp_path / 'taken'}: is a file, not a folder\n"


def test_report_into_a_folder_it_cannot_write_exits_2_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "rules").write_text("a file where the site's rules/ folder goes", encoding="utf-8")
    code, _, err = run(capsys, "report", str(ROOT), "--out", str(site))
    assert code == 2
    assert err == f"healthkb: cannot write {site / 'rules'}: File exists\n"


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--fail-under-rules", "-5", "-5 is not a percentage from 0 to 100"),
        ("--fail-under-sentences", "101", "101 is not a percentage from 0 to 100"),
        ("--fail-under-sentences", "nan", "nan is not a percentage from 0 to 100"),
        ("--fail-under-rules", "most", "'most' is not a number"),
    ],
)
def test_coverage_floors_outside_0_to_100_are_usage_errors(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["coverage", str(ROOT), flag, value])
    assert exit_info.value.code == 2
    assert f"argument {flag}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[*EXPLAIN, "--out", ""], ["schema", str(ROOT), "--out", ""], ["report", "--out", " "]],
)
def test_an_empty_out_is_a_usage_error_not_the_current_folder(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (2, "", "healthkb: --out: give a path (it is empty)\n")


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full here")
@pytest.mark.parametrize("words", [["evaluate", "--format", "json"], ["batch", "--out", "-"]])
def test_output_on_a_full_disk_is_one_line_exit_2_not_a_traceback(
    tmp_path: Path, words: list[str]
) -> None:
    # /dev/full refuses every write with ENOSPC, as a full disk does.
    given = str(ROOT / "kb" / "examples" / "meets_conditions.yaml")
    if words[0] == "batch":
        given = str(population.write(tmp_path / "people.jsonl", 400))
    healthkb = str(Path(sys.executable).parent / "healthkb")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [healthkb, words[0], given, *words[1:]],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
    assert done.returncode == 2, done.stderr
    assert "No space left on device" in done.stderr
    assert "Traceback" not in done.stderr
