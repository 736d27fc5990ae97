"""The service under a KB with a personal-data policy: the caller's answer is the same,
the audit record keeps only what the policy says, and without the hash key a policy
that hashes stops `serve` before it starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import healthkb
from healthkb.audit.checkpoints import generate_keys
from support.policy_kbs import policy_kb
from support.service_process import running

PROFILE = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs"], "weight_management_concern": True},
}


def test_the_answer_is_unchanged_and_the_record_keeps_what_the_policy_says(
    tmp_path: Path,
) -> None:
    _, public = generate_keys(tmp_path / "auditor", "sealing")
    (hash_key,) = generate_keys(tmp_path / "writer", "hash")
    attributes = "    diet.*: encrypt\n    goals.weight_management_concern: hash\n"
    root = policy_kb(tmp_path, attributes, public)
    log = tmp_path / "audit.jsonl"
    with (
        running("--kb", root, "--audit-log", log, "--audit-hash-key", hash_key) as server,
        server.client() as client,
    ):
        response = client.post("/evaluate", json=PROFILE)
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = healthkb.load(root).evaluate(PROFILE).model_dump(mode="json")
    assert {k: v for k, v in answer.items() if k != "record"} == expected
    ((_, record),) = healthkb.AuditLog(log).records()
    assert record["record"] == answer["record"]
    assert record["profile"]["diet"] == {name: {"protected": "encrypt"} for name in PROFILE["diet"]}
    assert record["profile"]["goals"]["weight_management_concern"]["protected"] == "hash"
    assert b'"low_calorie":true' not in log.read_bytes()


def test_serve_refuses_to_start_when_the_policy_hashes_and_no_hash_key_is_given(
    tmp_path: Path,
) -> None:
    root = policy_kb(tmp_path, "    goals.weight_management_concern: hash\n")
    command = [sys.executable, "-m", "healthkb", "serve", "--kb", str(root), "--port", "0"]
    started = subprocess.run(
        [*command, "--audit-log", str(tmp_path / "audit.jsonl")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 2
    assert "--audit-hash-key FILE" in started.stderr
    assert "Traceback" not in started.stderr
    assert started.stdout == ""
