"""Personal data in audit records: a KB's `personal_data:` policy keeps, drops, hashes,
generalises or encrypts each profile attribute in the record (never in the answer), the
records still verify, and replay opens what it has the key for and names what it cannot
replay exactly."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

import healthkb
from conftest import ROOT
from healthkb.audit.checkpoints import generate_keys
from healthkb.audit.replay import replay
from healthkb.cli import main
from healthkb.errors import KBError
from healthkb.files.x25519_keys import read_sealing_private_key
from support.policy_kbs import policy_kb
from support.postgres_server import PostgresServer

MEETS = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {
        "low_calorie": True,
        "nutrient_rich": True,
        "limits_high_fat_high_sugar": True,
        "frequent_high_calorie_foods": False,
    },
    "goals": {"target_areas": ["thighs", "buttocks"], "weight_management_concern": True},
    "symptoms": {"physical_discomfort": False},
}
FAILS = {
    "running": {"intensity": "low", "sessions_per_week": 2, "minutes_per_session": 15},
    "diet": {
        "low_calorie": False,
        "nutrient_rich": False,
        "limits_high_fat_high_sugar": False,
        "frequent_high_calorie_foods": True,
    },
    "goals": {"target_areas": ["thighs"]},
}
DIET = ("low_calorie", "nutrient_rich", "limits_high_fat_high_sugar", "frequent_high_calorie_foods")
# A diet value as any record would hold it: a profile's `"low_calorie":true`, or the
# `seen` of a condition on `diet.low_calorie` (the keys of a record are sorted).
_DIET_VALUE = re.compile(
    rb'"(?:%s)":(?:true|false)|"fact":"diet\.[a-z_]+","negated":(?:true|false),"op":"[a-z_]+",'
    rb'"origin":"input","seen":(?:true|false)' % "|".join(DIET).encode()
)


@pytest.fixture
def auditor(tmp_path: Path) -> tuple[Path, Path]:
    """The auditor's X25519 key pair: (auditor.key, auditor.pub)."""
    private, public = generate_keys(tmp_path / "auditor", "sealing")
    return private, public


@pytest.fixture
def hash_key(tmp_path: Path) -> Path:
    (path,) = generate_keys(tmp_path / "writer", "hash")
    return path


def _store_bytes(location: str, tmp_path: Path, postgres: PostgresServer | None) -> bytes:
    if location.startswith("sqlite:///"):
        files = sorted(tmp_path.glob("audit.db*"))  # the database, its WAL and journal
        return b"".join(path.read_bytes() for path in files)
    if postgres is not None and location.startswith("postgresql://"):
        return postgres.dump(location)
    return Path(location).read_bytes()


@pytest.mark.parametrize("action", ["drop", "encrypt", "keep"])
@pytest.mark.parametrize("kind", ["file", "sqlite", "postgresql"])
def test_no_value_of_a_dropped_or_encrypted_diet_reaches_the_stores_bytes(
    tmp_path: Path, auditor: tuple[Path, Path], action: str, kind: str, request
) -> None:
    root = policy_kb(tmp_path, f"    diet.*: {action}\n", auditor[1])
    kb = healthkb.load(root)
    postgres = request.getfixturevalue("postgres") if kind == "postgresql" else None
    location = {
        "file": str(tmp_path / "audit.jsonl"),
        "sqlite": f"sqlite:///{tmp_path / 'audit.db'}",
        "postgresql": postgres.create_database() if postgres else "",
    }[kind]
    log = healthkb.AuditLog(location)
    answers = [kb.evaluate(profile, audit=log) for profile in (MEETS, FAILS)]
    stored = _store_bytes(location, tmp_path, postgres)
    assert log.verify().ok
    assert all(a.audit_record_id and a.audit_record_id.encode() in stored for a in answers)
    if action == "keep":
        # The check finds the values where they are kept: it would see a leak.
        assert len(_DIET_VALUE.findall(stored)) >= 16
    else:
        assert _DIET_VALUE.findall(stored) == []
        assert f'"protected":"{action}"'.encode() in stored
    # The answers themselves are as without a policy: the caller sees their diet.
    assert [a.profile["diet"] for a in answers] == [MEETS["diet"], FAILS["diet"]]


def test_replay_opens_encrypted_inputs_with_the_auditors_key_and_only_with_it(
    tmp_path: Path, auditor: tuple[Path, Path]
) -> None:
    kb = healthkb.load(policy_kb(tmp_path, "    diet.*: encrypt\n", auditor[1]))
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    for profile in (MEETS, FAILS):
        kb.evaluate(profile, audit=log)
    assert log.verify().ok
    record = next(r for _, r in log.records())
    assert record["profile"]["diet"]["low_calorie"] == {"protected": "encrypt"}
    assert record["personal_data"]["attributes"]["diet.low_calorie"] == "encrypt"

    without = replay(log, kb)
    assert (without.records, len(without.not_replayed)) == (0, 2)
    assert without.not_replayed[0].missing["diet.low_calorie"] == "encrypted (no key)"

    opened = replay(log, kb, read_sealing_private_key(auditor[0]))
    assert (opened.ok, opened.records, opened.not_replayed) == (True, 2, [])

    (other, _) = generate_keys(tmp_path / "someone-else", "sealing")
    wrong = replay(log, kb, read_sealing_private_key(other))
    assert wrong.not_replayed[1].missing["diet.nutrient_rich"] == "encrypted (to another key)"


def test_hashed_and_generalised_inputs_are_named_as_not_replayable_exactly(
    tmp_path: Path, hash_key: Path
) -> None:
    root = policy_kb(
        tmp_path,
        "    goals.weight_management_concern: hash\n"
        "    running.minutes_per_session: {generalise: {band: 10}}\n"
        "    symptoms.*: drop\n",
    )
    kb = healthkb.load(root)
    key = hash_key.read_bytes()
    log = healthkb.AuditLog(tmp_path / "audit.jsonl", hash_key=key)
    kb.evaluate(MEETS, audit=log)
    ((_, record),) = log.records()
    expected = hmac.new(
        key, b'{"attribute":"goals.weight_management_concern","value":true}', hashlib.sha256
    ).hexdigest()
    assert record["profile"]["goals"]["weight_management_concern"] == {
        "protected": "hash",
        "hmac_sha256": expected,
    }
    assert record["profile"]["running"]["minutes_per_session"] == {
        "protected": "generalise",
        "band": [40.0, 50.0],
    }
    assert record["profile"]["symptoms"] == {"physical_discomfort": {"protected": "drop"}}
    outcome = replay(log, kb)
    assert outcome.not_replayed[0].missing == {
        "goals.weight_management_concern": "hashed",
        "running.minutes_per_session": "generalised",
        "symptoms.physical_discomfort": "dropped",
    }
    assert log.verify().ok


def test_a_policy_that_hashes_refuses_to_log_without_the_hash_key(
    tmp_path: Path, hash_key: Path, capsys
) -> None:
    root = policy_kb(tmp_path, "    symptoms.physical_discomfort: hash\n")
    profile = ROOT / "kb" / "examples" / "meets_conditions.yaml"
    store = tmp_path / "audit.jsonl"
    command = ["evaluate", str(profile), "--kb", str(root), "--audit-log", str(store)]
    assert main(command) == 2
    assert "--audit-hash-key FILE" in capsys.readouterr().err
    assert not store.exists()
    assert main([*command, "--audit-hash-key", str(hash_key), "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["profile"]["symptoms"] == {"physical_discomfort": False}  # unchanged
    assert main(["audit", "verify", str(store)]) == 0


def test_replay_on_the_command_line_says_which_answers_it_cannot_replay(
    tmp_path: Path, auditor: tuple[Path, Path], capsys
) -> None:
    root = policy_kb(tmp_path, "    diet.*: encrypt\n    symptoms.*: drop\n", auditor[1])
    store = str(tmp_path / "audit.jsonl")
    for example in ("meets_conditions", "fails_conditions"):
        profile = str(ROOT / "kb" / "examples" / f"{example}.yaml")
        assert main(["evaluate", profile, "--kb", str(root), "--audit-log", store]) == 0
    capsys.readouterr()
    assert main(["audit", "replay", store, "--kb", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        "cannot be replayed exactly: diet.frequent_high_calorie_foods encrypted (no key)"
        in (lines[0])
    )
    assert lines[-1].endswith(
        "2 record(s) not replayed: inputs the KB's personal-data policy protected are not in them"
    )
    key = str(auditor[0])
    assert main(["audit", "replay", store, "--kb", str(root), "--private-key", key]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("cannot be replayed exactly: symptoms.physical_discomfort dropped")
    assert lines[-1].startswith("0 of 1 record(s) differ under")


def test_the_bundled_kb_protects_nothing(kb: healthkb.KnowledgeBase, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    kb.evaluate(MEETS, audit=log)
    ((_, record),) = log.records()
    assert "personal_data" not in record
    assert record["profile"] == kb.evaluate(MEETS).profile
    assert replay(log, kb).records == 1


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ("    dietx.*: drop\n", "unknown-fact: `dietx.*`: unknown input fact `dietx` (did you"),
        (
            "    running.sessions_per_wek: hash\n",
            "unknown-attribute: `running.sessions_per_wek`: unknown attribute",
        ),
        (
            "    running.intensity: delete\n",
            "`running.intensity`: unknown action `delete` (write one of keep, drop, hash, encrypt",
        ),
        (
            "    running.intensity: {generalise: {band: 10}}\n",
            "band-does-not-fit: `running.intensity` is enum: only a number can be generalised",
        ),
        (
            "    running.sessions_per_week: {generalise: {band: 2.5}}\n",
            "band-does-not-fit: `running.sessions_per_week` is a whole number: a band of 2.5",
        ),
        ("    diet.*: encrypt\n", "missing-auditor: `diet.*` is encrypted, but no auditor"),
    ],
)
def test_a_bad_policy_is_a_located_problem_in_kb_yaml(
    tmp_path: Path, attributes: str, expected: str
) -> None:
    root = policy_kb(tmp_path, attributes)
    line = len((ROOT / "kb" / "kb.yaml").read_text().splitlines()) + 3
    with pytest.raises(KBError) as raised:
        healthkb.load(root)
    (problem,) = raised.value.problems
    assert problem.file == "kb/kb.yaml"
    assert expected in str(problem)
    # At the pattern; a missing auditor at `personal_data`, where it would go.
    assert problem.line == (line - 2 if problem.code == "missing-auditor" else line)
