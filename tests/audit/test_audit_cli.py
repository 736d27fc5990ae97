"""`healthkb evaluate --audit-log` and `healthkb audit verify|replay|show` as auditors use them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import healthkb
from conftest import MINI_FACTS, MINI_RULES, ROOT
from healthkb.audit.log import canonical
from healthkb.cli import main

DISCOMFORT = str(ROOT / "kb" / "examples" / "discomfort.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write_profile(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def log_ids(log: Path) -> list[str]:
    return [json.loads(line)["record"] for line in log.read_text(encoding="utf-8").splitlines()]


def test_audit_show_prints_exactly_what_explain_prints(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    code, _, err = run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    assert code == 0
    (record,) = log_ids(log)
    assert err == f"audit record {record} appended to {log}\n"
    conclusions = json.loads(log.read_text(encoding="utf-8"))["result"]["conclusions"]
    explained = []
    for conclusion in (c["id"] for c in conclusions):
        _, explain_out, _ = run(capsys, "explain", DISCOMFORT, "--conclusion", conclusion)
        code, show_out, _ = run(
            capsys, "audit", "show", str(log), record, "--conclusion", conclusion
        )
        assert code == 0
        assert show_out.startswith(explain_out + "\n" + f"audit record {record} (#1, ")
        explained.append(explain_out)
    code, show_all, _ = run(capsys, "audit", "show", str(log), record)
    assert show_all.startswith("\n".join(explained) + "\n" + f"audit record {record}")
    assert "record hash sha256:" in show_all


def test_verify_passes_a_clean_log_and_names_the_first_bad_record(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for _ in range(3):
        run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    code, out, _ = run(capsys, "audit", "verify", str(log))
    assert code == 0
    assert out.splitlines()[-1].startswith(
        "verified: 3 records; signatures not checked (no --public-key); head "
    )

    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text(lines[0] + lines[2], encoding="utf-8")
    second = json.loads(lines[2])["record"]
    code, out, _ = run(capsys, "audit", "verify", str(log))
    assert code == 1
    assert out == (
        f"{log}: line 2 (record {second}): broken-chain: its `previous` hash does not match "
        "the line before it: record 2 is missing (deleted)\n"
        "FAILED: 1 problem(s), the first at line 2: broken-chain; the chain holds 1 record "
        "before it\n"
    )
    code, out, _ = run(capsys, "audit", "verify", str(log), "--format", "json")
    report = json.loads(out)
    assert (code, report["ok"], report["records"], report["problem"]["line"]) == (1, False, 1, 2)


def test_a_missing_log_is_unusable_input(capsys, tmp_path: Path) -> None:
    missing = str(tmp_path / "none.jsonl")
    for action in (["verify", missing], ["replay", missing], ["show", missing, "x"]):
        code, _, err = run(capsys, "audit", *action)
        assert (code, err) == (2, f"healthkb: {missing}: no such audit log\n")


def test_a_garbled_log_fails_verify_and_is_refused_by_replay_and_show(
    capsys, tmp_path: Path
) -> None:
    log = tmp_path / "garbled.jsonl"
    log.write_bytes(b'\x00\xff garbage\n{"half": ')
    code, out, _ = run(capsys, "audit", "verify", str(log))
    assert (code, out) == (
        1,
        f"{log}: line 1: malformed-record: the line is not a JSON record\n"
        "FAILED: 1 problem(s), the first at line 1: malformed-record; the chain holds 0 records "
        "before it\n",
    )
    code, _, err = run(capsys, "audit", "replay", str(log))
    assert (code, err) == (
        2,
        f"healthkb: {log}:1: malformed-record: the line is not a JSON record "
        "(run `healthkb audit verify` on it)\n",
    )
    code, _, err = run(capsys, "audit", "show", str(log), "x")
    assert code == 2 and "malformed-record: the line is not a JSON record" in err


def test_evaluate_refuses_to_append_after_a_torn_line(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    torn = log.read_bytes()[:-30]
    log.write_bytes(torn)
    code, out, err = run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    assert (code, out) == (2, "")
    assert "the last line is torn" in err and "refusing to append" in err
    assert log.read_bytes() == torn
    code, out, _ = run(capsys, "audit", "verify", str(log))
    assert code == 1 and "line 1" in out and "torn-line" in out


def test_show_refuses_an_edited_record_and_unknown_ids(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    (record,) = log_ids(log)
    code, _, err = run(capsys, "audit", "show", str(log), record, "--conclusion", "nope")
    assert code == 2 and f"record {record} has no conclusion `nope`" in err
    code, _, err = run(capsys, "audit", "show", str(log), "0000")
    assert (code, err) == (2, f"healthkb: {log}: no record or card with id 0000\n")
    log.write_text(log.read_text(encoding="utf-8").replace("true", "false", 1), encoding="utf-8")
    code, out, err = run(capsys, "audit", "show", str(log), record)
    assert (code, out) == (1, "")
    assert "does not match its hash: it was edited" in err


def test_replay_names_the_records_and_rules_a_rule_edit_changes(
    capsys, make_kb, tmp_path: Path
) -> None:
    before = make_kb(name="before")
    after = make_kb(
        {
            "rules/walking.yaml": MINI_RULES.replace("between: [3, 5]", "between: [4, 5]").replace(
                "title: Enough walking", "title: Enough walking, 4–5 times"
            )
        },
        name="after",
    )
    log = tmp_path / "audit.jsonl"
    for name, text in [("three", "walk: {sessions: 3}"), ("four", "walk: {sessions: 4}")]:
        profile = write_profile(tmp_path, f"{name}.yaml", text)
        run(capsys, "evaluate", profile, "--kb", str(before), "--audit-log", str(log))
    first, _ = log_ids(log)

    code, out, _ = run(capsys, "audit", "replay", str(log), "--kb", str(before))
    assert code == 0 and out.startswith("0 of 2 record(s) differ under mini-kb 1.0.0")

    code, out, _ = run(capsys, "audit", "replay", str(log), "--kb", str(after))
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(f"line 1: record {first} (")
    assert lines[0].endswith(f", then mini-kb 1.0.0 ({healthkb.load(before).digest}))")
    assert lines[1:3] == [
        "  no longer concluded: walking_may_help",
        "  rules that fired then, not now: enough_walking v1, walking_helps v1",
    ]
    after_digest = healthkb.load(after).digest
    assert lines[3] == f"1 of 2 record(s) differ under mini-kb 1.0.0 ({after_digest})"

    code, out, _ = run(capsys, "audit", "replay", str(log), "--kb", str(after), "--format", "json")
    (difference,) = json.loads(out)["differences"]
    assert difference["removed"] == ["walking_may_help"]
    assert difference["added"] == []
    assert difference["fired_only_then"] == ["enough_walking v1", "walking_helps v1"]
    assert difference["fired_only_now"] == []


def test_replay_lists_each_field_the_new_kb_no_longer_accepts_under_its_record(
    capsys, make_kb, tmp_path: Path
) -> None:
    before = make_kb(name="before")
    after = make_kb({"kb/facts.yaml": MINI_FACTS.replace("max: 14", "max: 5")}, name="after")
    log = tmp_path / "audit.jsonl"
    profile = write_profile(tmp_path, "p.yaml", "walk: {sessions: 9, tired: true}")
    run(capsys, "evaluate", profile, "--kb", str(before), "--audit-log", str(log))
    code, out, _ = run(capsys, "audit", "replay", str(log), "--kb", str(after))
    assert code == 1
    with pytest.raises(healthkb.ProfileError) as refused:
        healthkb.load(after).evaluate({"walk": {"sessions": 9, "tired": True}})
    assert out.splitlines()[1:] == [
        "  cannot be evaluated now: invalid profile",
        *(f"    {problem}" for problem in refused.value.problems),
        "  no longer concluded: rest",
        f"1 of 1 record(s) differ under mini-kb 1.0.0 ({healthkb.load(after).digest})",
    ]
    code, out, _ = run(capsys, "audit", "replay", str(log), "--kb", str(after), "--format", "json")
    (difference,) = json.loads(out)["differences"]
    assert difference["error"] == "invalid profile"
    assert [p["code"] for p in difference["problems"]] == ["invalid-value"]


def rewrite_record(log: Path, line: int, change: Callable[[dict], None]) -> str:
    """Change the record at `line` in place, leaving its hash as it was; its id."""
    lines = log.read_bytes().splitlines(keepends=True)
    record = json.loads(lines[line - 1])
    change(record)
    lines[line - 1] = canonical(record) + b"\n"
    log.write_bytes(b"".join(lines))
    return str(record["record"])


def test_replay_reports_edited_records_and_never_blames_the_kb_for_them(
    capsys, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    for _ in range(3):
        run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    first = rewrite_record(log, 1, lambda r: r.update(profile={}))
    third = rewrite_record(log, 3, lambda r: r["result"].update(conclusions=[]))
    code, out, _ = run(capsys, "audit", "replay", str(log))
    assert code == 1
    kb = healthkb.load()
    assert out.splitlines() == [
        f"line 1: record {first} does not match its hash: not replayed",
        f"line 3: record {third} does not match its hash: not replayed",
        f"0 of 1 record(s) differ under {kb.id} {kb.version} ({kb.digest}); "
        "2 record(s) not replayed: they do not match their hash",
    ]
    code, out, _ = run(capsys, "audit", "replay", str(log), "--format", "json")
    report = json.loads(out)
    assert (code, report["records"], report["differences"], report["log_problem"]) == (
        1,
        1,
        [],
        None,
    )
    assert [(e["line"], e["record"], e["code"]) for e in report["edited"]] == [
        (1, first, "edited-record"),
        (3, third, "edited-record"),
    ]
    # Converted to CRLF as well: still not replayed, and the line endings are named.
    log.write_bytes(log.read_bytes().replace(b"\n", b"\r\n"))
    code, out, _ = run(capsys, "audit", "replay", str(log))
    assert code == 1
    lines = out.splitlines()
    assert lines[:2] == [
        f"line 1: record {first} does not match its hash: not replayed",
        f"line 3: record {third} does not match its hash: not replayed",
    ]
    assert lines[2].startswith(f"{log}: line 2 (record ")
    assert ": crlf-line-ending: the line ends in CRLF" in lines[2]
    assert lines[3].startswith("0 of 1 record(s) differ under ")


def test_replay_names_the_first_break_in_the_chain_as_verify_does(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    for _ in range(2):
        run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join([*lines, lines[1]]))
    _, verified, _ = run(capsys, "audit", "verify", str(log))
    assert verified.splitlines()[0].endswith("duplicated record (same as record 2 at line 2)")
    assert verified.splitlines()[1] == (
        "FAILED: 1 problem(s), the first at line 3: broken-chain; the chain holds 2 records "
        "before it"
    )
    code, out, _ = run(capsys, "audit", "replay", str(log))
    assert code == 1
    assert out.splitlines()[0] == verified.splitlines()[0]
    assert out.splitlines()[1].startswith("0 of 3 record(s) differ under ")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (
            b"[" * 100_000 + b"]" * 100_000,
            "the line's JSON is nested too deeply to read (no record nests this deep)",
        ),
        (
            b'{"sequence": ' + b"9" * 5_000 + b"}",
            "the line's JSON holds a number too long to read (no record holds one)",
        ),
    ],
    ids=["nested-too-deeply", "number-too-long"],
)
def test_every_audit_command_reports_a_line_python_cannot_read_without_a_traceback(
    capsys, tmp_path: Path, line: bytes, why: str
) -> None:
    log = tmp_path / "audit.jsonl"
    run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    (record,) = log_ids(log)
    with log.open("ab") as handle:
        handle.write(line + b"\n")
    code, out, _ = run(capsys, "audit", "verify", str(log))
    assert (code, out) == (
        1,
        f"{log}: line 2: malformed-record: {why}\n"
        "FAILED: 1 problem(s), the first at line 2: malformed-record; the chain holds 1 record "
        "before it\n",
    )
    refused = f"healthkb: {log}:2: malformed-record: {why} (run `healthkb audit verify` on it)\n"
    code, _, err = run(capsys, "audit", "replay", str(log))
    assert (code, err) == (2, refused)
    code, _, err = run(capsys, "audit", "show", str(log), "0000")
    assert (code, err) == (2, refused)
    code, _, _ = run(capsys, "audit", "show", str(log), record)
    assert code == 0
    code, out, err = run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    assert (code, out) == (2, "")
    assert f"the last line is not a record ({why})" in err


def cards_of_a_logged_evaluation(capsys, log: Path) -> list[dict]:
    code, out, _ = run(
        capsys, "evaluate", DISCOMFORT, "--format", "cds-hooks", "--audit-log", str(log)
    )
    assert code == 0
    cards: list[dict] = json.loads(out)["cards"]
    return cards


def test_show_with_a_card_uuid_prints_only_that_cards_conclusion(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    cards = cards_of_a_logged_evaluation(capsys, log)
    (record,) = log_ids(log)
    assert len(cards) > 1
    for card in cards:
        conclusion = card["extension"]["healthkb"]["conclusion"]
        _, explained, _ = run(capsys, "explain", DISCOMFORT, "--conclusion", conclusion)
        code, shown, _ = run(capsys, "audit", "show", str(log), card["uuid"])
        assert code == 0
        assert shown.startswith(f"{explained}\naudit record {record} (#1, ")
        assert f"\n  CDS Hooks card {card['uuid']}: conclusion {conclusion}\n" in shown
        code, as_json, _ = run(capsys, "audit", "show", str(log), card["uuid"], "--format", "json")
        _, explained_json, _ = run(
            capsys, "explain", DISCOMFORT, "--conclusion", conclusion, "--format", "json"
        )
        assert json.loads(as_json) == {
            "record": record,
            "explanations": [json.loads(explained_json)],
        }


def test_show_accepts_a_uuid_in_any_standard_textual_form(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    card = cards_of_a_logged_evaluation(capsys, log)[0]
    (record,) = log_ids(log)
    _, expected, _ = run(capsys, "audit", "show", str(log), card["uuid"])
    for form in (card["uuid"].upper(), "{" + card["uuid"] + "}", "urn:uuid:" + card["uuid"]):
        code, shown, _ = run(capsys, "audit", "show", str(log), form)
        assert (code, shown) == (0, expected)
    _, expected, _ = run(capsys, "audit", "show", str(log), record)
    code, shown, _ = run(capsys, "audit", "show", str(log), "{" + record.upper() + "}")
    assert (code, shown) == (0, expected)


def test_show_refuses_a_card_with_another_conclusion(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    first, second = cards_of_a_logged_evaluation(capsys, log)[:2]
    other = second["extension"]["healthkb"]["conclusion"]
    conclusion = first["extension"]["healthkb"]["conclusion"]
    code, _, err = run(capsys, "audit", "show", str(log), first["uuid"], "--conclusion", other)
    assert (code, err) == (
        2,
        f"healthkb: that card shows conclusion `{conclusion}`, not `{other}`\n",
    )


def test_a_forged_record_of_the_wrong_shape_gives_no_traceback(capsys, tmp_path: Path) -> None:
    from healthkb.audit.log import canonical, record_hash

    record = {
        "format": "x",
        "sequence": 1,
        "record": "r1",
        "time": "t",
        "kb": {},
        "profile": {},
        "result": {},
        "explanations": {"c": {}},
    }
    record["hash"] = record_hash(record)
    log = tmp_path / "forged.jsonl"
    log.write_bytes(canonical(record) + b"\n")
    code, _, err = run(capsys, "audit", "replay", str(log))
    assert (code, err) == (2, f"healthkb: {log}:1: not a healthkb audit record\n")
    code, _, err = run(capsys, "audit", "show", str(log), "r1")
    assert (code, err) == (2, f"healthkb: {log}: record r1 is not a healthkb record\n")


def test_audit_show_json_is_the_explain_json(capsys, tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    run(capsys, "evaluate", DISCOMFORT, "--audit-log", str(log))
    (record,) = log_ids(log)
    _, explained, _ = run(
        capsys, "explain", DISCOMFORT, "--conclusion", "stop_and_rest", "--format", "json"
    )
    code, shown, _ = run(
        capsys,
        "audit",
        "show",
        str(log),
        record,
        "--conclusion",
        "stop_and_rest",
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(shown) == {"record": record, "explanations": [json.loads(explained)]}
