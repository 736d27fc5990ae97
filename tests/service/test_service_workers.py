"""Several worker processes: each loads the KB, and all append to one audit log."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

import healthkb
from healthkb.cli import main
from support.fhir_data import bundle, hook_request, questionnaire_response
from support.service_process import running

PROFILES = [
    {"symptoms": {"physical_discomfort": True}},
    {"goals": {"weight_management_concern": True}},
    {"running": {"intensity": "low", "sessions_per_week": 1, "minutes_per_session": 10}},
]


def test_two_workers_write_one_audit_log_that_verifies(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    log = tmp_path / "audit.jsonl"
    requests = 60
    with running("--workers", "2", "--audit-log", log) as server:

        def call(index: int) -> tuple[int, str, int]:
            # A new connection per call, so that both workers get calls.
            with httpx.Client(base_url=server.url, timeout=60) as client:
                worker = client.get("/health").json()["worker"]
                profile = PROFILES[index % len(PROFILES)]
                if index % 2:
                    answers = bundle(questionnaire_response(kb, profile))
                    body = hook_request({"questionnaireResponses": answers})
                    response = client.post(f"/cds-services/{kb.id}", json=body)
                    record = response.headers["healthkb-audit-record"]
                    cards = response.json()["cards"]
                    assert all(c["extension"]["healthkb"]["audit_record"] == record for c in cards)
                else:
                    response = client.post("/evaluate", json=profile)
                    record = response.headers["healthkb-audit-record"]
                return response.status_code, record, worker

        # On a loaded machine the second worker may still be starting when the first
        # calls arrive: calls go on, in rounds, until both workers have answered some.
        answers: list[tuple[int, str, int]] = []
        deadline = time.monotonic() + 120
        with ThreadPoolExecutor(8) as pool:
            while len(answers) < requests or (
                len({w for _, _, w in answers}) < 2 and time.monotonic() < deadline
            ):
                answers += pool.map(call, range(len(answers), len(answers) + 20))
    requests = len(answers)
    assert {status for status, _, _ in answers} == {200}
    workers = {worker for _, _, worker in answers}
    assert len(workers) == 2, f"all calls went to one worker: {workers}"
    audit = healthkb.AuditLog(log)
    verification = audit.verify()
    assert verification.ok, verification.problem
    assert verification.records == requests
    logged = {record["record"]: record for _, record in audit.records()}
    assert set(logged) == {record for _, record, _ in answers}
    assert [r["sequence"] for _, r in audit.records()] == list(range(1, requests + 1))


def test_a_worker_refuses_a_kb_that_changed_since_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthkb.service.app import create_app_from_environment
    from healthkb.service.settings import ENVIRONMENT_VARIABLE, Settings

    settings = Settings(kb_digest="sha256:" + "0" * 64)
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, settings.to_json())
    with pytest.raises(healthkb.HealthKBError, match="the KB changed on disk"):
        create_app_from_environment()


def test_workers_sign_checkpoints_of_the_audit_log_they_share(tmp_path: Path) -> None:
    assert main(["audit", "keygen", "--out", str(tmp_path / "keys")]) == 0
    log = tmp_path / "audit.jsonl"
    key = tmp_path / "keys" / "audit.key"
    options = ("--audit-log", log, "--checkpoint-key", key, "--checkpoint-every", "3")
    with (
        running("--workers", "2", *options) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        for index in range(12):
            response = client.post("/evaluate", json=PROFILES[index % len(PROFILES)])
            assert response.status_code == 200
    audit = healthkb.AuditLog(log)
    check = audit.verify_checkpoints(tmp_path / "keys" / "audit.pub")
    assert check.ok, check
    # Each worker signs after every third record it appended itself.
    assert check.checkpoints >= 2
    assert audit.verify().records == 12


def test_serve_refuses_a_checkpoint_key_that_is_not_one_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "audit.key").write_text("not a key\n")
    options = ["--audit-log", str(tmp_path / "a.jsonl"), "--checkpoint-key"]
    assert main(["serve", "--port", "0", *options, str(tmp_path / "audit.key")]) == 2
    assert "not an unencrypted PEM private key" in capsys.readouterr().err
    assert main(["serve", "--port", "0", "--checkpoint-key", str(tmp_path / "audit.key")]) == 2
    assert "--checkpoint-key signs an audit log: give --audit-log STORE too" in (
        capsys.readouterr().err
    )
