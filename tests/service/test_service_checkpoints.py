"""The service signs what it appended: each worker when it stops, and, with
`--checkpoint-seconds`, on a timer once records have waited that long (issue 17: after
a clean SIGTERM the last records were unsigned, and cutting them passed verify)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

import healthkb
from healthkb.audit.checkpoints import generate_keys
from support.fuzzing import run_cli
from support.service_process import running

PROFILE = {"symptoms": {"physical_discomfort": True}}


def test_each_worker_signs_a_checkpoint_when_it_stops(tmp_path: Path) -> None:
    key, public = generate_keys(tmp_path / "keys")
    log = tmp_path / "audit.jsonl"
    options = ("--workers", "2", "--audit-log", log, "--checkpoint-key", key)
    with running(*options) as server:
        for _ in range(10):
            with httpx.Client(base_url=server.url, timeout=60) as client:
                assert client.post("/evaluate", json=PROFILE).status_code == 200
        assert not (tmp_path / "audit.jsonl.checkpoints").exists()  # 10 < 1,000: none yet
    check = healthkb.AuditLog(log).verify_checkpoints(public)
    assert check.ok, check.problems
    assert check.last == 10
    assert "signed a checkpoint of the audit log at record" in "".join(server.output)
    # Cutting the last record is now caught with the public key.
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:-1]))
    code, _, _ = run_cli(["audit", "verify", str(log), "--public-key", str(public)])
    assert code == 1


def test_checkpoint_seconds_signs_an_idle_log_without_waiting_for_an_append(
    tmp_path: Path,
) -> None:
    key, public = generate_keys(tmp_path / "keys")
    log = tmp_path / "audit.jsonl"
    with running(
        "--audit-log", log, "--checkpoint-key", key, "--checkpoint-seconds", "1"
    ) as server:
        with server.client() as client:
            for _ in range(3):
                assert client.post("/evaluate", json=PROFILE).status_code == 200
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            check = healthkb.AuditLog(log).verify_checkpoints(public)
            if check.last == 3:
                break
            time.sleep(0.2)
        assert check.ok and check.last == 3, check
        # Idle with nothing unsigned: no more checkpoints.
        signed = (tmp_path / "audit.jsonl.checkpoints").read_bytes()
        time.sleep(2)
        assert (tmp_path / "audit.jsonl.checkpoints").read_bytes() == signed


def test_evaluate_signs_its_record_with_checkpoint_key(tmp_path: Path) -> None:
    key, public = generate_keys(tmp_path / "keys")
    log = tmp_path / "audit.jsonl"
    for _ in range(2):
        code, _, err = run_cli(
            [
                "evaluate",
                "kb/examples/meets_conditions.yaml",
                "--audit-log",
                str(log),
                "--checkpoint-key",
                str(key),
            ]
        )
        assert code == 0, err
    assert err.splitlines()[-1] == "checkpoint signed at record 2"
    check = healthkb.AuditLog(log).verify_checkpoints(public)
    assert (check.ok, check.checkpoints, check.last) == (True, 2, 2)
