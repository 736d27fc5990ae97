"""Places print from where the editor stands, as a compiler's do: relative to the
current folder, or absolute when the KB is outside it, so that they open from there."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from conftest import MINI_RULES
from healthkb.cli import main
from support.analysis_kbs import SEED_CONFLICT, seed_copy

# A misspelt conclusion in a rule, and a wrong certainty in kb/conclusions.yaml.
BROKEN_RULES = MINI_RULES.replace("conclude: rest}", "conclude: rest_now}")


def run(capsys, where: Path, *argv: str) -> tuple[int, str, str]:
    with contextlib.chdir(where):
        code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_from_the_rules_folder_prints_places_that_open_from_there(make_kb, capsys) -> None:
    root = make_kb({"rules/walking.yaml": BROKEN_RULES})
    code, out, _ = run(capsys, root / "rules", "validate")
    assert code == 1
    assert out.startswith("walking.yaml:26:12: unknown-conclusion: ")
    # From kb/, the rules file is outside the current folder: its absolute path.
    code, out, _ = run(capsys, root / "kb", "validate")
    assert out.startswith(f"{root / 'rules/walking.yaml'}:26:12: unknown-conclusion: ")


def test_places_are_absolute_when_the_kb_is_outside_the_current_folder(
    make_kb, capsys, tmp_path
) -> None:
    root = make_kb({"rules/walking.yaml": BROKEN_RULES})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code, out, _ = run(capsys, elsewhere, "validate", str(root))
    assert code == 1
    assert out.startswith(f"{root / 'rules/walking.yaml'}:26:12: unknown-conclusion: ")
    # The JSON keeps the KB's own paths: it is data, the same wherever it is asked from.
    _, out, _ = run(capsys, elsewhere, "validate", str(root), "--format", "json")
    assert json.loads(out)[0]["file"] == "rules/walking.yaml"


def test_a_broken_kb_given_to_evaluate_is_located_from_the_current_folder(
    make_kb, capsys, tmp_path
) -> None:
    root = make_kb({"rules/walking.yaml": BROKEN_RULES})
    profile = tmp_path / "profile.json"
    profile.write_text('{"walk": {"sessions": 4}}', encoding="utf-8")
    code, _, err = run(capsys, root / "rules", "evaluate", str(profile), "--kb", str(root))
    assert code == 2
    assert err.splitlines()[:2] == [
        "healthkb: broken knowledge base:",
        "  walking.yaml:26:12: unknown-conclusion: conclusion `rest_now` is not declared in "
        "kb/conclusions.yaml (did you mean `rest`?)",
    ]


def test_analyze_places_and_their_see_lines_open_from_the_current_folder(tmp_path, capsys) -> None:
    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    code, out, _ = run(capsys, root / "rules", "analyze")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("fat_outcomes.yaml:4:5: conflict (error): ")
    assert lines[2] == (
        "  see: fat_outcomes.yaml:38:5 (rule `frequent_running_fat_may_not_decrease`)"
    )
    code, out, _ = run(capsys, root / "rules", "validate")
    assert out.splitlines()[1] == lines[2]


def test_test_case_places_open_from_the_current_folder(make_kb, capsys) -> None:
    cases = (
        "cases:\n  - name: walkers_may_be_helped\n    profile: {walk: {sessions: 4}}\n"
        "    expect: {conclusions: [walking_may_help]}\n"
    )
    root = make_kb({"kb/tests/walking.yaml": cases})
    code, out, _ = run(capsys, root / "kb", "test")
    assert code == 0
    assert out.splitlines()[0] == "PASS walkers_may_be_helped  (tests/walking.yaml:2)"
