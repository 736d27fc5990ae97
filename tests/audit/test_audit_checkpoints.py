"""Signed checkpoints: a log rewritten whole (hashes recomputed) passes the chain check
but not the checkpoints; checkpoints are signed as writers go, and refused on a bad log."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import healthkb
from healthkb.audit.chain import canonical, line_hash, record_hash
from healthkb.audit.checkpoints import checkpoints_path, generate_keys
from support.fuzzing import run_cli

PROFILES = [{"walk": {"sessions": n}} for n in (1, 3, 4, 5, 2)]


@pytest.fixture
def mini(make_kb) -> healthkb.KnowledgeBase:
    return healthkb.load(make_kb())


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keys(tmp_path / "keys")


def write_log(kb: healthkb.KnowledgeBase, path: Path, count: int = 5) -> Path:
    log = healthkb.AuditLog(path)
    for profile in PROFILES[:count]:
        kb.evaluate(profile, audit=log)
    return path


def rewrite(path: Path, line: int, **changes: object) -> None:
    """Change a record and recompute every hash from it on: the chain holds again."""
    records = [json.loads(raw) for raw in path.read_bytes().splitlines()]
    records[line - 1].update(changes)
    previous = records[line - 2]["hash"] if line > 1 else None
    lines = []
    for index, record in enumerate(records):
        if index >= line - 1:
            if index > 0:
                record["previous"] = previous
            record["hash"] = record_hash(record)
        text = canonical(record)
        previous = line_hash(text)
        lines.append(text + b"\n")
    path.write_bytes(b"".join(lines))


def test_keygen_writes_a_private_key_only_its_owner_reads_and_a_public_key(
    tmp_path: Path,
) -> None:
    code, out, _ = run_cli(["audit", "keygen", "--out", str(tmp_path / "k")])
    assert code == 0 and out.count("wrote ") == 2
    assert stat.S_IMODE((tmp_path / "k/audit.key").stat().st_mode) == 0o600
    assert (tmp_path / "k/audit.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    code, _, err = run_cli(["audit", "keygen", "--out", str(tmp_path / "k")])
    assert (code, err) == (
        2,
        f"healthkb: {tmp_path / 'k/audit.key'}: already exists; not overwritten "
        "(move it away first)\n",
    )


def test_a_whole_log_rewrite_passes_the_chain_but_not_the_checkpoint(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl", 4)
    assert run_cli(["audit", "checkpoint", str(log), "--key", str(keys[0])])[0] == 0
    mini.evaluate(PROFILES[4], audit=healthkb.AuditLog(log))  # after the checkpoint
    rewrite(log, 2, profile={"walk": {"sessions": 9}})
    code, out, _ = run_cli(["audit", "verify", str(log)])
    assert code == 0 and out.splitlines()[-1].startswith("verified: 5 records")  # cannot tell
    code, out, _ = run_cli(["audit", "verify", str(log), "--public-key", str(keys[1])])
    assert code == 1
    problem, verdict = out.splitlines()
    assert problem.startswith(f"{log}: line 4 (record ")
    assert "checkpoint-mismatch: audit.jsonl.checkpoints line 1: record 4 no longer matches" in (
        problem
    )
    assert verdict == (
        "FAILED: 1 problem(s), the first at line 4: checkpoint-mismatch; the chain of 5 "
        "records holds"
    )


def test_verify_speaks_once_an_edited_record_under_checkpoints_is_only_a_failure(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl", 4)
    healthkb.AuditLog(log).checkpoint(keys[0])
    mini.evaluate(PROFILES[4], audit=healthkb.AuditLog(log))
    lines = log.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"sessions":', b'"sessions":1', 1)  # edited, hash not redone
    log.write_bytes(b"".join(lines))
    code, out, _ = run_cli(["audit", "verify", str(log), "--public-key", str(keys[1])])
    assert code == 1
    printed = out.splitlines()
    assert not any(line.startswith(("ok", "verified")) for line in printed)
    assert printed[0].startswith(f"{log}: line 2 (record ")
    assert " edited-record: " in printed[0]
    assert printed[-1] == (
        "FAILED: 1 problem(s), the first at line 2: edited-record; the chain holds 1 record "
        "before it"
    )


def test_verify_names_the_records_signed_and_the_unsigned_tail(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl", 4)
    healthkb.AuditLog(log).checkpoint(keys[0])
    for profile in PROFILES[:3]:
        mini.evaluate(profile, audit=healthkb.AuditLog(log))
    code, out, _ = run_cli(["audit", "verify", str(log), "--public-key", str(keys[1])])
    assert code == 0
    release, verdict = out.splitlines()
    assert release.endswith(": unreleased working copy (7 answer(s))")
    assert verdict.startswith("verified: 7 records; signed up to 4; 3 unsigned at the tail; head ")


def test_records_after_the_last_checkpoint_are_only_chained(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl", 4)
    healthkb.AuditLog(log).checkpoint(keys[0])
    mini.evaluate(PROFILES[4], audit=healthkb.AuditLog(log))
    rewrite(log, 5, profile={"walk": {"sessions": 9}})
    check = healthkb.AuditLog(log).verify_checkpoints(keys[1])
    assert (check.ok, check.checkpoints, check.last) == (True, 1, 4)


def test_a_log_cut_short_before_a_checkpoint_is_caught(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl")
    healthkb.AuditLog(log).checkpoint(keys[0])
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:3]))
    check = healthkb.AuditLog(log).verify_checkpoints(keys[1])
    (problem,) = check.problems
    assert problem.code == "checkpoint-mismatch"
    assert "record 5, signed at " in problem.message and "is gone" in problem.message


def test_a_forged_or_edited_checkpoint_is_a_bad_signature(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl")
    healthkb.AuditLog(log).checkpoint(Ed25519PrivateKey.generate())  # someone else's key
    healthkb.AuditLog(log).checkpoint(keys[0])
    lines = checkpoints_path(log).read_bytes().splitlines()
    edited = json.loads(lines[1])
    edited["sequence"] = 3  # moved onto another record
    checkpoints_path(log).write_bytes(lines[0] + b"\n" + lines[1] + b"\n" + canonical(edited))
    check = healthkb.AuditLog(log).verify_checkpoints(keys[1])
    assert [p.code for p in check.problems] == ["bad-signature", "bad-signature"]
    assert check.checkpoints == 1


@pytest.mark.parametrize("damage", ["deleted", "garbled"])
def test_missing_or_garbled_checkpoints_are_reported(
    mini, tmp_path: Path, keys: tuple[Path, Path], damage: str
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl")
    if damage == "garbled":
        checkpoints_path(log).write_text("not json\n")
    code, out, _ = run_cli(
        ["audit", "verify", str(log), "--public-key", str(keys[1]), "--format", "json"]
    )
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is True  # the chain
    codes = [p["code"] for p in report["checkpoints"]["problems"]]
    assert codes == (["no-checkpoints"] if damage == "deleted" else ["malformed-checkpoint"])


def test_checkpoint_refuses_a_log_that_does_not_verify_or_match_its_checkpoints(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl")
    assert run_cli(["audit", "checkpoint", str(log), "--key", str(keys[0])])[0] == 0
    rewrite(log, 2, profile={"walk": {"sessions": 9}})
    before = checkpoints_path(log).read_bytes()
    code, _, err = run_cli(["audit", "checkpoint", str(log), "--key", str(keys[0])])
    assert (code, err) == (1, "checkpoint refused: the log does not match its checkpoints\n")
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join([lines[0], lines[2]]))  # record 2 deleted
    code, _, err = run_cli(["audit", "checkpoint", str(log), "--key", str(keys[0])])
    assert (code, err) == (1, "checkpoint refused: the log does not verify\n")
    assert checkpoints_path(log).read_bytes() == before


def test_a_writer_checkpoints_every_n_records(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl", checkpoint_key=keys[0], checkpoint_every=2)
    for profile in PROFILES:
        mini.evaluate(profile, audit=log)
    lines = checkpoints_path(log.path).read_text().splitlines()
    signed = [json.loads(line)["sequence"] for line in lines]
    assert signed == [2, 4]
    check = log.verify_checkpoints(keys[1])
    assert (check.ok, check.checkpoints, check.last) == (True, 2, 4)
    log.checkpoint()
    assert log.verify_checkpoints(keys[1]).last == 5


def test_a_writer_checkpoints_at_its_first_append_after_t_seconds(
    mini, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    log = healthkb.AuditLog(
        tmp_path / "audit.jsonl",
        checkpoint_key=keys[0],
        checkpoint_every=None,
        checkpoint_seconds=0.2,
    )
    mini.evaluate(PROFILES[0], audit=log)
    assert not checkpoints_path(log.path).exists()
    time.sleep(0.25)
    mini.evaluate(PROFILES[1], audit=log)
    mini.evaluate(PROFILES[2], audit=log)
    assert log.verify_checkpoints(keys[1]).last == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["checkpoint", "LOG", "--key", "PUB"], "PUB: not an unencrypted PEM private key"),
        (["verify", "LOG", "--public-key", "KEY"], "KEY: holds a private key; give the public"),
        (["verify", "LOG", "--public-key", "LOG"], "LOG: not a PEM public key"),
        (["checkpoint", "LOG", "--key", "NONE"], "NONE: cannot read the key (No such file"),
    ],
)
def test_wrong_key_files_are_clear_errors(
    mini, tmp_path: Path, keys: tuple[Path, Path], argv: list[str], message: str
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl", 1)
    names = {"LOG": str(log), "KEY": str(keys[0]), "PUB": str(keys[1]), "NONE": "none.key"}
    code, _, err = run_cli(["audit", *[names.get(word, word) for word in argv]])
    first, rest = message.split(":", 1)
    assert code == 2
    assert err.startswith(f"healthkb: {names[first]}:{rest}"), err


def test_checkpointing_an_empty_log_is_refused(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    (tmp_path / "audit.jsonl").write_bytes(b"")
    with pytest.raises(healthkb.AuditLogError, match="the log is empty: nothing to checkpoint"):
        healthkb.AuditLog(tmp_path / "audit.jsonl").checkpoint(keys[0])


def test_checkpoint_problems_name_no_line_0_of_the_log(
    tmp_path: Path, keys: tuple[Path, Path], mini: healthkb.KnowledgeBase
) -> None:
    log = write_log(mini, tmp_path / "audit.jsonl", 1)
    checkpoints_path(log).write_text("garbage\n")
    code, out, err = run_cli(["audit", "verify", str(log), "--public-key", str(keys[1])])
    assert code == 1
    printed = out + err
    assert "line 0" not in printed
    assert "malformed-checkpoint: audit.jsonl.checkpoints line 1: not a checkpoint" in printed
