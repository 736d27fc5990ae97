"""`healthkb analyze`, and the analysis inside `validate` and `release`: exit codes,
text and JSON, errors that refuse a release, warnings that do not."""

from __future__ import annotations

import json
from pathlib import Path

import healthkb
from conftest import MINI_RULES, write_kb
from support.analysis_kbs import (
    DUPLICATE_RULE,
    SEED_CONFLICT,
    assert_witness_reproduces,
    findings_of,
    seed_copy,
)
from support.kb_cli import main_in_kb as main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_analyze_of_the_seed_kb_finds_nothing_and_exits_0(capsys) -> None:
    code, out, _ = run(capsys, "analyze", str(ROOT))
    assert (code, out) == (0, f"ok: healthkb-running-fat-loss 0.1.2 (folder {ROOT}): no findings\n")


def test_analyze_json_gives_every_field_of_a_finding_and_exits_1_on_an_error(
    tmp_path, capsys
) -> None:
    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    code, out, _ = run(capsys, "analyze", str(root), "--format", "json")
    assert code == 1
    report = json.loads(out)
    # The planted rule also reaches profiles the seed declares silent (3 silences).
    assert (report["errors"], report["warnings"]) == (1, 3)
    assert [f["kind"] for f in report["findings"][1:]] == ["silence-contradicted"] * 3
    finding = report["findings"][0]
    assert set(finding) == {
        "kind",
        "severity",
        "message",
        "hint",
        "places",
        "rules",
        "conclusions",
        "fact",
        "witness",
    }
    assert (finding["kind"], finding["severity"]) == ("conflict", "error")
    # The JSON witness is the one the library finds, and it reproduces the finding.
    (found,) = findings_of(root, "conflict")
    assert finding["witness"] == found.witness
    assert_witness_reproduces(root, found)
    # Deterministic: the same KB gives the same bytes.
    assert run(capsys, "analyze", str(root), "--format", "json")[1] == out


def test_analyze_of_rules_that_do_not_read_exits_2(tmp_path, capsys) -> None:
    root = write_kb(tmp_path / "kb", {"rules/walking.yaml": MINI_RULES.replace("walk.", "wakl.")})
    code, _, err = run(capsys, "analyze", str(root))
    assert code == 2
    assert "unknown-fact" in err and "Traceback" not in err


def test_validate_fails_on_an_error_finding_and_release_is_refused(tmp_path, capsys) -> None:
    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    code, out, _ = run(capsys, "validate", str(root))
    assert code == 1
    assert out.startswith("rules/fat_outcomes.yaml:4:5: conflict: one profile can be told both")
    code, out, _ = run(capsys, "release", str(root), "--bump", "minor", "--date", "2026-12-01")
    assert code == 1
    assert "release refused: 1 problem(s) found" in out
    assert "version: 0.1.2" in (root / "kb/kb.yaml").read_text(encoding="utf-8")


def test_validate_shows_an_error_findings_other_rule_and_witness(tmp_path, capsys) -> None:
    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    code, out, _ = run(capsys, "validate", str(root))
    lines = out.splitlines()
    assert code == 1 and "conflict" in lines[0]
    assert (
        lines[1]
        == "  see: rules/fat_outcomes.yaml:38:5 (rule `frequent_running_fat_may_not_decrease`)"
    )
    # The witness, as `analyze` shows it, and what it is in the JSON.
    assert lines[2].startswith('  witness: {"diet": {')
    witness = json.loads(lines[2].removeprefix("  witness: "))
    assert len(healthkb.load(root).evaluate(witness).conflicts) == 1
    code, out, _ = run(capsys, "validate", str(root), "--format", "json")
    (problem,) = [p for p in json.loads(out) if p["code"] == "conflict"]
    assert problem["witness"] == witness and problem["see"] == [lines[1].removeprefix("  see: ")]


def test_validate_lists_warnings_and_still_passes(tmp_path, capsys) -> None:
    root = seed_copy(tmp_path / "kb", DUPLICATE_RULE, "rules/safety_and_habits.yaml")
    code, out, _ = run(capsys, "validate", str(root))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(
        "rules/safety_and_habits.yaml:80:5: redundant (warning): rule `stop_on_discomfort_again` "
        "duplicates rule `stop_on_discomfort`"
    )
    # The witness, as `analyze` shows it: a profile that makes both rules fire.
    assert lines[1].startswith('  witness: {"symptoms": {"physical_discomfort": true}')
    assert lines[2].endswith(", 1 warning(s)")
    code, _, _ = run(capsys, "analyze", str(root))
    assert code == 0
