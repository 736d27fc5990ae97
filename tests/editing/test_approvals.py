"""Approvals: kb.yaml lists reviewers and how many distinct approvals a release needs;
`healthkb approve` signs the candidate; `release` refuses without enough valid ones and
names who approved in the changelog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from support.kb_cli import main_in_kb as main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def reviewer(name: str, role: str, keys: Path) -> str:
    pem = (keys / "audit.pub").read_text(encoding="utf-8").strip().splitlines()
    key = "".join(f"        {line}\n" for line in pem)
    return f"    - name: {name}\n      role: {role}\n      public_key: |\n{key}"


@pytest.fixture
def governed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A copy of the bundled KB whose kb.yaml asks for two approvals of three reviewers."""
    root = tmp_path / "kb-root"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    for name in ("alice", "bob", "carol", "eve"):
        assert run(capsys, "audit", "keygen", "--out", str(tmp_path / name))[0] == 0
    reviewers = (
        reviewer("Dr. Alice Chen", "clinical reviewer", tmp_path / "alice")
        + reviewer("Bob Okafor", "editor", tmp_path / "bob")
        + reviewer("Carol Diaz", "editor", tmp_path / "carol")
    )
    manifest = root / "kb" / "kb.yaml"
    text = manifest.read_text(encoding="utf-8")
    policy = f"approvals:\n  required: 2\n  reviewers:\n{reviewers}changelog:"
    manifest.write_text(text.replace("changelog:", policy, 1), encoding="utf-8")
    return root


def key(root: Path, name: str) -> str:
    return str(root.parent / name / "audit.key")


def release(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, str, str]:
    return run(capsys, "release", str(root), "--date", "2026-12-01", "--change", "Reviewed")


def test_a_release_needs_the_required_distinct_approvals_and_names_them(
    governed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = release(capsys, governed)
    assert code == 1
    assert out.startswith(
        "kb/kb.yaml: approvals-missing: the release needs 2 approval(s) of this candidate by "
        "distinct reviewers, and has 0 (approved by nobody)"
    )
    code, out, _ = run(capsys, "approve", str(governed), "--key", key(governed, "alice"))
    assert code == 0
    assert "as Dr. Alice Chen (clinical reviewer): 1 of 2 approval(s)" in out
    # The same reviewer twice is still one approval.
    run(capsys, "approve", str(governed), "--key", key(governed, "alice"))
    assert release(capsys, governed)[0] == 1
    assert run(capsys, "approve", str(governed), "--key", key(governed, "carol"))[0] == 0
    code, out, err = release(capsys, governed)
    assert code == 0, out + err
    assert "  - Approved by Dr. Alice Chen (clinical reviewer), Carol Diaz (editor).\n" in out
    manifest = (governed / "kb" / "kb.yaml").read_text(encoding="utf-8")
    assert (
        "      - Approved by Dr. Alice Chen (clinical reviewer), Carol Diaz (editor).\n" in manifest
    )
    assert not list((governed / "kb" / "approvals").iterdir())


def test_an_approval_of_earlier_files_does_not_count(
    governed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "approve", str(governed), "--key", key(governed, "alice"))
    run(capsys, "approve", str(governed), "--key", key(governed, "bob"))
    conclusions = governed / "kb" / "conclusions.yaml"
    text = conclusions.read_text(encoding="utf-8")
    conclusions.write_text(text.replace("Be patient and consistent", "Be patient, consistent"))
    (governed / "kb" / "conclusions.yaml").write_text(
        conclusions.read_text(encoding="utf-8").replace(
            "  - id: be_patient_and_consistent\n",
            "  - id: be_patient_and_consistent\n    version: 2\n",
            1,
        ),
        encoding="utf-8",
    )
    code, out, _ = release(capsys, governed)
    assert code == 1
    assert "and has 0 (approved by nobody)" in out


def test_a_key_of_no_reviewer_cannot_approve(
    governed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "approve", str(governed), "--key", key(governed, "eve"))
    assert (code, out) == (2, "")
    assert err.startswith("healthkb: this key is not the key of any reviewer in kb/kb.yaml")


def test_the_bundled_kb_asks_for_no_approvals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = tmp_path / "plain"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    assert run(capsys, "audit", "keygen", "--out", str(tmp_path / "k"))[0] == 0
    code, _, err = run(capsys, "approve", str(root), "--key", str(tmp_path / "k" / "audit.key"))
    assert code == 2
    assert "lists no reviewers" in err
    assert release(capsys, root)[0] == 0


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace("    - name: Bob Okafor", "    - name: Dr. Alice Chen"),
            "a reviewer is listed twice (the same name: Dr. Alice Chen)",
        ),
        (
            lambda text: text.replace("required: 2", "required: 4"),
            "`required` is 4 but only 3 reviewer(s) are listed",
        ),
        (
            lambda text: text.replace(
                "-----BEGIN PUBLIC KEY-----\n        M", "-----BEGIN PUBLIC KEY-----\n        X", 1
            ),
            "`public_key` is not an Ed25519 public key in PEM",
        ),
    ],
)
def test_bad_reviewer_lists_are_located_problems(
    governed: Path, capsys: pytest.CaptureFixture[str], edit, message: str
) -> None:
    manifest = governed / "kb" / "kb.yaml"
    manifest.write_text(edit(manifest.read_text(encoding="utf-8")), encoding="utf-8")
    code, out, err = run(capsys, "validate", str(governed))
    assert code == 1, out + err
    (line,) = out.splitlines()
    assert line.startswith("kb/kb.yaml:")
    assert message in line
    assert "Traceback" not in out + err
