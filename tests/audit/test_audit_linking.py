"""Answers name their audit record, and records name the input they answer: a batch
line's id, a CDS Hooks `hookInstance`, an `X-Request-ID`."""

from __future__ import annotations

from pathlib import Path

import healthkb
from support.fhir_data import bundle, hook_request, questionnaire_response
from support.service_process import running

PROFILE = {"symptoms": {"physical_discomfort": True}}


def test_service_answers_carry_their_record_and_records_carry_the_request_id(
    tmp_path: Path, kb: healthkb.KnowledgeBase
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    with running("--audit-log", store) as server, server.client() as client:
        answered = client.post("/evaluate", json=PROFILE, headers={"X-Request-ID": "req-17"})
        body = hook_request({"questionnaireResponses": bundle(questionnaire_response(kb, PROFILE))})
        carded = client.post(f"/cds-services/{kb.id}", json=body)
    record = answered.json()["record"]
    assert record == answered.headers["healthkb-audit-record"]
    log = healthkb.AuditLog(store)
    assert log.find(record)["input_id"] == "req-17"
    card_record = carded.headers["healthkb-audit-record"]
    assert log.find(card_record)["input_id"] == body["hookInstance"]


def test_a_record_without_an_input_id_has_none(tmp_path: Path, kb: healthkb.KnowledgeBase) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    result = kb.evaluate(PROFILE, audit=log)
    assert "input_id" not in log.find(str(result.audit_record_id))
    result = kb.evaluate(PROFILE, audit=log, input_id="person-17")
    assert log.find(str(result.audit_record_id))["input_id"] == "person-17"
