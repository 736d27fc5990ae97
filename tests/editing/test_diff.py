"""`healthkb diff` shows what an edit changes in the files and in the conclusions."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import MINI_CONCLUSIONS, MINI_FACTS, MINI_RULES, MINI_SOURCE
from healthkb.cli import main
from healthkb.editing.review import SideError, diff_kbs

CASES = """\
cases:
  - name: three_walks
    profile: {walk: {sessions: 3}}
    expect: {conclusions: [walking_may_help]}
  - name: tired
    profile: {walk: {tired: true}}
    expect: {conclusions: [rest]}
"""

EXAMPLE = "walk: {sessions: 4, tired: false}\n"

# enough_walking now needs four walks a week: a change of `when`, so version 2, and a
# departure from the source's "3–5", declared.
STRICTER = MINI_RULES.replace(
    "between: [3, 5]}",
    "between: [4, 5]}\n    departures:\n"
    '      - {fact: walk.sessions, between: [4, 5], source_says: "Walking 3–5 times"}',
).replace("version: 1\n    title: Enough", "version: 2\n    title: Enough")


def pair(make_kb, new_files: dict[str, str]) -> tuple[Path, Path]:
    shared = {"kb/tests/walking.yaml": CASES, "kb/examples/four_walks.yaml": EXAMPLE}
    return make_kb(shared, name="old"), make_kb({**shared, **new_files}, name="new")


def run_diff(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["diff", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_diff_of_two_folders_shows_the_changed_rule_and_the_case_it_changes(
    make_kb, capsys
) -> None:
    old, new = pair(make_kb, {"rules/walking.yaml": STRICTER})
    code, out, _ = run_diff(capsys, str(old), str(new))
    assert code == 0
    assert out == (
        f"OLD: {old}: mini-kb 1.0.0 (2025-02-01)\n"
        f"NEW: {new}: mini-kb 1.0.0 (2025-02-01)\n"
        "\n"
        "Rules:\n"
        "  ~ enough_walking (version 1 → 2): when, departures\n"
        "      ~ when: walk.sessions between [3, 5] → between [4, 5]\n"
        "\n"
        "Behaviour: 1 of 3 test cases and example profiles conclude differently:\n"
        "  case three_walks (kb/tests/walking.yaml)\n"
        "    no longer concluded: walking_may_help\n"
        "    fired only on OLD: enough_walking, walking_helps\n"
        "    responsible: rule enough_walking changed (version 1 → 2: when, departures)\n"
        "\n"
        "Test cases that pass on OLD and fail on NEW: 1\n"
        "  three_walks (kb/tests/walking.yaml)\n"
        "    - expected conclusion `walking_may_help`, not reached\n"
    )


def test_diff_json_is_complete_and_deterministic(make_kb, capsys) -> None:
    old, new = pair(make_kb, {"rules/walking.yaml": STRICTER})
    first = run_diff(capsys, str(old), str(new), "--format", "json")[1]
    assert run_diff(capsys, str(old), str(new), "--format", "json")[1] == first
    data = json.loads(first)
    assert data["rules"] == [
        {
            "id": "enough_walking",
            "change": "changed",
            "fields": ["when", "departures"],
            "old_version": 1,
            "new_version": 2,
            "details": [
                {
                    "field": "when",
                    "old": "walk.sessions between [3, 5]",
                    "new": "walk.sessions between [4, 5]",
                    "words": None,
                }
            ],
        }
    ]
    assert data["behaviour"] == {
        "profiles_compared": 3,
        "changed": [
            {
                "kind": "case",
                "name": "three_walks",
                "file": "kb/tests/walking.yaml",
                "gained": [],
                "lost": ["walking_may_help"],
                "fired_only_old": ["enough_walking", "walking_helps"],
                "fired_only_new": [],
                "responsible_rules": ["enough_walking"],
                "responsible_facts": [],
                "old_error": None,
                "new_error": None,
            }
        ],
    }
    assert (data["old"]["label"], data["new"]["version"]) == (str(old), "1.0.0")
    assert data["citations"] == data["conclusions"] == data["sources"] == []


def test_citations_conclusions_sources_and_vocabulary_changes_are_listed(make_kb) -> None:
    rules = MINI_RULES.replace(
        '        quote: "may help"\n',
        '        quote: "may help"\n        interpretation: Only walking.\n'
        '      - source: mini\n        quote: "Eat well."\n',
    ).replace("version: 1\n    title: Walking may help", "version: 2\n    title: Walking helps")
    facts = MINI_FACTS.replace("max: 14", "max: 21").replace(
        "        description: Feels tired.\n",
        "        description: Feels tired.\n      pace:\n        type: number\n"
        "        description: Pace.\n",
    )
    source = MINI_SOURCE.replace("title: A tiny article", "title: A small article")
    conclusions = MINI_CONCLUSIONS.replace("statement: Rest when tired.", "statement: Rest.")
    old, new = pair(
        make_kb,
        {
            "rules/walking.yaml": rules,
            "kb/facts.yaml": facts,
            "kb/sources/mini.yaml": source,
            "kb/conclusions.yaml": conclusions,
        },
    )
    diff = diff_kbs(str(old), str(new)).to_dict()
    assert [(r["id"], r["fields"]) for r in diff["rules"]] == [
        ("walking_helps", ["title", "because"])
    ]
    assert [(c["owner"], c["quote"], c["change"], c["sentence"]) for c in diff["citations"]] == [
        ("rule walking_helps", "Eat well.", "added", "p2.s1"),
        ("rule walking_helps", "may help", "interpretation", "p1.s1"),
    ]
    assert [(c["id"], c["fields"]) for c in diff["conclusions"]] == [("rest", ["statement"])]
    assert [(c["id"], c["fields"]) for c in diff["sources"]] == [("mini", ["title"])]
    assert diff["vocabulary"] == [
        {
            "section": "input",
            "fact": "walk",
            "change": "changed",
            "fields": [],
            "attributes_added": ["pace"],
            "attributes_removed": [],
            "attributes_changed": {"sessions": ["max"]},
            "details": [{"field": "sessions.max", "old": "14", "new": "21", "words": None}],
            "old_version": 1,
            "new_version": 1,
        }
    ]
    assert diff["conclusions"][0]["details"] == [
        {"field": "statement", "old": "Rest when tired.", "new": "Rest.", "words": None}
    ]
    assert diff["behaviour"]["changed"] == []


def test_profile_the_old_vocabulary_refuses_is_a_behavioural_change(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        description: Feels tired.\n",
        "        description: Feels tired.\n      pace:\n        type: number\n"
        "        description: Pace.\n",
    )
    example = "walk: {sessions: 4, pace: 5.5}\n"
    old, new = pair(make_kb, {"kb/facts.yaml": facts, "kb/examples/four_walks.yaml": example})
    changed = diff_kbs(str(old), str(new)).to_dict()["behaviour"]["changed"]
    assert [(c["name"], c["gained"], c["old_error"], c["responsible_rules"]) for c in changed] == [
        (
            "four_walks",
            ["walking_may_help"],
            "unknown-attribute: `walk.pace`: unknown attribute",
            [],
        )
    ]


def test_diff_refuses_a_side_whose_quote_no_longer_matches(make_kb, capsys) -> None:
    source = MINI_SOURCE.replace("Rest when tired.", "Rest when you are tired.")
    old, new = pair(make_kb, {"kb/sources/mini.yaml": source})
    code, out, err = run_diff(capsys, str(old), str(new))
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == f"healthkb: NEW ({new}) does not load: 2 problems:"
    assert [line.split(": ")[1] for line in lines[1:]] == ["quote-not-found"] * 2


def test_diff_refuses_a_side_whose_test_cases_are_broken(make_kb) -> None:
    old, new = pair(make_kb, {"kb/tests/walking.yaml": CASES.replace("rest]", "resting]")})
    with pytest.raises(SideError) as caught:
        diff_kbs(str(old), str(new))
    assert caught.value.role == "NEW"
    assert [p.code for p in caught.value.problems] == ["unknown-conclusion"]


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Editor", "-c", "user.email=e@example.org", *args],
        capture_output=True,
        check=True,
        text=True,
    )
    return done.stdout


def test_diff_against_a_git_revision_reads_the_committed_kb(make_kb, capsys) -> None:
    kb = make_kb({"kb/tests/walking.yaml": CASES}, name="repo/content")
    repo = kb.parent
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    commit = git(repo, "rev-parse", "HEAD").strip()
    (kb / "rules/walking.yaml").write_text(STRICTER, encoding="utf-8")

    code, out, _ = run_diff(capsys, "HEAD", str(kb), "--repo", str(kb))
    assert code == 0
    assert out.splitlines()[0] == f"OLD: HEAD ({commit[:12]}): mini-kb 1.0.0 (2025-02-01)"
    assert "  ~ enough_walking (version 1 → 2): when, departures" in out.splitlines()
    assert "    responsible: rule enough_walking changed (version 1 → 2: when, departures)" in out

    git(repo, "commit", "-q", "-am", "stricter")
    same = run_diff(capsys, "HEAD", str(kb), "--repo", str(kb))[1]
    assert "No rule, citation, conclusion, source, vocabulary or test case changed." in same
    both_revisions = run_diff(capsys, "HEAD~1", "HEAD", "--repo", str(kb))[1]
    assert "  ~ enough_walking (version 1 → 2): when, departures" in both_revisions.splitlines()


def test_name_that_is_neither_folder_nor_revision_is_a_usage_error(make_kb, capsys) -> None:
    kb = make_kb()
    git(kb, "init", "-q")
    code, _, err = run_diff(capsys, "no-such-tag", str(kb), "--repo", str(kb))
    assert code == 2
    assert err.startswith("healthkb: no-such-tag: not a folder, nor a revision of the git")


# --- test cases edited: reviewers see the expectations that changed -------------------

EDITED_CASES = """\
cases:
  - name: three_walks
    profile: {walk: {sessions: 4}}
    expect: {conclusions: [walking_may_help], no_conclusions: [rest]}
  - name: rested
    profile: {walk: {tired: false}}
    expect: {no_conclusions: [rest]}
"""


def test_diff_lists_test_cases_added_removed_and_changed_with_each_changed_field(
    make_kb, capsys
) -> None:
    old, new = pair(make_kb, {"kb/tests/walking.yaml": EDITED_CASES})
    code, out, _ = run_diff(capsys, str(old), str(new))
    assert code == 0
    assert out == (
        f"OLD: {old}: mini-kb 1.0.0 (2025-02-01)\n"
        f"NEW: {new}: mini-kb 1.0.0 (2025-02-01)\n"
        "\n"
        "Test cases:\n"
        "  + rested (kb/tests/walking.yaml)\n"
        "  ~ three_walks (kb/tests/walking.yaml)\n"
        "      profile.walk.sessions: 3 → 4\n"
        "      expect.no_conclusions: + rest\n"
        "  - tired (kb/tests/walking.yaml)\n"
        "\n"
        "Behaviour: 0 of 4 test cases and example profiles conclude differently.\n"
    )


def test_diff_json_lists_test_case_changes_with_old_and_new_values(make_kb, capsys) -> None:
    old, new = pair(make_kb, {"kb/tests/walking.yaml": EDITED_CASES})
    data = json.loads(run_diff(capsys, str(old), str(new), "--format", "json")[1])
    assert data["cases"] == [
        {
            "name": "rested",
            "change": "added",
            "file": "kb/tests/walking.yaml",
            "fields": [],
            "old": {},
            "new": {},
        },
        {
            "name": "three_walks",
            "change": "changed",
            "file": "kb/tests/walking.yaml",
            "fields": ["profile.walk.sessions", "expect.no_conclusions"],
            "old": {"profile.walk.sessions": 3, "expect.no_conclusions": []},
            "new": {"profile.walk.sessions": 4, "expect.no_conclusions": ["rest"]},
        },
        {
            "name": "tired",
            "change": "removed",
            "file": "kb/tests/walking.yaml",
            "fields": [],
            "old": {},
            "new": {},
        },
    ]


def test_reordered_expectations_and_a_new_layout_are_no_test_case_change(make_kb) -> None:
    cases = """\
cases:
  - name: walks
    profile: {walk: {tired: true, sessions: 4}}
    expect:
      {no_conclusions: [walking_may_help, rest], fired_rules: [walking_helps, rest_when_tired]}
"""
    relaid = """\
cases:
  - name: walks
    profile:
      walk: {sessions: 4, tired: true}
    expect:
      fired_rules: [rest_when_tired, walking_helps]
      no_conclusions: [rest, walking_may_help]
"""
    old = make_kb({"kb/tests/t.yaml": cases}, name="old")
    new = make_kb({"kb/tests/t.yaml": relaid}, name="new")
    assert diff_kbs(str(old), str(new)).cases == ()


def test_a_test_case_moved_to_another_file_shows_both_files(make_kb) -> None:
    moved = {
        "kb/tests/walking.yaml": CASES.split("  - name: tired")[0],
        "kb/tests/rest.yaml": "cases:\n  - name: tired" + CASES.split("  - name: tired")[1],
    }
    old, new = pair(make_kb, moved)
    (change,) = diff_kbs(str(old), str(new)).cases
    assert (change.name, change.fields) == ("tired", ("file",))
    assert (change.old, change.new) == (
        {"file": "kb/tests/walking.yaml"},
        {"file": "kb/tests/rest.yaml"},
    )
