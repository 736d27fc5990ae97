"""All problems in one pass: one malformed value does not hide the other problems of its
file, every problem says how to fix it, and a quoted number gets the same words in
rules, test cases and profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MINI_CONCLUSIONS, MINI_FACTS, MINI_MANIFEST, MINI_RULES, MINI_SOURCE
from healthkb.cli import main
from healthkb.content.loading.loader import read_content
from healthkb.editing.kb_validation import check_kb
from healthkb.editing.release import write_lock


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_kb(root).problems]


def test_a_wrong_type_does_not_hide_the_other_problems_of_its_file(make_kb) -> None:
    rules = (
        MINI_RULES.replace("between: [3, 5]", 'ge: "5"')
        .replace("{fact: walking_load.level, eq: enough}", "{fact: walking_load.levl, eq: enough}")
        .replace('quote: "Rest when tired."', 'quote: "Rest when weary."')
        .replace("{fact: walk.tired, eq: true}", "{fact: walk.sessions, eq: 20}")
    )
    assert problems(make_kb({"rules/walking.yaml": rules})) == [
        'rules/walking.yaml:6:33: wrong-type: `ge` needs a number, got the text "5" (remove '
        'the quotes: write 5, not "5")',
        "rules/walking.yaml:16:12: unknown-attribute: fact `walking_load` has no attribute "
        "`levl` (did you mean `level`?)",
        "rules/walking.yaml:25:33: invalid-value: `walk.sessions`: 20 is above the maximum 14 "
        "(use a value the vocabulary allows, or widen it in "
        "kb/facts.yaml (with a new version))",
        "rules/walking.yaml:29:9: quote-not-found: quote not found in source `mini`: the closest "
        "passage is p1.s2 (“Rest when tired.”); the quote's first 2 words match, then the "
        "quote has “weary.” where the source has “tired.” (copy the passage exactly; only "
        "differences in white space are ignored)",
    ]


def test_the_broken_rule_itself_still_has_its_citations_and_references_checked(
    make_kb,
) -> None:
    rules = (
        MINI_RULES.replace("between: [3, 5]", "between: [65, 18]")
        .replace('quote: "Walking 3–5 times a week"', 'quote: "Walking 3-5 times a week"')
        .replace(
            "derive: {fact: walking_load, values: {level: enough}}",
            "derive: {fact: walking_load, values: {level: plenty}}",
        )
    )
    found = problems(make_kb({"rules/walking.yaml": rules}))
    assert [p.split(": ")[1] for p in found] == [
        "invalid-value",
        "invalid-value",
        "quote-not-found",
    ]
    assert found[0] == (
        "rules/walking.yaml:6:5: invalid-value: `between` needs [low, high]; got [65, 18] "
        "(low must not exceed high: did you mean [18, 65]?)"
    )
    assert found[1] == (
        "rules/walking.yaml:8:45: invalid-value: 'plenty' is not one of enough, low (expected "
        "one of `enough`, `low`)"
    )


QUOTED = 'got the text "4" (remove the quotes: write 4, not "4")'


def test_a_quoted_number_gets_the_same_words_in_rules_cases_and_profiles(
    make_kb, capsys, tmp_path
) -> None:
    rules = MINI_RULES.replace("between: [3, 5]", 'ge: "4"')
    assert problems(make_kb({"rules/walking.yaml": rules}, name="rule"))[0].endswith(
        f"wrong-type: `ge` needs a number, {QUOTED}"
    )
    case = 'cases:\n  - name: four\n    profile: {walk: {sessions: "4"}}\n    expect: {}\n'
    assert problems(make_kb({"kb/tests/walking.yaml": case}, name="case")) == [
        f"kb/tests/walking.yaml:3:22: wrong-type: `walk.sessions` needs a whole number, {QUOTED}"
    ]
    profile = tmp_path / "profile.yaml"
    profile.write_text('walk: {sessions: "4"}\n', encoding="utf-8")
    assert main(["evaluate", "--kb", str(make_kb(name="kb")), str(profile)]) == 2
    assert capsys.readouterr().err.splitlines()[1] == (
        f"  {profile}:1:8: wrong-type: `walk.sessions` needs a whole number, {QUOTED}"
    )


# Edits of the mini KB, each giving problems of one or more classes.
BROKEN: dict[str, dict[str, str]] = {
    "unknown-key": {
        "rules/walking.yaml": MINI_RULES.replace("    title: Enough", "    titel: Enough")
    },
    "missing-key": {"rules/walking.yaml": MINI_RULES.replace("    title: Enough walking\n", "")},
    "kind": {"kb/conclusions.yaml": MINI_CONCLUSIONS.replace("kind: warning", "kind: warnung")},
    "unknown-conclusion": {
        "rules/walking.yaml": MINI_RULES.replace("conclude: rest}", "conclude: rset}")
    },
    "unknown-fact": {"rules/walking.yaml": MINI_RULES.replace("walk.tired", "wlak.tired")},
    "wrong-operator": {
        "rules/walking.yaml": MINI_RULES.replace(
            "{fact: walk.tired, eq: true}", "{fact: walk.tired, gt: 1}"
        )
    },
    "two-operators": {
        "rules/walking.yaml": MINI_RULES.replace(
            "{fact: walk.tired, eq: true}", "{fact: walk.tired, eq: true, ne: false}"
        )
    },
    "then": {"rules/walking.yaml": MINI_RULES.replace("then: {conclude: rest}", "then: {}")},
    "min-above-max": {"kb/facts.yaml": MINI_FACTS.replace("min: 0", "min: 20")},
    "values-twice": {"kb/facts.yaml": MINI_FACTS.replace("[enough, low]", "[enough, low, low]")},
    "values-on-number": {
        "kb/facts.yaml": MINI_FACTS.replace("max: 14\n", "max: 14\n        values: [a]\n")
    },
    "certainty": {
        "kb/conclusions.yaml": MINI_CONCLUSIONS.replace(
            "certainty: possible\n    statement: Walking may help.",
            "certainty: established\n    statement: Walking helps.",
        )
    },
    "statement": {
        "kb/conclusions.yaml": MINI_CONCLUSIONS.replace(
            "Walking may help.\n    because", "Walking helps.\n    because"
        )
    },
    "duplicate": {
        "rules/walking.yaml": MINI_RULES.replace("id: walking_helps", "id: enough_walking")
    },
    "never-fires": {"rules/walking.yaml": MINI_RULES.replace("between: [3, 5]", "gt: 14")},
    "empty-file": {"rules/other.yaml": "# nothing yet\n"},
    "yaml-syntax": {"rules/other.yaml": "rules: [\n"},
    "manifest": {"kb/kb.yaml": MINI_MANIFEST.replace("version: 1.0.0", "version: one")},
    "source-date": {"kb/sources/mini.yaml": MINI_SOURCE.replace("2025-01-01", "January")},
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_every_problem_says_how_to_fix_it(make_kb, name) -> None:
    found = check_kb(make_kb(BROKEN[name])).problems
    assert found
    assert [str(p) for p in found if not p.hint] == []


def test_version_problems_say_how_to_fix_them(make_kb) -> None:
    root = make_kb({"rules/walking.yaml": MINI_RULES.replace("version: 1", "version: 3")})
    write_lock(read_content(root))
    lowered = MINI_RULES.replace("version: 1", "version: 3", 1)
    (root / "rules/walking.yaml").write_text(lowered, encoding="utf-8")
    (root / "kb/conclusions.yaml").write_text(
        MINI_CONCLUSIONS.replace("kind: warning", "kind: information"), encoding="utf-8"
    )
    found = check_kb(root).problems
    assert {p.code for p in found} == {"version-lowered", "version-not-bumped"}
    assert all(p.hint for p in found)


def test_a_negated_between_is_reported_when_the_texts_give_no_number_at_all(make_kb) -> None:
    # As 59e0d10 reported it: a `not:` of a `between` agrees with any number the texts
    # give, but with none there is nothing it could agree with.
    rules = MINI_RULES.replace(
        "when: {fact: walk.tired, eq: true}",
        "when: {not: {fact: walk.sessions, between: [3, 5]}}",
    )
    found = [p for p in problems(make_kb({"rules/walking.yaml": rules})) if "number-not" in p]
    assert found == [
        "rules/walking.yaml:25:39: number-not-in-quote: rule `rest_when_tired` compares "
        "`between: [3, 5]` on `walk.sessions`, a number neither its title nor its quotes give "
        "(they say no number at all; mini: “Rest when tired.”) (compare as the words do, or "
        "declare the reading under the rule's `departures` (`- {fact: walk.sessions, between: "
        "[3, 5], source_says: ...}`) so that auditors see it)"
    ]
