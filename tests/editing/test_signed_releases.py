"""Signed releases: `release --sign` covers every file of the KB; `verify-release`,
`load(require_signed=...)` and `serve --require-signed` refuse any other file set,
naming the file."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import healthkb
from conftest import ROOT
from healthkb.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def signed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A copy of the bundled KB, released (a retitled rule) and signed; keys in keys/."""
    root = tmp_path / "kb-root"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    assert run(capsys, "audit", "keygen", "--out", str(tmp_path / "keys"))[0] == 0
    rules = root / "rules" / "safety_and_habits.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("title: Choose appropriate", "title: Wear appropriate"))
    code, out, err = run(
        capsys,
        "release",
        str(root),
        "--date",
        "2026-12-01",
        "--change",
        "Retitled a rule",
        "--sign",
        str(tmp_path / "keys" / "audit.key"),
    )
    assert code == 0, out + err
    assert out.endswith("signed every file of the release: kb/release.sig.json\n")
    return root


def public_key(root: Path) -> str:
    return str(root.parent / "keys" / "audit.pub")


def test_a_signed_release_verifies_and_lists_every_file(
    signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "verify-release", str(signed), "--public-key", public_key(signed))
    assert (code, err) == (0, "")
    assert out.startswith(f"ok: healthkb-running-fat-loss 0.2.0 (folder {signed}): ")
    listed = json.loads((signed / "kb" / "release.sig.json").read_text(encoding="utf-8"))["files"]
    on_disk = {
        path.relative_to(signed).as_posix()
        for folder in ("kb", "rules")
        for path in (signed / folder).rglob("*")
        if path.is_file()
    } - {"kb/release.sig.json"}
    assert set(listed) == on_disk
    assert "kb/examples/discomfort.yaml" in listed and "kb/schemas/rules.schema.json" in listed


def test_a_changed_an_added_and_a_missing_file_are_each_named(
    signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (signed / "kb" / "examples" / "discomfort.yaml").open("a") as file:
        file.write("# one byte more\n")
    (signed / "rules" / ".hidden.yaml").write_text("rules: []\n")
    (signed / "kb" / "tests" / "silences.yaml").unlink()
    code, out, err = run(capsys, "verify-release", str(signed), "--public-key", public_key(signed))
    assert code == 1
    hint = " (restore the released files, or cut and sign a new release)"
    assert out.splitlines() == [
        "kb/examples/discomfort.yaml: release-file-changed: `kb/examples/discomfort.yaml` "
        "changed since the release was signed" + hint,
        "kb/tests/silences.yaml: release-file-missing: `kb/tests/silences.yaml` of the signed "
        "release is missing" + hint,
        "rules/.hidden.yaml: release-file-added: `rules/.hidden.yaml` is not part of the "
        "signed release" + hint,
    ]
    assert err == f"3 problem(s): the files of folder {signed} are not the signed release\n"


def test_load_and_serve_refuse_a_kb_whose_files_differ_naming_the_file(
    signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert healthkb.load(signed, require_signed=public_key(signed)).version == "0.2.0"
    rules = signed / "rules" / "running_and_diet.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n")
    with pytest.raises(healthkb.KBError) as refused:
        healthkb.load(signed, require_signed=public_key(signed))
    assert [(p.file, p.code) for p in refused.value.problems] == [
        ("rules/running_and_diet.yaml", "release-file-changed")
    ]
    code, out, err = run(
        capsys, "serve", str(signed), "--port", "0", "--require-signed", public_key(signed)
    )
    assert (code, out) == (2, "")
    assert "rules/running_and_diet.yaml: release-file-changed" in err


def test_another_key_or_an_edited_signature_is_refused(
    signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "audit", "keygen", "--out", str(tmp_path / "other"))[0] == 0
    other = str(tmp_path / "other" / "audit.pub")
    code, out, _ = run(capsys, "verify-release", str(signed), "--public-key", other)
    assert code == 1
    assert out.startswith(
        "kb/release.sig.json: release-signature-invalid: the release signature was not signed "
        "by this public key, or was altered"
    )
    signature = signed / "kb" / "release.sig.json"
    data = json.loads(signature.read_text(encoding="utf-8"))
    data["files"]["kb/examples/discomfort.yaml"] = "sha256:" + "0" * 64
    signature.write_text(json.dumps(data), encoding="utf-8")
    code, out, _ = run(capsys, "verify-release", str(signed), "--public-key", public_key(signed))
    assert code == 1
    assert "release-signature-invalid" in out


def test_an_unsigned_kb_and_a_link_in_a_signed_one_are_problems(
    signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.symlink(signed / "kb" / "kb.yaml", signed / "kb" / "examples" / "linked.yaml")
    code, out, _ = run(capsys, "verify-release", str(signed), "--public-key", public_key(signed))
    assert code == 1
    assert out.startswith("kb/examples/linked.yaml: release-file-not-regular: ")
    (signed / "kb" / "release.sig.json").unlink()
    code, out, _ = run(capsys, "verify-release", str(signed), "--public-key", public_key(signed))
    assert code == 1
    assert out.startswith("kb/release.sig.json: release-unsigned: ")


def test_bad_keys_are_usage_errors_without_a_traceback(
    signed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = str(signed.parent / "keys" / "audit.key")
    code, out, err = run(capsys, "verify-release", str(signed), "--public-key", private)
    assert (code, out) == (2, "")
    assert err.startswith(f"healthkb: {private}: holds a private key")
    not_a_key = signed / "kb" / "kb.yaml"
    code, out, err = run(capsys, "release", str(signed), "--sign", str(not_a_key))
    assert (code, out) == (2, "")
    assert err.startswith(f"healthkb: {not_a_key}: not an unencrypted PEM private key")
    code, _, err = run(capsys, "verify-release", str(signed), "--public-key", "missing.pub")
    assert code == 2 and "missing.pub: cannot read the key" in err
