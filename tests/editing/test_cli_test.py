"""`healthkb test`: editors' YAML test cases run end to end on small KBs."""

from __future__ import annotations

import json

import pytest

from support.kb_cli import main_in_kb as main

PASSING = """\
cases:
  - name: four_walks_may_help
    description: Inside 3–5 walks a week.
    profile: {walk: {sessions: 4}}
    expect:
      conclusions: [walking_may_help]
      derived:
        - {fact: walking_load, values: {level: enough}}
      fired_rules: [enough_walking, walking_helps]
  - name: tired_walker_rests
    profile: {walk: {sessions: 1, tired: true}}
    expect:
      conclusions: [rest]
      no_conclusions: [walking_may_help]
      only_these_conclusions: true
"""

FAILING = """\
cases:
  - name: two_walks_may_help
    profile: {walk: {sessions: 2}}
    expect:
      conclusions: [walking_may_help]
      derived:
        - {fact: walking_load, values: {level: enough}}
  - name: five_walks_say_nothing
    profile: {walk: {sessions: 5}}
    expect:
      no_conclusions: [walking_may_help]
"""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["test", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_passing_cases_print_one_line_each_and_exit_0(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/walking.yaml": PASSING})
    code, out, err = run(capsys, str(root))
    assert (code, err) == (0, "")
    assert out == (
        "PASS four_walks_may_help  (kb/tests/walking.yaml:2)\n"
        "PASS tired_walker_rests  (kb/tests/walking.yaml:10)\n"
        "2 passed, 0 failed  (knowledge base mini-kb 1.0.0)\n"
    )


def test_failing_case_shows_expected_got_and_why_not(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/walking.yaml": FAILING})
    code, out, _ = run(capsys, str(root), "-k", "two_walks")
    assert code == 1
    assert out == (
        "FAIL two_walks_may_help  (kb/tests/walking.yaml:2)\n"
        "  expected:\n"
        "    conclusions: walking_may_help\n"
        '    derived: walking_load {"level": "enough"}\n'
        "  got:\n"
        "    conclusions: (none)\n"
        "    derived: (none)\n"
        "  - expected conclusion `walking_may_help`, not reached\n"
        "    why not walking_may_help?\n"
        "      rule walking_helps v1 (active): Walking may help  (rules/walking.yaml)\n"
        '        condition walking_load.level eq "enough" failed: no rule derived a matching'
        " fact, seen null\n"
        "          rule enough_walking v1 (active): Enough walking  (rules/walking.yaml)\n"
        "            condition walk.sessions between [3, 5] failed: value does not match,"
        " seen 2\n"
        "            the passage it rests on\n"
        "              source mini p1.s1 [0:24]: “Walking 3–5 times a week”\n"
        "        the passage it rests on\n"
        "          source mini p1.s1 [25:33]: “may help”\n"
        '  - expected derived fact `walking_load` {"level": "enough"}, not derived\n'
        "    (explained above)\n"
        "0 passed, 1 failed  (knowledge base mini-kb 1.0.0)\n"
    )


def test_unexpected_conclusion_is_shown_with_its_proof(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/walking.yaml": FAILING})
    code, out, _ = run(capsys, str(root), "-k", "five")
    assert code == 1
    assert "  - conclusion `walking_may_help` must not appear, but was reached\n" in out
    assert "    conclusion walking_may_help (outcome, certainty possible)\n" in out
    assert "condition walk.sessions between [3, 5]: holds, seen 5 (input)" in out


def test_one_failure_among_passes_exits_1_and_counts_both(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": PASSING, "kb/tests/b.yaml": FAILING})
    code, out, _ = run(capsys, str(root))
    assert code == 1
    assert [line.split()[0] for line in out.splitlines() if line[:4] in ("PASS", "FAIL")] == [
        "PASS",
        "PASS",
        "FAIL",
        "FAIL",
    ]
    assert out.endswith("2 passed, 2 failed  (knowledge base mini-kb 1.0.0)\n")


def test_k_selects_cases_whose_name_contains_the_text(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": PASSING, "kb/tests/b.yaml": FAILING})
    code, out, _ = run(capsys, str(root), "-k", "walks_")
    assert code == 1
    names = [line.split()[1] for line in out.splitlines() if line[:4] in ("PASS", "FAIL")]
    assert names == ["four_walks_may_help", "two_walks_may_help", "five_walks_say_nothing"]
    code, out, _ = run(capsys, str(root), "-k", "tired")
    assert code == 0
    assert out.startswith("PASS tired_walker_rests ")


def test_k_matching_nothing_is_a_usage_error(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": PASSING})
    code, out, err = run(capsys, str(root), "-k", "swimming")
    assert (code, out) == (2, "")
    assert err == "healthkb: no test case matches -k 'swimming' (cases live in kb/tests/*.yaml)\n"


def test_a_kb_without_cases_is_a_usage_error(make_kb, capsys) -> None:
    code, _, err = run(capsys, str(make_kb()))
    assert code == 2
    assert "no test case was found" in err


def test_a_single_case_file_can_be_run(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": PASSING, "kb/tests/b.yaml": FAILING})
    code, out, _ = run(capsys, str(root / "kb" / "tests" / "a.yaml"))
    assert code == 0
    assert out.endswith("2 passed, 0 failed  (knowledge base mini-kb 1.0.0)\n")
    assert "(kb/tests/a.yaml:2)" in out


def test_json_report_carries_expected_got_and_the_why_not(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": PASSING, "kb/tests/b.yaml": FAILING})
    code, out, _ = run(capsys, str(root), "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert report["summary"] == {"total": 4, "passed": 2, "failed": 2}
    assert report["kb"]["id"] == "mini-kb" and report["kb"]["digest"].startswith("sha256:")
    failing = report["cases"][2]
    assert failing["name"] == "two_walks_may_help" and failing["passed"] is False
    assert failing["got"] == {"conclusions": [], "derived": [], "fired_rules": []}
    kinds = [m["kind"] for m in failing["mismatches"]]
    assert kinds == ["missing-conclusion", "missing-derived"]
    why_not = failing["mismatches"][0]["why_not"]
    assert why_not["conclusion"] == "walking_may_help"
    assert why_not["rules"][0]["id"] == "walking_helps"
    assert [r["id"] for r in failing["mismatches"][1]["why_not_rules"]] == ["enough_walking"]
    unexpected = report["cases"][3]["mismatches"][0]
    assert unexpected["kind"] == "unexpected-conclusion"
    assert unexpected["explanation"]["rule"]["id"] == "walking_helps"


def test_unexpected_rule_is_shown_with_the_facts_it_fired_on(make_kb, capsys) -> None:
    cases = """\
cases:
  - name: only_resting
    profile: {walk: {sessions: 4, tired: true}}
    expect:
      fired_rules: [rest_when_tired]
"""
    code, out, _ = run(capsys, str(make_kb({"kb/tests/a.yaml": cases})))
    assert code == 1
    assert "  - rule `enough_walking` fired, not expected\n" in out
    assert '    fired on walk {"sessions": 4, "tired": true}\n' in out


BROKEN = {
    "unknown conclusion": (
        "cases:\n"
        "  - name: c\n"
        "    profile: {walk: {sessions: 4}}\n"
        "    expect:\n"
        "      conclusions: [walking_may_hepl]\n",
        "kb/tests/a.yaml:5:21: unknown-conclusion: conclusion `walking_may_hepl` is not"
        " declared in this KB (did you mean `walking_may_help`?)",
    ),
    "invalid profile value": (
        "cases:\n  - name: c\n    profile:\n      walk: {sessions: 40}\n    expect: {}\n",
        "kb/tests/a.yaml:4:14: invalid-value: `walk.sessions`: 40 is not allowed",
    ),
    "unknown key": (
        "cases:\n  - name: c\n    profile: {}\n    expected: {}\n",
        "kb/tests/a.yaml:4:5: unknown-key:",
    ),
    "duplicate name": (
        "cases:\n  - {name: c, profile: {}, expect: {}}\n  - {name: c, profile: {}, expect: {}}\n",
        "kb/tests/a.yaml:3:6: duplicate-case-name: test case `c` is already defined at"
        " kb/tests/a.yaml:2:6 (give this case a new name)",
    ),
    "bad yaml": ("cases:\n  - name: c\n   profile: {}\n", "kb/tests/a.yaml:3:"),
    "empty file": ("# nothing yet\n", "kb/tests/a.yaml:1:1: empty-file: file is empty"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_broken_case_file_is_unusable_input_with_located_problems(make_kb, capsys, broken) -> None:
    text, expected = BROKEN[broken]
    code, out, err = run(capsys, str(make_kb({"kb/tests/a.yaml": text})))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "healthkb: broken test cases:"
    assert any(line.startswith(f"  {expected}") for line in lines[1:-1])
    assert lines[-1] == f"{len(lines) - 2} problem(s) found"


def test_unknown_key_suggests_the_right_one(make_kb, capsys) -> None:
    text, _ = BROKEN["unknown key"]
    _, _, err = run(capsys, str(make_kb({"kb/tests/a.yaml": text})))
    assert "`expected`" in err and "did you mean `expect`?" in err


def test_broken_case_file_problems_as_json(make_kb, capsys) -> None:
    text, _ = BROKEN["unknown conclusion"]
    code, out, _ = run(capsys, str(make_kb({"kb/tests/a.yaml": text})), "--format", "json")
    assert code == 2
    (problem,) = json.loads(out)["problems"]
    assert (problem["file"], problem["line"], problem["column"]) == ("kb/tests/a.yaml", 5, 21)
    assert problem["code"] == "unknown-conclusion"


def test_broken_kb_is_unusable_input(make_kb, capsys) -> None:
    root = make_kb({"kb/tests/a.yaml": PASSING, "kb/conclusions.yaml": "conclusions: []\n"})
    code, out, err = run(capsys, str(root))
    assert (code, out) == (2, "")
    assert err.startswith("healthkb: broken knowledge base:\n")
    assert "walking_may_help" in err


def test_missing_path_is_a_usage_error(tmp_path, capsys) -> None:
    code, _, err = run(capsys, str(tmp_path / "nowhere"))
    assert code == 2
    assert "no such file or folder" in err
