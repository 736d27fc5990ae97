"""Everything an answer depends on is versioned: conclusions, the fact vocabulary and
source texts beside rules; releases pick their bump from what changed; working copies
with pending bumps can be tested and reviewed, never validated or released."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import yaml

import healthkb
from conftest import (
    ACCEPT_OPTIONS,
    ACCEPT_UNTESTED,
    MINI_CONCLUSIONS,
    MINI_FACTS,
    MINI_RULES,
    MINI_SOURCE,
)
from healthkb.content.loading.loader import read_content
from healthkb.editing.release import NothingToRelease, release, write_lock
from support.kb_cli import main_in_kb as main

STATEMENT = MINI_CONCLUSIONS.replace(
    "statement: Walking may help.", "statement: Walking a few times a week may help."
)
KIND = MINI_CONCLUSIONS.replace("kind: warning", "kind: information")
MAX_7 = MINI_FACTS.replace("max: 14", "max: 7")
MAX_21 = MINI_FACTS.replace("max: 14", "max: 21")
NEW_ATTRIBUTE = MINI_FACTS.replace(
    "      tired:\n",
    "      pace:\n        type: number\n        description: Pace.\n      tired:\n",
)
SOURCE_TEXT = MINI_SOURCE.replace("Eat well.", "Eat well and sleep.")
SOURCE_EVIDENCE = MINI_SOURCE.replace("language: en", "language: en\nevidence: randomised_trial")
SOURCE_REVIEWED = MINI_SOURCE.replace(
    "language: en", "language: en\nreviewed: 2025-02-01\nreview_by: 2030-02-01"
)
RULE_EVIDENCE = MINI_RULES.replace(
    "title: Enough walking\n", "title: Enough walking\n    evidence: expert_opinion\n"
)


def locked(make_kb, files: dict[str, str]) -> Path:
    """The mini KB released as 1.0.0, then edited with `files`."""
    root = make_kb()
    write_lock(read_content(root))
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def bumped(text: str, marker: str, version: int = 2) -> str:
    """`text` with `version: N` added after the line holding `marker`."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if marker in line)
    # A sibling of `- id: ...`, or the first key under `name:`: two spaces further in.
    indent = " " * (len(lines[at]) - len(lines[at].lstrip()) + 2)
    return "".join([*lines[: at + 1], f"{indent}version: {version}\n", *lines[at + 1 :]])


def validate(root: Path, capsys) -> tuple[int, str]:
    code = main(["validate", str(root)])
    return code, capsys.readouterr().out


# --- a change without its bump names the field -----------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "kb/conclusions.yaml",
            STATEMENT,
            "kb/conclusions.yaml:2:5: version-not-bumped: conclusion `walking_may_help` changed "
            "since release 1.0.0 (statement) but its version is still 1 (add `version: 2`: a "
            "conclusion's statement, kind, certainty, exclusions and citations are its content)",
        ),
        (
            "kb/conclusions.yaml",
            KIND,
            "kb/conclusions.yaml:9:5: version-not-bumped: conclusion `rest` changed since "
            "release 1.0.0 (kind) but its version is still 1 (add `version: 2`: a conclusion's "
            "statement, kind, certainty, exclusions and citations are its content)",
        ),
        (
            "kb/facts.yaml",
            MAX_7,
            "kb/facts.yaml:2:3: version-not-bumped: fact `walk` changed since release 1.0.0 "
            "(sessions.max 14 → 7) but its version is still 1 (add `version: 2`: a fact's "
            "section and its attributes' types, values, bounds, units, changeable and costs are "
            "its content)",
        ),
        (
            "kb/sources/mini.yaml",
            SOURCE_TEXT,
            "kb/sources/mini.yaml:1:1: version-not-bumped: source `mini` changed since release "
            "1.0.0 (text) but its version is still 1 (add `version: 2`: a source's text, "
            "evidence and review dates (reviewed, review_by) are its content)",
        ),
        (
            "kb/sources/mini.yaml",
            SOURCE_EVIDENCE,
            "kb/sources/mini.yaml:1:1: version-not-bumped: source `mini` changed since release "
            "1.0.0 (evidence) but its version is still 1 (add `version: 2`: a source's text, "
            "evidence and review dates (reviewed, review_by) are its content)",
        ),
        (
            "kb/sources/mini.yaml",
            SOURCE_REVIEWED,
            "kb/sources/mini.yaml:1:1: version-not-bumped: source `mini` changed since release "
            "1.0.0 (review_by, reviewed) but its version is still 1 (add `version: 2`: a "
            "source's text, evidence and review dates (reviewed, review_by) are its content)",
        ),
        (
            "rules/walking.yaml",
            RULE_EVIDENCE,
            "rules/walking.yaml:3:5: version-not-bumped: rule `enough_walking` changed since "
            "release 1.0.0 (evidence) but its version is still 1 (raise `version` to 2: a "
            "rule's when, then, because, status and evidence are its content)",
        ),
    ],
    ids=[
        "statement",
        "kind",
        "vocabulary-bound",
        "source-text",
        "source-evidence",
        "source-review-dates",
        "rule-evidence",
    ],
)
def test_change_without_its_version_bump_is_reported_naming_the_field(
    make_kb, capsys, name, text, expected
) -> None:
    root = locked(make_kb, {name: text})
    code, out = validate(root, capsys)
    assert (code, out) == (1, f"{expected}\n")


def test_descriptions_are_wording_and_need_no_bump(make_kb, capsys) -> None:
    facts = MINI_FACTS.replace("description: Walks per week.", "description: Walks a week.")
    code, out = validate(locked(make_kb, {"kb/facts.yaml": facts}), capsys)
    assert (code, out[:3]) == (0, "ok:")


def test_version_written_out_is_where_the_problem_is_placed(make_kb, capsys) -> None:
    conclusions = bumped(KIND, "id: rest", 1)
    code, out = validate(locked(make_kb, {"kb/conclusions.yaml": conclusions}), capsys)
    assert code == 1
    assert out.startswith(
        "kb/conclusions.yaml:10:5: version-not-bumped: conclusion `rest` changed since release "
        "1.0.0 (kind) but its version is still 1 (raise `version` to 2: "
    )


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("kb/conclusions.yaml", bumped(KIND, "id: rest")),
        ("kb/facts.yaml", bumped(MAX_7, "  walk:")),
        ("kb/sources/mini.yaml", "version: 2\n" + SOURCE_TEXT),
    ],
    ids=["conclusion", "fact", "source"],
)
def test_change_with_its_version_bump_validates(make_kb, capsys, name, text) -> None:
    code, out = validate(locked(make_kb, {name: text}), capsys)
    assert (code, out[:3]) == (0, "ok:")


# --- release picks the bump, and lists everything --------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "bump", "reason"),
    [
        (
            "kb/conclusions.yaml",
            bumped(STATEMENT, "id: walking_may_help"),
            "patch",
            "because conclusion `walking_may_help` changed only in wording (statement)",
        ),
        (
            "kb/conclusions.yaml",
            bumped(KIND, "id: rest"),
            "minor",
            "because conclusion `rest` changed (kind)",
        ),
        (
            "kb/facts.yaml",
            bumped(MAX_7, "  walk:"),
            "major",
            "because input attribute `walk.sessions` lowered its max 14 → 7: stored profiles "
            "may no longer validate",
        ),
        (
            "kb/facts.yaml",
            bumped(MAX_21, "  walk:"),
            "minor",
            "because input fact `walk` accepts more (sessions.max 14 → 21)",
        ),
        (
            "kb/facts.yaml",
            bumped(NEW_ATTRIBUTE, "  walk:"),
            "minor",
            "because input fact `walk` has new optional attribute(s) `pace`",
        ),
        (
            "kb/sources/mini.yaml",
            "version: 2\n" + SOURCE_TEXT,
            "patch",
            "because source `mini` changed only in wording (text)",
        ),
        (
            "kb/sources/mini.yaml",
            "version: 2\n" + SOURCE_EVIDENCE,
            "minor",
            "because source `mini` changed (evidence)",
        ),
        (
            "kb/sources/mini.yaml",
            "version: 2\n" + SOURCE_REVIEWED,
            "patch",
            "because source `mini` changed only in review dates (review_by, reviewed)",
        ),
    ],
    ids=[
        "statement",
        "kind",
        "narrowed",
        "widened",
        "new-attribute",
        "source-text",
        "source-evidence",
        "source-review-dates",
    ],
)
def test_release_of_conclusion_vocabulary_or_source_changes_picks_the_bump(
    make_kb, name, text, bump, reason
) -> None:
    root = locked(make_kb, {name: text})
    done = release(root, date=datetime.date(2025, 3, 1), accept=ACCEPT_UNTESTED)
    assert (done.bump, done.reason) == (bump, reason)
    assert done.version == {"patch": "1.0.1", "minor": "1.1.0", "major": "2.0.0"}[bump]
    # Released: the lock now records the change, so the KB is no longer a working copy.
    content = read_content(root)
    assert (content.version, content.changes.items) == (done.version, ())


def test_bump_may_be_raised_but_not_lowered(make_kb, capsys) -> None:
    root = locked(make_kb, {"kb/conclusions.yaml": bumped(KIND, "id: rest")})
    code = main(["release", str(root), "--bump", "patch", "--date", "2025-03-01", *ACCEPT_OPTIONS])
    assert code == 2
    assert capsys.readouterr().err == (
        "healthkb: --bump patch is lower than the changes need: minor, because conclusion "
        "`rest` changed (kind); use --bump minor (or leave --bump out)\n"
    )
    assert (
        main(["release", str(root), "--bump", "major", "--date", "2025-03-01", *ACCEPT_OPTIONS])
        == 0
    )
    assert capsys.readouterr().out.splitlines()[:3] == [
        "released mini-kb 2.0.0 (2025-03-01), was 1.0.0",
        "bump: major, as asked (--bump); the changes need only minor, because conclusion "
        "`rest` changed (kind)",
        "  - Changed conclusion `rest` (version 1 → 2) in kind.",
    ]


def test_removed_conclusion_is_a_major_change(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.split("  - id: rest")[0]
    rules = MINI_RULES.split("  - id: rest_when_tired")[0]
    root = locked(make_kb, {"kb/conclusions.yaml": conclusions, "rules/walking.yaml": rules})
    done = release(root, date=datetime.date(2025, 3, 1), accept=ACCEPT_UNTESTED)
    assert (done.bump, done.changes) == (
        "major",
        (
            "Removed conclusion `rest` (was version 1).",
            "Removed rule `rest_when_tired` (was version 1).",
        ),
    )


SECOND_SOURCE = """\
id: brisk
title: Brisk walking and blood pressure
publisher: Test Press
author: B. Writer
published: 2025-01-02
language: en
text: |-
  Brisk walking may lower blood pressure.
"""


def test_changelog_lists_new_source_conclusion_and_fact_and_stays_plain_markdown(
    make_kb,
) -> None:
    conclusions = MINI_CONCLUSIONS + (
        "  - id: pressure_may_fall\n    kind: outcome\n    certainty: possible\n"
        "    statement: Brisk walking may lower your blood pressure.\n    because:\n"
        '      - source: brisk\n        quote: "Brisk walking may lower blood pressure."\n'
    )
    facts = MINI_FACTS.replace(
        "derived:\n",
        "  pressure:\n    description: Blood pressure.\n    attributes:\n      high:\n"
        "        type: bool\n        description: High blood pressure.\nderived:\n",
    )
    rules = MINI_RULES + (
        "  - id: pressure_rule\n    version: 1\n    title: Brisk walking\n    status: active\n"
        "    when: {fact: pressure.high, eq: true}\n    then: {conclude: pressure_may_fall}\n"
        '    because:\n      - source: brisk\n        quote: "Brisk walking may lower blood '
        'pressure."\n'
    )
    root = locked(
        make_kb,
        {"kb/conclusions.yaml": conclusions, "kb/facts.yaml": facts, "rules/walking.yaml": rules},
    )
    (root / "kb/sources/brisk.yaml").write_text(SECOND_SOURCE, encoding="utf-8")
    done = release(
        root,
        None,
        datetime.date(2025, 3, 1),
        ["Brisk walking, a second source."],
        accept=ACCEPT_UNTESTED,
    )
    assert done.changes == (
        "Brisk walking, a second source.",
        "Added source `brisk` (version 1).",
        "Added conclusion `pressure_may_fall` (version 1).",
        "Added fact `pressure` (version 1).",
        "Added rule `pressure_rule` (version 1).",
    )
    assert done.bump == "minor"
    manifest = yaml.safe_load((root / "kb/kb.yaml").read_text(encoding="utf-8"))
    # Plain YAML strings (no quoting), each a Markdown line with balanced code spans.
    text = (root / "kb/kb.yaml").read_text(encoding="utf-8")
    assert '"' not in text
    assert all(line.count("`") % 2 == 0 for line in manifest["changelog"][0]["changes"])


def test_release_with_nothing_changed_says_so_and_writes_nothing(make_kb, capsys) -> None:
    root = locked(make_kb, {})
    before = {p: p.read_bytes() for p in sorted((root / "kb").rglob("*")) if p.is_file()}
    with pytest.raises(NothingToRelease, match=r"nothing changed since release 1\.0\.0"):
        release(root, None, datetime.date(2025, 3, 1), accept=ACCEPT_UNTESTED)
    code = main(["release", str(root), *ACCEPT_OPTIONS])
    assert code == 1
    assert capsys.readouterr().out == (
        "release refused: nothing changed since release 1.0.0 (no source, conclusion, fact, "
        "rule, silence or FHIR mapping): nothing to release; nothing was written\n"
    )
    assert before == {p: p.read_bytes() for p in sorted((root / "kb").rglob("*")) if p.is_file()}


# --- working copies ----------------------------------------------------------------------

CASES = """\
cases:
  - name: four_walks_may_help
    profile: {walk: {sessions: 4}}
    expect: {conclusions: [walking_may_help]}
"""


def working_copy(make_kb) -> Path:
    """Released 1.0.0, then a threshold moved without raising the rule's version."""
    root = make_kb({"kb/tests/walking.yaml": CASES})
    write_lock(read_content(root))
    rules = MINI_RULES.replace("between: [3, 5]", "between: [2, 5]").replace(
        "title: Enough walking", "title: Enough walking, 2–5 times"
    )
    (root / "rules/walking.yaml").write_text(rules, encoding="utf-8")
    return root


PENDING = (
    "rules/walking.yaml:3:5: version-not-bumped: rule `enough_walking` changed since release "
    "1.0.0 (when) but its version is still 1 (raise `version` to 2: a rule's when, then, "
    "because, status and evidence are its content)"
)
SUMMARY = (
    "1 pending version bump(s): answers are stamped 1.1.0+dev; `healthkb validate` and "
    "`healthkb release` refuse the KB until each version is raised"
)


def test_working_copy_with_a_pending_bump_can_be_tested(make_kb, capsys) -> None:
    root = working_copy(make_kb)
    code = main(["test", str(root)])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines() == [f"warning: {PENDING}", f"warning: {SUMMARY}"]
    assert out.endswith("1 passed, 0 failed  (knowledge base mini-kb 1.1.0+dev)\n")


@pytest.mark.parametrize(
    "command",
    [
        ["coverage", "{root}"],
        ["report", "{root}", "--out", "{tmp}/site"],
        ["evaluate", "--kb", "{root}", "{tmp}/profile.yaml"],
    ],
    ids=["coverage", "report", "evaluate"],
)
def test_working_copy_commands_warn_and_go_on(make_kb, capsys, tmp_path, command) -> None:
    root = working_copy(make_kb)
    (tmp_path / "profile.yaml").write_text("walk: {sessions: 2}\n", encoding="utf-8")
    args = [part.format(root=root, tmp=tmp_path) for part in command]
    code = main(args)
    err = capsys.readouterr().err
    assert code in (0, 1) if args[0] == "coverage" else code == 0
    assert err.splitlines()[:2] == [f"warning: {PENDING}", f"warning: {SUMMARY}"]


def test_working_copy_answers_are_stamped_as_unreleased(make_kb) -> None:
    kb = healthkb.load(working_copy(make_kb))
    result = kb.evaluate({"walk": {"sessions": 2}})
    assert result.conclusion_ids == ["walking_may_help"]
    assert result.kb_version == "1.1.0+dev"
    # The working copy explains its own answers, stamped the same way.
    assert result.explain("walking_may_help").to_dict()["kb"]["version"] == "1.1.0+dev"
    assert [p.code for p in kb.pending] == ["version-not-bumped"]
    released = healthkb.load(make_kb(name="released"))
    assert released.version == "1.0.0"


def test_working_copy_with_bumps_made_is_still_stamped_dev_until_released(make_kb) -> None:
    root = working_copy(make_kb)
    text = (root / "rules/walking.yaml").read_text(encoding="utf-8")
    (root / "rules/walking.yaml").write_text(text.replace("version: 1", "version: 2", 1))
    kb = healthkb.load(root)
    assert (kb.pending, kb.version) == ((), "1.1.0+dev")
    release(root, date=datetime.date(2025, 3, 1), accept=ACCEPT_UNTESTED)
    assert healthkb.load(root).version == "1.1.0"


def test_working_copy_can_be_diffed(make_kb, capsys) -> None:
    released = make_kb(name="released")
    write_lock(read_content(released))
    root = working_copy(make_kb)
    code = main(["diff", str(released), str(root), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0
    assert err.splitlines() == [f"warning: NEW: {PENDING}", f"warning: NEW: {SUMMARY}"]
    data = json.loads(out)
    assert (data["new"]["version"], [p["code"] for p in data["new_pending"]]) == (
        "1.1.0+dev",
        ["version-not-bumped"],
    )


def test_validate_and_release_refuse_a_pending_bump(make_kb, capsys) -> None:
    root = working_copy(make_kb)
    assert validate(root, capsys) == (1, f"{PENDING}\n")
    code = main(["release", str(root), "--date", "2025-03-01", *ACCEPT_OPTIONS])
    assert code == 1
    assert capsys.readouterr().out == f"{PENDING}\nrelease refused: 1 problem(s) found\n"


def test_release_regenerates_stale_schemas_and_says_so(make_kb, capsys) -> None:
    root = make_kb()
    assert main(["schema", str(root)]) == 0
    write_lock(read_content(root))
    (root / "kb/facts.yaml").write_text(bumped(MAX_21, "  walk:"), encoding="utf-8")
    capsys.readouterr()
    assert main(["schema", str(root), "--check"]) == 1
    assert main(["release", str(root), "--date", "2025-03-01", *ACCEPT_OPTIONS]) == 0
    out = capsys.readouterr().out
    assert "wrote kb/kb.yaml, kb/rules.lock.yaml, kb/schemas/profile.schema.json\n" in out
    assert out.endswith(
        "note: the JSON Schemas above were out of date with the KB and were regenerated "
        "(`healthkb schema`); commit them with the release\n"
    )
    assert main(["schema", str(root), "--check"]) == 0


def test_a_conclusions_exclusions_are_versioned_content(make_kb, capsys) -> None:
    excluding = MINI_CONCLUSIONS.replace(
        "    kind: warning\n", "    kind: warning\n    excludes: [walking_may_help]\n"
    )
    root = locked(make_kb, {"kb/conclusions.yaml": excluding})
    code, out = validate(root, capsys)
    assert code == 1
    assert out.startswith(
        "kb/conclusions.yaml:9:5: version-not-bumped: conclusion `rest` changed since release "
        "1.0.0 (excludes) but its version is still 1"
    )
    (root / "kb/conclusions.yaml").write_text(bumped(excluding, "id: rest"), encoding="utf-8")
    changes = read_content(root).changes
    assert (changes.bump, [c.changelog_line() for c in changes.items]) == (
        "minor",
        ["Changed conclusion `rest` (version 1 → 2) in excludes."],
    )
