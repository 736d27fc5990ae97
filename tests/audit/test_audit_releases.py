"""Digest -> release: `healthkb release` writes the released KB's digest into its
changelog entry; `audit list` and `audit verify` name the release of each
record's digest, or say it was an unreleased working copy."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

import healthkb
from healthkb.cli import main


def test_a_release_names_its_digest_and_the_audit_commands_name_the_release(
    make_kb, tmp_path: Path, capsys
) -> None:
    root = make_kb()
    accept = ["--accept", "rule-not-exercised=a test KB", "--accept", "sentence-not-encoded=a test"]
    assert main(["release", str(root), "--change", "First audited release", *accept]) == 0
    kb = healthkb.load(root)
    manifest = yaml.safe_load((root / "kb" / "kb.yaml").read_text())
    assert manifest["changelog"][0]["digest"] == kb.digest
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    kb.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(store), input_id="p-1")
    rules = root / "rules" / "walking.yaml"
    rules.write_text(rules.read_text().replace("title: Enough walking", "title: Walks enough"))
    edited = healthkb.load(root)
    edited.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(store), input_id="p-2")
    capsys.readouterr()
    assert main(["audit", "list", store, "--kb", str(root), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["release"] for r in listed] == [
        f"release {kb.version}",
        "unreleased working copy",
    ]
    assert main(["audit", "verify", store, "--kb", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"KB {kb.digest}: release {kb.version} (1 answer(s))" in out
    assert f"KB {edited.digest}: unreleased working copy (1 answer(s))" in out
    assert out[-1].startswith("verified: 2 records;")


def test_the_lock_seals_the_release_digest_and_names_the_release_without_the_changelog(
    make_kb, tmp_path: Path, capsys
) -> None:
    root = make_kb()
    accept = ["--accept", "rule-not-exercised=a test KB", "--accept", "sentence-not-encoded=a test"]
    assert main(["release", str(root), "--change", "First audited release", *accept]) == 0
    kb = healthkb.load(root)
    lock_path = root / "kb" / "rules.lock.yaml"
    lock = yaml.safe_load(lock_path.read_text())
    assert lock["release_digest"] == kb.digest  # inside the sealed content: the KB loads
    assert main(["validate", str(root)]) == 0
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    kb.evaluate({"walk": {"sessions": 4}}, audit=healthkb.AuditLog(store))
    # The changelog's digest lost (edited away): the lock still names the release.
    manifest = root / "kb" / "kb.yaml"
    kept = [line for line in manifest.read_text().splitlines(True) if kb.digest not in line]
    manifest.write_text("".join(kept))
    capsys.readouterr()
    assert main(["audit", "verify", store, "--kb", str(root)]) == 0
    assert f"KB {kb.digest}: release {kb.version} (1 answer(s))" in capsys.readouterr().out
    # A hand edit of the sealed digest breaks the seal: a located problem.
    edited = lock_path.read_text().replace(kb.digest, "sha256:" + "0" * 64)
    lock_path.write_text(edited)
    assert main(["validate", str(root)]) == 1
    assert "lock-" in capsys.readouterr().out
