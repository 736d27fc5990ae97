"""A rule's content cannot change without a new version; releases relock the KB."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

import healthkb
from conftest import (
    ACCEPT_OPTIONS,
    ACCEPT_UNTESTED,
    MINI_CONCLUSIONS,
    MINI_MANIFEST,
    MINI_RULES,
    MINI_SOURCE,
)
from healthkb.content.loading.loader import read_content
from healthkb.content.versioning.lock import LOCK_FILE, rule_digest
from healthkb.editing.kb_validation import checked
from healthkb.editing.release import (
    FailingCasesError,
    ReleaseError,
    bump_version,
    edit_manifest,
    release,
    write_atomic,
    write_lock,
)
from support.kb_cli import main_in_kb as main

STRICTER = MINI_RULES.replace("between: [3, 5]", "between: [4, 5]").replace(
    "title: Enough walking", "title: Enough walking, 4–5 times"
)


def locked_kb(make_kb, rules: str = MINI_RULES) -> Path:
    """A mini KB locked at its manifest version (1.0.0), then given `rules`."""
    root = make_kb()
    write_lock(read_content(root))
    (root / "rules/walking.yaml").write_text(rules, encoding="utf-8")
    return root


def validate(root: Path, capsys) -> tuple[int, str]:
    code = main(["validate", str(root)])
    return code, capsys.readouterr().out


def test_changed_rule_without_new_version_is_reported_at_its_version(make_kb, capsys) -> None:
    code, out = validate(locked_kb(make_kb, STRICTER), capsys)
    assert code == 1
    assert out == (
        "rules/walking.yaml:3:5: version-not-bumped: rule `enough_walking` changed since "
        "release 1.0.0 (when) but its version is still 1 (raise `version` to 2: a rule's when, "
        "then, because, status and evidence are its content)\n"
    )


def test_changed_rule_with_new_version_passes(make_kb, capsys) -> None:
    bumped = STRICTER.replace("version: 1\n    title: Enough", "version: 2\n    title: Enough")
    code, out = validate(locked_kb(make_kb, bumped), capsys)
    assert (code, out.split(":")[0]) == (0, "ok")


def test_version_that_went_down_is_reported(make_kb) -> None:
    root = make_kb({"rules/walking.yaml": MINI_RULES.replace("version: 1", "version: 3")})
    write_lock(read_content(root))
    (root / "rules/walking.yaml").write_text(MINI_RULES.replace("version: 1", "version: 3", 1))
    with pytest.raises(healthkb.KBError) as caught:
        read_content(root)
    assert [str(p) for p in caught.value.problems] == [
        "rules/walking.yaml:13:5: version-lowered: rule `walking_helps` has version 1, lower "
        "than version 3 in release 1.0.0 (versions only go up: set `version` to 3 or higher)",
        "rules/walking.yaml:22:5: version-lowered: rule `rest_when_tired` has version 1, "
        "lower than version 3 in release 1.0.0 (versions only go up: set `version` to 3 or "
        "higher)",
    ]


@pytest.mark.parametrize(
    "edit",
    [
        ("    title: Enough walking", "    title: Walking enough"),
        (
            "    version: 1\n    title: Enough",
            "    version: 1\n    description: New.\n    title: E",
        ),
        (
            "{fact: walk.sessions, between: [3, 5]}",
            "\n      fact: walk.sessions\n      between: [3, 5]",
        ),
    ],
    ids=["title", "description", "layout"],
)
def test_wording_and_layout_edits_need_no_new_version(make_kb, edit) -> None:
    root = locked_kb(make_kb, MINI_RULES.replace(*edit))
    assert read_content(root).lock is not None


@pytest.mark.parametrize(
    "edit",
    [
        (
            "status: active\n    when: {fact: walk.tired",
            "status: draft\n    when: {fact: walk.tired",
        ),
        ('quote: "Rest when tired."\n', 'quote: "Rest when tired."\n        interpretation: X.\n'),
        ("then: {conclude: rest}", "then: {conclude: walking_may_help}"),
    ],
    ids=["status", "interpretation", "then"],
)
def test_status_citation_and_outcome_are_content(make_kb, edit) -> None:
    root = locked_kb(make_kb, MINI_RULES.replace(*edit))
    # A pending bump: the working copy loads, validate and release refuse it.
    assert [p.code for p in read_content(root).pending] == ["version-not-bumped"]
    with pytest.raises(healthkb.KBError) as caught:
        checked(root)
    # (A rule made draft also leaves its conclusion unreachable: the analysis says so.)
    assert [p.code for p in caught.value.problems if p.code.startswith("version")] == [
        "version-not-bumped"
    ]


def test_kb_without_lock_and_rules_not_in_the_lock_are_fine(make_kb) -> None:
    root = make_kb()
    assert read_content(root).lock is None
    write_lock(read_content(root))
    extra = MINI_RULES + MINI_RULES.split("rules:\n", 1)[1].replace("id: ", "id: new_")
    (root / "rules/walking.yaml").write_text(extra, encoding="utf-8")
    assert len(read_content(root).rules) == 6


def test_broken_lock_file_is_a_located_problem(make_kb) -> None:
    root = make_kb({LOCK_FILE: "kb_version: 1.0.0\nrules:\n  - id: x\n    version: 1\n"})
    with pytest.raises(healthkb.KBError) as caught:
        read_content(root)
    assert [(p.file, p.line, p.code) for p in caught.value.problems] == [
        (LOCK_FILE, 3, "missing-key")
    ]


def test_title_is_not_part_of_the_digest_but_conditions_are() -> None:
    kb = read_content()
    rule = kb.rules["calorie_deficit"]
    assert rule_digest(rule) == rule_digest(rule.model_copy(update={"title": "Other"}))
    assert rule_digest(rule) != rule_digest(rule.model_copy(update={"status": "draft"}))


def test_bundled_kb_is_locked_at_its_release() -> None:
    content = read_content()
    assert content.lock is not None
    assert content.lock.kb_version == content.manifest.version == "0.1.2"
    assert sorted(e.id for e in content.lock.rules) == sorted(content.rules)


# --- release ---------------------------------------------------------------------------

COMMENTED_MANIFEST = """\
# The mini KB's manifest. Keep this comment.
id: mini-kb
title: Mini KB
version: 1.0.0   # bumped by healthkb release
released: 2025-02-01
changelog:
  # newest first
  - version: 1.0.0
    date: 2025-02-01
    changes:
      - First release.
"""


def test_release_updates_manifest_changelog_and_lock_keeping_comments(make_kb, capsys) -> None:
    root = make_kb({"kb/kb.yaml": COMMENTED_MANIFEST})
    write_lock(read_content(root))
    bumped = STRICTER.replace("version: 1\n    title: Enough", "version: 2\n    title: Enough")
    (root / "rules/walking.yaml").write_text(bumped, encoding="utf-8")
    code = main(["release", str(root), "--bump", "minor", "--date", "2025-03-01", *ACCEPT_OPTIONS])
    assert code == 0
    assert capsys.readouterr().out == (
        "released mini-kb 1.1.0 (2025-03-01), was 1.0.0\n"
        "bump: minor, because rule `enough_walking` changed (when)\n"
        "  - Changed rule `enough_walking` (version 1 → 2) in when.\n"
        + "".join(
            f"accepted {code}: no test case exercises rule `{rule}` (rules/walking.yaml) "
            f"({reason})\n"
            for code, reason in [("rule-not-exercised", "the mini KB has no test cases")]
            for rule in ("enough_walking", "rest_when_tired", "walking_helps")
        )
        + "accepted sentence-not-encoded: source `mini` p2.s1 (“Eat well.”) is neither encoded "
        "nor left out with a reason (the mini KB leaves part of its source aside)\n"
        "wrote kb/kb.yaml, kb/rules.lock.yaml\n"
    )
    assert (root / "kb/kb.yaml").read_text(encoding="utf-8") == (
        "# The mini KB's manifest. Keep this comment.\n"
        "id: mini-kb\n"
        "title: Mini KB\n"
        "version: 1.1.0   # bumped by healthkb release\n"
        "released: 2025-03-01\n"
        "changelog:\n"
        "  # newest first\n"
        "  - version: 1.1.0\n"
        "    date: 2025-03-01\n"
        f"    digest: {read_content(root).digest}\n"
        "    changes:\n"
        "      - Changed rule `enough_walking` (version 1 → 2) in when.\n"
        "      - Accepted `rule-not-exercised` because the mini KB has no test cases; no test case "
        "exercises rule `enough_walking` (rules/walking.yaml); no test case exercises rule "
        "`rest_when_tired` (rules/walking.yaml); no test case exercises rule `walking_helps` "
        "(rules/walking.yaml).\n"
        "      - Accepted `sentence-not-encoded` because the mini KB leaves part of its source "
        "aside; source `mini` p2.s1 (“Eat well.”) is neither encoded nor left out with a "
        "reason.\n"
        "  - version: 1.0.0\n"
        "    date: 2025-02-01\n"
        "    changes:\n"
        "      - First release.\n"
    )
    content = read_content(root)
    assert content.lock is not None and content.lock.kb_version == "1.1.0"
    assert {e.id: e.version for e in content.lock.rules}["enough_walking"] == 2
    lock_text = (root / LOCK_FILE).read_text(encoding="utf-8")
    assert lock_text.startswith("# Generated by `healthkb release`")
    assert re.findall(
        r"- id: (\w+)", lock_text.split("\nrules:\n")[1].split("\nconclusions:")[0]
    ) == [
        "enough_walking",
        "rest_when_tired",
        "walking_helps",
    ]
    assert [e.id for e in content.lock.entries("conclusion")] == ["rest", "walking_may_help"]


def test_first_release_without_changelog_lists_every_item(make_kb) -> None:
    root = make_kb()
    done = release(root, "major", datetime.date(2025, 3, 1), accept=ACCEPT_UNTESTED)
    assert done.changes == (
        "Added source `mini` (version 1).",
        "Added conclusion `rest` (version 1).",
        "Added conclusion `walking_may_help` (version 1).",
        "Added fact `walk` (version 1).",
        "Added fact `walking_load` (version 1).",
        "Added rule `enough_walking` (version 1).",
        "Added rule `rest_when_tired` (version 1).",
        "Added rule `walking_helps` (version 1).",
    )
    text = (root / "kb/kb.yaml").read_text(encoding="utf-8")
    assert text == MINI_MANIFEST.replace("1.0.0", "2.0.0").replace("2025-02-01", "2025-03-01") + (
        "changelog:\n"
        "  - version: 2.0.0\n"
        "    date: 2025-03-01\n"
        f"    digest: {read_content(root).digest}\n"
        "    changes:\n"
        "      - Added source `mini` (version 1).\n"
        "      - Added conclusion `rest` (version 1).\n"
        "      - Added conclusion `walking_may_help` (version 1).\n"
        "      - Added fact `walk` (version 1).\n"
        "      - Added fact `walking_load` (version 1).\n"
        "      - Added rule `enough_walking` (version 1).\n"
        "      - Added rule `rest_when_tired` (version 1).\n"
        "      - Added rule `walking_helps` (version 1).\n"
        "      - Accepted `rule-not-exercised` because the mini KB has no test cases; no test case "
        "exercises rule `enough_walking` (rules/walking.yaml); no test case exercises rule "
        "`rest_when_tired` (rules/walking.yaml); no test case exercises rule `walking_helps` "
        "(rules/walking.yaml).\n"
        "      - Accepted `sentence-not-encoded` because the mini KB leaves part of its source "
        "aside; source `mini` p2.s1 (“Eat well.”) is neither encoded nor left out with a "
        "reason.\n"
    )


def test_release_refuses_a_kb_that_does_not_validate(make_kb, capsys) -> None:
    root = locked_kb(make_kb, STRICTER)
    before = (root / "kb/kb.yaml").read_text(encoding="utf-8"), (root / LOCK_FILE).read_bytes()
    code = main(["release", str(root), "--bump", "patch", *ACCEPT_OPTIONS])
    assert code == 1
    out = capsys.readouterr().out
    assert out.startswith("rules/walking.yaml:3:5: version-not-bumped: ")
    assert out.endswith("release refused: 1 problem(s) found\n")
    after = (root / "kb/kb.yaml").read_text(encoding="utf-8"), (root / LOCK_FILE).read_bytes()
    assert after == before


def test_release_lines_given_with_change_come_first_and_stay_plain_yaml(make_kb) -> None:
    root = make_kb()
    write_lock(read_content(root))
    conclusions = MINI_CONCLUSIONS.replace(
        "statement: Rest when tired.", "version: 2\n    statement: Rest when you are tired."
    )
    (root / "kb/conclusions.yaml").write_text(conclusions, encoding="utf-8")
    release(
        root,
        "patch",
        datetime.date(2025, 3, 1),
        ["Fixed: a typo, in # places"],
        accept=ACCEPT_UNTESTED,
    )
    changes = read_content(root).manifest.changelog[0].changes
    assert changes[:2] == [
        "Fixed: a typo, in # places",
        "Changed conclusion `rest` (version 1 → 2) in statement.",
    ]


def test_release_date_before_the_last_release_is_refused(make_kb, capsys) -> None:
    code = main(
        ["release", str(make_kb()), "--bump", "patch", "--date", "2024-12-31", *ACCEPT_OPTIONS]
    )
    assert code == 2
    assert "before the last release (2025-02-01)" in capsys.readouterr().err


def test_inline_changelog_is_refused_rather_than_rewritten(make_kb) -> None:
    manifest = MINI_MANIFEST + "changelog: [{version: 1.0.0, date: 2025-02-01, changes: [x]}]\n"
    with pytest.raises(ReleaseError, match="inline"):
        edit_manifest(manifest, "1.0.1", datetime.date(2025, 3, 1), ["y"])


@pytest.mark.parametrize(
    ("part", "expected"), [("major", "2.0.0"), ("minor", "1.5.0"), ("patch", "1.4.3")]
)
def test_bump_version(part, expected) -> None:
    assert bump_version("1.4.2", part) == expected


# --- a quote that no longer matches ----------------------------------------------------


def test_source_edit_that_breaks_a_quote_is_reported_by_validate(make_kb, capsys) -> None:
    source = MINI_SOURCE.replace("Rest when tired.", "Rest when you are tired.")
    code, out = validate(make_kb({"kb/sources/mini.yaml": source}), capsys)
    assert code == 1
    mismatch = (
        "quote-not-found: quote not found in source `mini`: the closest passage is p1.s2 "
        "(“Rest when you are tired.”); the quote's first 2 words match, then the source has "
        "“you are”, which the quote leaves out (copy the passage exactly; only differences in "
        "white space are ignored)"
    )
    assert out.splitlines() == [
        f"kb/conclusions.yaml:15:9: {mismatch}",
        f"rules/walking.yaml:29:9: {mismatch}",
    ]


def test_atomic_write_keeps_the_file_mode_and_leaves_no_temporary_file(tmp_path) -> None:
    target = tmp_path / "kb.yaml"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["kb.yaml"]


# --- every problem at once: a version not raised hides nothing else ---------------------

TYPO_CASE = """\
cases:
  - name: four_walks_may_help
    profile: {walk: {sessions: 4}}
    expect: {conclusions: [walking_may_hlep]}
"""


def test_version_not_bumped_is_reported_with_unreachable_rules_and_test_case_problems(
    make_kb, capsys
) -> None:
    # One rule changed without a new version, an unrelated rule given a new version
    # and a threshold no walker reaches, and a misspelt conclusion in a test case: three
    # independent mistakes, all reported by the first `validate`.
    rules = MINI_RULES.replace(
        'quote: "Rest when tired."\n', 'quote: "Rest when tired."\n        interpretation: X.\n'
    ).replace("version: 1\n    title: Enough walking", "version: 2\n    title: Enough walking")
    rules = rules.replace("title: Enough walking", "title: Enough walking, more than 14 times")
    root = locked_kb(make_kb, rules.replace("between: [3, 5]", "gt: 14"))
    (root / "kb/tests").mkdir()
    (root / "kb/tests/walking.yaml").write_text(TYPO_CASE, encoding="utf-8")
    code, out = validate(root, capsys)
    assert code == 1
    assert out.splitlines() == [
        "kb/conclusions.yaml:2:5: unreachable: conclusion `walking_may_help` can never be "
        "reached: every rule that concludes it (`walking_helps`) can never fire (write or "
        "activate a rule that concludes it, or remove the conclusion)",
        "kb/tests/walking.yaml:4:28: unknown-conclusion: conclusion `walking_may_hlep` is not "
        "declared in this KB (did you mean `walking_may_help`?)",
        "rules/walking.yaml:6:5: unreachable: rule `enough_walking` can never fire: no profile "
        "meets `walk.sessions gt 14` (fix the condition, or mark the rule `draft` until it "
        "can fire)",
        "rules/walking.yaml:16:5: unreachable: rule `walking_helps` can never fire: no "
        "profile meets `walking_load.level eq enough` (`walking_load` is derived with level: "
        "enough only by `enough_walking` (which can never fire)) (fix the condition, or mark "
        "the rule `draft` until it can fire)",
        "rules/walking.yaml:22:5: version-not-bumped: rule `rest_when_tired` changed since "
        "release 1.0.0 (because) but its version is still 1 (raise `version` to 2: a rule's when, "
        "then, because, status and evidence are its content)",
    ]


def test_a_rule_file_that_does_not_load_skips_only_the_checks_that_need_every_rule(
    make_kb,
) -> None:
    # Without the rules of a broken file, "no rule derives `walking_load`" and "rule
    # `x` is not declared" would be false alarms; quotes elsewhere are still checked.
    root = make_kb(
        {
            "rules/broken.yaml": "rules: [\n",
            "kb/conclusions.yaml": MINI_CONCLUSIONS.replace('"Rest when tired."', '"Rest!"'),
            "kb/tests/walking.yaml": TYPO_CASE,
        }
    )
    with pytest.raises(healthkb.KBError) as caught:
        checked(root)
    assert [(p.file, p.code) for p in caught.value.problems] == [
        ("kb/conclusions.yaml", "quote-not-found"),
        ("rules/broken.yaml", "yaml-syntax"),
    ]


# --- a release is refused while the KB's own test cases fail -----------------------------

CASES = """\
cases:
  - name: four_walks_may_help
    profile: {walk: {sessions: 4}}
    expect: {conclusions: [walking_may_help]}
  - name: two_walks_may_help
    profile: {walk: {sessions: 2}}
    expect: {conclusions: [walking_may_help]}
"""


def release_with_cases(make_kb, capsys, *options: str) -> tuple[int, str, str, Path]:
    root = make_kb({"kb/tests/walking.yaml": CASES})
    code = main(
        ["release", str(root), "--bump", "patch", "--change", "x", *options, *ACCEPT_OPTIONS]
    )
    out, err = capsys.readouterr()
    return code, out, err, root


def test_release_is_refused_while_a_test_case_fails(make_kb, capsys) -> None:
    code, out, err, root = release_with_cases(make_kb, capsys, "--date", "2025-03-01")
    assert (code, err) == (1, "")
    assert out == (
        "FAIL two_walks_may_help  (kb/tests/walking.yaml:5)\n"
        "  - expected conclusion `walking_may_help`, not reached\n"
        "release refused: 1 of 2 test case(s) fail (run `healthkb test`; "
        "--allow-failing-tests releases anyway)\n"
    )
    assert read_content(root).manifest.version == "1.0.0"
    assert not (root / LOCK_FILE).exists()


def test_allow_failing_tests_releases_with_a_warning(make_kb, capsys) -> None:
    code, out, err, root = release_with_cases(
        make_kb, capsys, "--date", "2025-03-01", "--allow-failing-tests"
    )
    assert code == 0
    assert err == (
        "FAIL two_walks_may_help  (kb/tests/walking.yaml:5)\n"
        "  - expected conclusion `walking_may_help`, not reached\n"
        "warning: released with 1 failing test case(s) (--allow-failing-tests)\n"
    )
    assert out.startswith("released mini-kb 1.0.1 (2025-03-01), was 1.0.0\n")
    assert read_content(root).manifest.version == "1.0.1"


def test_release_refusal_for_failing_cases_is_data(make_kb) -> None:
    root = make_kb({"kb/tests/walking.yaml": CASES})
    with pytest.raises(FailingCasesError) as caught:
        release(root, "patch", datetime.date(2025, 3, 1), ["x"], accept=ACCEPT_UNTESTED)
    assert [o.case.name for o in caught.value.failing] == ["two_walks_may_help"]
    assert caught.value.total == 2
    done = release(
        root,
        "patch",
        datetime.date(2025, 3, 1),
        ["x"],
        allow_failing_tests=True,
        accept=ACCEPT_UNTESTED,
    )
    assert [o.case.name for o in done.failing_cases] == ["two_walks_may_help"]


def test_a_release_dated_after_today_says_later_releases_need_a_date(make_kb, capsys) -> None:
    later = datetime.date.today() + datetime.timedelta(days=7)
    code = main(
        ["release", str(make_kb()), "--bump", "patch", "--date", later.isoformat(), *ACCEPT_OPTIONS]
    )
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith(f"released mini-kb 1.0.1 ({later})")
    assert err == (
        f"note: the release is dated {later}, after today: until then a release without "
        "--date is refused (its date would be before this one)\n"
    )


def test_marking_attributes_changeable_is_versioned_content_released_as_a_patch(
    make_kb, capsys
) -> None:
    root = make_kb()
    write_lock(read_content(root))
    facts = (root / "kb/facts.yaml").read_text(encoding="utf-8")
    marked = facts.replace(
        "        description: Walks per week.\n",
        "        description: Walks per week.\n        changeable: true\n        cost: 2\n",
    )
    (root / "kb/facts.yaml").write_text(marked, encoding="utf-8")
    code, out = validate(root, capsys)
    assert code == 1
    assert "fact `walk` changed since release 1.0.0 (sessions.changeable false → true, " in out
    bumped = marked.replace("  walk:\n", "  walk:\n    version: 2\n")
    (root / "kb/facts.yaml").write_text(bumped, encoding="utf-8")
    assert main(["release", str(root), "--date", "2025-03-01", *ACCEPT_OPTIONS]) == 0
    out = capsys.readouterr().out
    assert out.startswith("released mini-kb 1.0.1 (2025-03-01), was 1.0.0\n")
    assert "bump: patch, because input fact `walk` changed only in what a what-if may" in out
    assert "sessions.cost (none) → 2" in out
