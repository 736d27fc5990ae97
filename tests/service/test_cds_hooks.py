"""Conclusions as CDS Hooks cards: the fields the specification requires, and what
each card says about the passages it rests on."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import jsonschema
import pytest

import healthkb
from conftest import MINI_SOURCE, ROOT
from healthkb.cli import main
from healthkb.results.cds_cards import OVERRIDE_REASONS, card_uuid, escape, summary

# The card fields CDS Hooks 2.0 marks REQUIRED (https://cds-hooks.hl7.org/2.0/#card-attributes):
# `summary` (a string under 140 characters), `indicator` (info, warning or critical) and
# `source` (an object whose `label` is required; `url` and `icon` are absolute URLs).
# The response itself requires `cards`. `uuid` is optional, but when present a string.
CDS_HOOKS_RESPONSE = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["summary", "indicator", "source"],
                "properties": {
                    "uuid": {"type": "string"},
                    "summary": {"type": "string", "maxLength": 139},
                    "detail": {"type": "string"},
                    "indicator": {"enum": ["info", "warning", "critical"]},
                    "source": {
                        "type": "object",
                        "required": ["label"],
                        "properties": {
                            "label": {"type": "string"},
                            "url": {"type": "string", "pattern": "^https?://"},
                            "icon": {"type": "string", "pattern": "^https?://"},
                            "topic": {"type": "object", "required": ["code"]},
                        },
                    },
                },
            },
        }
    },
}

EXAMPLES = sorted((ROOT / "kb" / "examples").glob("*.yaml"))
TITLE = "Can running reduce fat in the thighs and buttocks?"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_gives_cards_with_the_required_fields(kb, example: Path) -> None:
    response = kb.evaluate_file(example).to_cds_cards()
    jsonschema.validate(response, CDS_HOOKS_RESPONSE)
    for card in response["cards"]:
        assert len(card["summary"]) < 140
        uuid.UUID(card["uuid"])


def test_stop_and_rest_is_a_warning_card(kb) -> None:
    result = kb.evaluate({"symptoms": {"physical_discomfort": True}})
    (card,) = result.to_cds_cards()["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "If you feel any physical discomfort, stop exercising immediately and rest."
    )
    assert card["source"]["label"] == f"{TITLE} (Cainiu Health)"
    assert "url" not in card["source"]  # the seed source records no URL


def test_cards_other_than_warnings_are_info(kb) -> None:
    result = kb.evaluate_file(ROOT / "kb" / "examples" / "discomfort.yaml")
    indicators = {
        c["extension"]["healthkb"]["conclusion"]: c["indicator"]
        for c in result.to_cds_cards()["cards"]
    }
    kinds = {c.id: c.kind for c in result.conclusions}
    assert set(kinds.values()) > {"warning"}
    assert indicators == {cid: "warning" if k == "warning" else "info" for cid, k in kinds.items()}


def test_the_detail_quotes_every_passage_of_the_proof_with_its_anchor(kb) -> None:
    result = kb.evaluate_file(ROOT / "kb" / "examples" / "meets_conditions.yaml")
    cards = {c["extension"]["healthkb"]["conclusion"]: c for c in result.to_cds_cards()["cards"]}
    for conclusion in result.conclusions:
        detail = cards[conclusion.id]["detail"]
        citations = _citations(result.explain(conclusion.id).to_dict())
        passages = {(c["source"], c["start"], c["end"], c["interpretation"]) for c in citations}
        quoted = [line for line in detail.splitlines() if line.startswith("> — ")]
        assert len(quoted) == len(passages) > 0
        for c in citations:
            assert f"> {escape(c['quote'])}\n" in detail
            anchor = f"`{c['source']}` {c['sentence']}, characters {c['start']}–{c['end']}"
            assert anchor in detail


def _citations(node: object) -> list[dict]:
    if isinstance(node, dict):
        found = [node] if {"quote", "start", "end", "sentence"} <= node.keys() else []
        return found + [c for v in node.values() for c in _citations(v)]
    if isinstance(node, list):
        return [c for v in node for c in _citations(v)]
    return []


def test_a_card_in_full(make_kb) -> None:
    source = MINI_SOURCE.replace("language: en", "language: en\nurl: https://example.org/mini")
    kb = healthkb.load(make_kb({"kb/sources/mini.yaml": source}))
    card = kb.evaluate({"walk": {"tired": True}}).to_cds_cards()["cards"][0]
    assert card == {
        "uuid": card["uuid"],
        "summary": "Rest when tired.",
        "indicator": "warning",
        "detail": (
            "Rest when tired.\n"
            "\n"
            "**Warning**, certainty *established*. Reached by rule `rest_when_tired` v1 "
            "(Rest when tired).\n"
            "\n"
            "Evidence: *not_assessed* (OCEBM-2011-adapted).\n"
            "\n"
            "Supporting passages:\n"
            "\n"
            "> Rest when tired.\n"
            ">\n"
            "> — *A tiny article*, Test Press: `mini` p1.s2, characters 35–51\n"
            "\n"
            "*Source* mini: “A tiny article”, Test Press, A. Writer, 2025-01-01; licence "
            "unknown; language en; evidence not\\_assessed (OCEBM-2011-adapted); reviewed "
            "unknown, review by unknown\n"
            "\n"
            f"Knowledge base `mini-kb` 1.0.0, digest `{kb.digest}`.\n"
        ),
        "source": {
            "label": "A tiny article (Test Press)",
            "url": "https://example.org/mini",
            "topic": {
                "system": "urn:healthkb:conclusion-kind",
                "code": "warning",
                "display": "Warning",
            },
        },
        "extension": {
            "healthkb": {
                "conclusion": "rest",
                "certainty": "established",
                "evidence": {"level": "not_assessed", "scale": "OCEBM-2011-adapted"},
                "rule": "rest_when_tired",
                "rule_version": 1,
                "kb_id": "mini-kb",
                "kb_version": "1.0.0",
                "kb_digest": kb.digest,
            }
        },
        "overrideReasons": OVERRIDE_REASONS,
    }


def test_unlogged_card_uuids_are_stable_and_differ_per_card(kb) -> None:
    profile = ROOT / "kb" / "examples" / "discomfort.yaml"
    first = [c["uuid"] for c in kb.evaluate_file(profile).to_cds_cards()["cards"]]
    again = [c["uuid"] for c in kb.evaluate_file(profile).to_cds_cards()["cards"]]
    other = kb.evaluate({"symptoms": {"physical_discomfort": True}}).to_cds_cards()["cards"]
    assert first == again
    assert len(set(first)) == len(first) > 1
    assert other[0]["uuid"] not in first  # same conclusion, other profile


def test_logged_cards_lead_back_to_their_audit_record(kb, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    result = kb.evaluate_file(ROOT / "kb" / "examples" / "discomfort.yaml", audit=log)
    record = result.audit_record_id
    assert record is not None
    for card in result.to_cds_cards()["cards"]:
        conclusion = card["extension"]["healthkb"]["conclusion"]
        assert card["extension"]["healthkb"]["audit_record"] == record
        assert card["uuid"] == card_uuid(record, conclusion)
        assert f"Audit record `{record}`." in card["detail"]
        assert log.find(card["uuid"])["record"] == record


def test_a_card_uuid_in_any_standard_form_leads_to_its_own_conclusion(kb, tmp_path: Path) -> None:
    log = healthkb.AuditLog(tmp_path / "audit.jsonl")
    result = kb.evaluate_file(ROOT / "kb" / "examples" / "discomfort.yaml", audit=log)
    cards = result.to_cds_cards()["cards"]
    assert len(cards) > 1
    for card in cards:
        conclusion = card["extension"]["healthkb"]["conclusion"]
        text = card["uuid"]
        for form in (
            text,
            text.upper(),
            "{" + text + "}",
            "urn:uuid:" + text,
            text.replace("-", ""),
        ):
            record, found = log.locate(form)
            assert (record["record"], found) == (result.audit_record_id, conclusion)
    assert log.locate(str(result.audit_record_id).upper())[1] is None


def test_a_long_statement_is_cut_at_a_word_with_an_ellipsis() -> None:
    statement = "Running " + "and walking " * 20 + "may help."
    cut = summary(statement)
    assert len(cut) < 140
    assert cut.endswith("…")
    assert statement.startswith(cut[:-1] + " ")  # cut between words
    assert summary("Short enough.") == "Short enough."


def test_markdown_characters_in_quotes_show_literally() -> None:
    assert escape("3*5 <b> [x] _y_ `z` a|b") == r"3\*5 \<b\> \[x\] \_y\_ \`z\` a\|b"


def test_evaluate_prints_cds_hooks_json(capsys, tmp_path: Path) -> None:
    profile = str(ROOT / "kb" / "examples" / "discomfort.yaml")
    assert main(["evaluate", profile, "--format", "cds-hooks"]) == 0
    printed = json.loads(capsys.readouterr().out)
    jsonschema.validate(printed, CDS_HOOKS_RESPONSE)
    assert printed == healthkb.load().evaluate_file(profile).to_cds_cards()

    log = tmp_path / "audit.jsonl"
    assert main(["evaluate", profile, "--format", "cds-hooks", "--audit-log", str(log)]) == 0
    record = json.loads(log.read_text(encoding="utf-8"))["record"]
    cards = json.loads(capsys.readouterr().out)["cards"]
    assert {c["extension"]["healthkb"]["audit_record"] for c in cards} == {record}
