"""`healthkb coverage`: every sentence accounted for, every rule exercised by a test case."""

from __future__ import annotations

import json

from conftest import MINI_CONCLUSIONS, MINI_RULES, MINI_SOURCE
from healthkb.cli import main

# Exercises rest_when_tired only; "Eat well." (p2.s1) is cited by nothing.
RESTING = """\
cases:
  - name: tired_walker_rests
    profile: {walk: {tired: true}}
    expect:
      conclusions: [rest]
"""

LEFT_OUT = MINI_SOURCE + ('left_out:\n  - quote: "Eat well."\n    reason: Too vague to encode.\n')


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["coverage", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_untouched_sentence_and_unexercised_rules_are_reported(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": RESTING})
    code, out, err = run(capsys, str(root))
    assert (code, err) == (0, "")
    assert out == (
        "source mini\n"
        "  p1.s1   encoded    “Walking 3–5 times a week may help.”\n"
        "                     by rules enough_walking, walking_helps\n"
        "                     by conclusions walking_may_help\n"
        "  p1.s2   encoded    “Rest when tired.”\n"
        "                     by rules rest_when_tired\n"
        "                     by conclusions rest\n"
        "  p2.s1   UNTOUCHED  “Eat well.”\n"
        "rules\n"
        "  enough_walking   NOT EXERCISED by any test case\n"
        "  rest_when_tired  exercised by 1 case: tired_walker_rests\n"
        "  walking_helps    NOT EXERCISED by any test case\n"
        "sources\n"
        "  mini  2 of 3 accounted for (66.7%): 2 encoded, 0 left out, 1 untouched\n"
        "sentences: 2 of 3 accounted for (66.7%): 2 encoded, 0 left out, 1 untouched\n"
        "rules: 1 of 3 active rules exercised by a test case (33.3%)\n"
    )


def test_left_out_sentence_shows_its_reason_and_counts_as_accounted_for(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": RESTING, "kb/sources/mini.yaml": LEFT_OUT})
    code, out, _ = run(capsys, str(root), "--fail-under-sentences", "100")
    assert code == 0
    assert (
        "  p2.s1   left out   “Eat well.”\n                     reason: Too vague to encode.\n"
    ) in out
    assert "sentences: 3 of 3 accounted for (100.0%): 2 encoded, 1 left out, 0 untouched" in out


def test_fail_under_thresholds_set_the_exit_code(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": RESTING})
    assert run(capsys, str(root), "--fail-under-sentences", "66")[0] == 0
    code, _, err = run(capsys, str(root), "--fail-under-sentences", "70")
    assert (code, err) == (1, "healthkb: sentence coverage 66.7% is under 70%\n")
    assert run(capsys, str(root), "--fail-under-rules", "33")[0] == 0
    code, _, err = run(
        capsys, str(root), "--fail-under-rules", "50", "--fail-under-sentences", "90"
    )
    assert code == 1
    assert err == (
        "healthkb: sentence coverage 66.7% is under 90%\n"
        "healthkb: rule coverage 33.3% is under 50%\n"
    )


def test_a_kb_without_test_cases_has_no_rule_exercised(make_kb, capsys) -> None:
    code, out, _ = run(capsys, str(make_kb()), "--fail-under-rules", "1")
    assert code == 1
    assert "rules: 0 of 3 active rules exercised by a test case (0.0%)" in out


def test_a_sentence_cited_only_by_a_conclusion_is_encoded(make_kb, capsys) -> None:
    # The rule quotes only "may help"; the conclusion quotes the whole sentence.
    rules = MINI_RULES.replace('quote: "Walking 3–5 times a week"', 'quote: "may help"')
    conclusions_only = rules.replace('quote: "may help"', 'quote: "Rest when tired."')
    root = make_kb({"rules/walking.yaml": conclusions_only})
    report = json.loads(run(capsys, str(root), "--format", "json")[1])
    first = report["sentences"][0]
    assert (first["anchor"], first["status"]) == ("p1.s1", "encoded")
    assert first["rules"] == [] and first["conclusions"] == ["walking_may_help"]


def test_a_draft_rule_neither_encodes_nor_counts(make_kb, capsys) -> None:
    rules = MINI_RULES.replace(
        "  - id: rest_when_tired\n    version: 1\n    title: Rest when tired\n    status: active",
        "  - id: rest_when_tired\n    version: 1\n    title: Rest when tired\n    status: draft",
    )
    # The `rest` conclusion now quotes "Eat well.", so only the draft rule cites p1.s2.
    conclusions = MINI_CONCLUSIONS.replace('quote: "Rest when tired."', 'quote: "Eat well."')
    root = make_kb({"rules/walking.yaml": rules, "kb/conclusions.yaml": conclusions})
    code, out, _ = run(capsys, str(root))
    assert code == 0
    assert (
        "  p1.s2   UNTOUCHED  “Rest when tired.”\n"
        "                     also cited by draft or retired rules (not counted): rest_when_tired\n"
    ) in out
    assert "  rest_when_tired  draft, not counted (only active rules run)\n" in out
    assert out.endswith(
        "rules: 0 of 2 active rules exercised by a test case (0.0%); "
        "1 draft or retired not counted\n"
    )


def test_json_report_lists_sentences_rules_and_percentages(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": RESTING})
    code, out, _ = run(capsys, str(root), "--format", "json")
    report = json.loads(out)
    assert code == 0
    assert [(s["anchor"], s["status"]) for s in report["sentences"]] == [
        ("p1.s1", "encoded"),
        ("p1.s2", "encoded"),
        ("p2.s1", "untouched"),
    ]
    assert report["rules"][1] == {
        "rule": "rest_when_tired",
        "file": "rules/walking.yaml",
        "status": "active",
        "exercised": True,
        "cases": ["tired_walker_rests"],
    }
    counts = {"total": 3, "encoded": 2, "left_out": 0, "partly": 0, "untouched": 1}
    assert report["summary"] == {
        "sentences": {**counts, "percent": 66.7},
        "sources": {"mini": {**counts, "percent": 66.7}},
        "rules": {"total": 3, "exercised": 1, "not_counted": 0, "percent": 33.3},
    }


def test_broken_case_file_is_unusable_input(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": RESTING.replace("[rest]", "[rets]")})
    code, out, err = run(capsys, str(root))
    assert (code, out) == (2, "")
    assert "kb/tests/a.yaml:5:21: unknown-conclusion" in err


def test_seed_kb_is_fully_covered(capsys) -> None:
    code, out, _ = run(
        capsys, "--fail-under-sentences", "100", "--fail-under-rules", "100", "--format", "json"
    )
    summary = json.loads(out)["summary"]
    assert code == 0
    assert summary["sentences"]["untouched"] == 0 and summary["sentences"]["percent"] == 100.0
    assert summary["rules"]["percent"] == 100.0
    assert summary["rules"]["exercised"] == summary["rules"]["total"] > 10
