"""`healthkb diff` shows content old → new, and the test cases an edit breaks."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import MINI_CONCLUSIONS, MINI_FACTS, MINI_RULES, MINI_SOURCE
from healthkb.cli import main

CASES = """\
cases:
  - name: three_walks
    profile: {walk: {sessions: 3}}
    expect: {conclusions: [walking_may_help]}
  - name: tired
    profile: {walk: {tired: true}}
    expect: {conclusions: [rest], fired_rules: [rest_when_tired]}
"""


def diff(make_kb, capsys, files: dict[str, str], *options: str) -> str:
    old = make_kb({"kb/tests/walking.yaml": CASES}, name="old")
    new = make_kb({"kb/tests/walking.yaml": CASES, **files}, name="new")
    code = main(["diff", str(old), str(new), *options])
    out = capsys.readouterr().out
    assert code == 0
    return out


def section(out: str, title: str) -> list[str]:
    """The lines of one section of the text diff, without its title."""
    lines = out.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
    return lines.splitlines()


def test_moved_threshold_shows_the_condition_old_and_new(make_kb, capsys) -> None:
    rules = MINI_RULES.replace("between: [3, 5]", "between: [2, 5]").replace(
        "version: 1\n    title: Enough", "version: 2\n    title: Enough"
    )
    out = diff(make_kb, capsys, {"rules/walking.yaml": rules})
    assert section(out, "Rules") == [
        "  ~ enough_walking (version 1 → 2): when",
        "      ~ when: walk.sessions between [3, 5] → between [2, 5]",
    ]


def test_rule_outcome_and_nested_conditions_show_where_they_changed(make_kb, capsys) -> None:
    rules = MINI_RULES.replace(
        "when: {fact: walk.tired, eq: true}",
        "when: {all: [{fact: walk.tired, eq: true}, {fact: walk.sessions, ge: 1}]}",
    ).replace("then: {conclude: rest}", "then: {conclude: walking_may_help}")
    out = diff(make_kb, capsys, {"rules/walking.yaml": rules})
    assert section(out, "Rules") == [
        "  ~ rest_when_tired (version 1): when, then",
        "      - when: walk.tired eq true",
        "      + when.all[0]: walk.tired eq true",
        "      + when.all[1]: walk.sessions ge 1",
        "      ~ then: conclude rest → conclude walking_may_help",
    ]


def test_conclusion_kind_and_statement_show_old_and_new(make_kb, capsys) -> None:
    conclusions = MINI_CONCLUSIONS.replace("kind: warning", "kind: information").replace(
        "statement: Rest when tired.", "statement: Rest whenever you feel tired."
    )
    out = diff(make_kb, capsys, {"kb/conclusions.yaml": conclusions})
    assert section(out, "Conclusions") == [
        "  ~ rest (version 1): kind, statement",
        "      ~ kind: warning → information",
        "      ~ statement: Rest when tired. → Rest whenever you feel tired.",
    ]


def test_vocabulary_bound_shows_old_and_new(make_kb, capsys) -> None:
    facts = MINI_FACTS.replace("max: 14", "max: 7")
    out = diff(make_kb, capsys, {"kb/facts.yaml": facts})
    assert section(out, "Vocabulary") == [
        "  ~ input fact walk: attribute sessions (max)",
        "      ~ sessions.max: 14 → 7",
    ]


def test_rewritten_source_sentence_shows_its_words(make_kb, capsys) -> None:
    source = MINI_SOURCE.replace(
        "Walking 3–5 times a week may help.",
        "Walking 3–5 times a week cures high blood pressure in most people.",
    ).replace("  Eat well.\n", "  Eat well.\n  Sleep well.\n")
    quotes = {"Walking 3–5 times a week may help.": "Walking 3–5 times a week", "may help": "Rest"}
    conclusions, rules = MINI_CONCLUSIONS, MINI_RULES
    for old, new in quotes.items():
        conclusions = conclusions.replace(f'"{old}"', f'"{new}"')
        rules = rules.replace(f'"{old}"', f'"{new}"')
    files = {
        "kb/sources/mini.yaml": source,
        "kb/conclusions.yaml": conclusions,
        "rules/walking.yaml": rules,
    }
    assert section(diff(make_kb, capsys, files), "Sources") == [
        "  ~ mini (version 1): text",
        "      ~ p1.s1: Walking 3–5 times a week [-may help.-] {+cures high blood pressure in "
        "most people.+}",
        "      + p3.s1: “Sleep well.”",
    ]
    data = json.loads(diff(make_kb, capsys, files, "--format", "json"))
    assert data["sources"][0]["details"][0] == {
        "field": "p1.s1",
        "old": "Walking 3–5 times a week may help.",
        "new": "Walking 3–5 times a week cures high blood pressure in most people.",
        "words": "Walking 3–5 times a week [-may help.-] {+cures high blood pressure in most "
        "people.+}",
    }


def test_cases_that_fail_on_new_are_listed_even_when_conclusions_are_the_same(
    make_kb, capsys
) -> None:
    # A second rule concluding `rest`: every conclusion stays, but a case pinning the
    # fired rules now fails. The behavioural part alone would say nothing changed.
    rules = MINI_RULES + "  - id: rest_too" + MINI_RULES.split("  - id: rest_when_tired")[1]
    out = diff(make_kb, capsys, {"rules/walking.yaml": rules})
    assert "Behaviour: 0 of 2 test cases and example profiles conclude differently." in out
    assert out.endswith(
        "Test cases that pass on OLD and fail on NEW: 1\n"
        "  tired (kb/tests/walking.yaml)\n"
        "    - rule `rest_too` fired, not expected\n"
    )


def test_revision_outside_a_repository_explains_how_to_name_one(
    make_kb, capsys, monkeypatch, tmp_path: Path
) -> None:
    kb = make_kb()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code = main(["diff", "v0.2.0", str(kb)])
    assert code == 2
    assert capsys.readouterr().err == (
        "healthkb: v0.2.0: not a folder, and not a git revision either: the current folder is "
        "not inside a git repository, and revisions are looked up in the repository of --repo "
        f"(default: the current folder); run the diff from the KB's repository, or add "
        f"`--repo {kb}`\n"
    )


def test_json_diff_lists_newly_failing_cases(make_kb, capsys) -> None:
    rules = MINI_RULES.replace("between: [3, 5]", "between: [4, 5]").replace(
        "title: Enough walking", "title: Enough walking, 4–5 times"
    )
    data = json.loads(diff(make_kb, capsys, {"rules/walking.yaml": rules}, "--format", "json"))
    assert data["newly_failing"] == [
        {
            "name": "three_walks",
            "file": "kb/tests/walking.yaml",
            "failures": ["expected conclusion `walking_may_help`, not reached"],
        }
    ]
