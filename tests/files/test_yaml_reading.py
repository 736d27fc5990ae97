"""Whatever is wrong with a YAML file's text, the editor gets a located problem with a hint.

Each test runs with libyaml and with PyYAML's pure-Python parser (the fallback where
libyaml is missing), whose errors differ in wording and in when they are raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import healthkb
from conftest import MINI_RULES, MINI_SOURCE
from healthkb.files import yaml_reader as yamlio
from support.kb_cli import main_in_kb as main

PARSERS = ["libyaml", "pure-python"]


@pytest.fixture(params=PARSERS, autouse=True)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "libyaml":
        if not hasattr(yaml, "CSafeLoader"):
            pytest.skip("libyaml is not installed")
        monkeypatch.setattr(yamlio, "_Loader", yaml.CSafeLoader)
    else:
        monkeypatch.setattr(yamlio, "_Loader", yaml.SafeLoader)
    yield request.param


def problems_of(root: Path) -> list[healthkb.Problem]:
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(root)
    return caught.value.problems


def rules_with(old: str, new: str) -> dict[str, str]:
    assert old in MINI_RULES
    return {"rules/walking.yaml": MINI_RULES.replace(old, new)}


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\x00", "U+0000 (NULL)"),
        ("\x07", "U+0007 (BELL)"),
        ("\x1b", "U+001B (ESCAPE)"),
        ("\x0c", "U+000C (FORM FEED)"),
    ],
)
def test_a_control_character_in_a_kb_file_is_located_and_named(make_kb, char, name) -> None:
    root = make_kb(rules_with("title: Enough walking", f"title: Enough{char} walking"))
    (problem,) = problems_of(root)
    assert str(problem).startswith(
        f"rules/walking.yaml:4:18: bad-character: character {name} is not allowed in YAML ("
    )
    assert "delete it" in problem.hint


def test_a_control_character_after_non_ascii_text_is_located_by_character(make_kb) -> None:
    # libyaml reports the offset in bytes; the column must count characters.
    root = make_kb(rules_with("title: Enough walking", "title: Énough “walking”\x07"))
    (problem,) = problems_of(root)
    assert (problem.line, problem.column, problem.code) == (4, 28, "bad-character")


def test_more_control_characters_are_counted_in_the_one_problem(make_kb) -> None:
    root = make_kb(rules_with("title: Enough walking", "title: \x00Enough\x00 \x00walking"))
    (problem,) = problems_of(root)
    assert (problem.line, problem.column) == (4, 12)
    assert problem.message.endswith("; the file has 2 more such characters")


def test_a_control_character_in_a_profile_file_is_a_profile_error(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("running:\n  intensity: hi\x1bgh\n", encoding="utf-8")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.code) == (2, 16, "bad-character")
    assert "U+001B (ESCAPE)" in problem.message


def test_a_control_character_exits_2_from_evaluate_and_test(make_kb, capsys, tmp_path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("running: {intensity: high\x07}\n", encoding="utf-8")
    assert main(["evaluate", str(profile)]) == 2
    err = capsys.readouterr().err
    assert f"{profile}:1:26: bad-character: character U+0007 (BELL)" in err
    root = make_kb({"kb/tests/walking.yaml": "cases:\n  - name: a\x00\n"})
    assert main(["test", str(root)]) == 2
    err = capsys.readouterr().err
    assert "kb/tests/walking.yaml:2:12: bad-character: character U+0000 (NULL)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u2028", "U+2028 (LINE SEPARATOR)"),
        ("\u2029", "U+2029 (PARAGRAPH SEPARATOR)"),
        ("\x85", "U+0085 (NEXT LINE)"),
    ],
)
def test_a_line_break_only_yaml_sees_in_a_source_text_is_located_where_the_editor_shows_it(
    make_kb, char, name
) -> None:
    # Pasted from a web page: YAML reads it as a line break, editors show none, so the
    # parser's own error came lines later with a hint about a missing `:`.
    source = MINI_SOURCE.replace("may help. Rest", f"may help.{char}Rest")
    (problem,) = problems_of(make_kb({"kb/sources/mini.yaml": source}))
    assert str(problem) == (
        f"kb/sources/mini.yaml:8:37: bad-character: character {name} is a line break to "
        "YAML, though editors do not show one (replace it with a space, or with a normal "
        "line break; it often comes from text copied from a web page)"
    )


def test_a_hidden_line_break_in_a_rule_title_is_counted_with_the_others(make_kb) -> None:
    title = "title: Enough\u2029walking\u2028"
    root = make_kb(rules_with("title: Enough walking", title))
    (problem,) = problems_of(root)
    assert (problem.line, problem.column, problem.code) == (4, 18, "bad-character")
    assert problem.message.endswith("; the file has 1 more such characters")


def test_a_hidden_line_break_in_a_profile_is_a_located_profile_error(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "p.json"
    path.write_text('{"running": {"intensity": "hi\u2028gh"}}', encoding="utf-8")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.code) == (1, 30, "bad-character")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_in_a_kb_folder_is_refused_not_waited_on(make_kb) -> None:
    root = make_kb()
    os.mkfifo(root / "rules" / "pipe.yaml")
    (root / "rules" / "folder.yaml").mkdir()
    problems = problems_of(root)
    assert [str(p) for p in problems] == [
        "rules/folder.yaml: not-a-file: `rules/folder.yaml` is a folder, not a regular file "
        "(only regular files are read: replace it with one, or move it away)",
        "rules/pipe.yaml: not-a-file: `rules/pipe.yaml` is a named pipe, not a regular file "
        "(only regular files are read: replace it with one, or move it away)",
    ]


def test_tab_indentation_is_explained(make_kb) -> None:
    (problem,) = problems_of(make_kb(rules_with("    title: Enough", "\ttitle: Enough")))
    assert (problem.line, problem.column, problem.code) == (4, 1, "yaml-syntax")
    assert problem.hint == "indent with spaces: YAML does not allow tab characters for indentation"


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("    title: Enough walking", "     title: Enough walking", 11),
        ("title: Enough walking", "title: Enough: walking", 18),
    ],
)
def test_a_colon_in_a_plain_value_or_an_extra_space_is_explained(make_kb, old, new, column) -> None:
    (problem,) = problems_of(make_kb(rules_with(old, new)))
    assert (problem.line, problem.column, problem.code) == (4, column, "yaml-syntax")
    assert "mapping values are not allowed" in problem.message
    assert problem.hint.startswith('a value holding ": " must be quoted ("...");')
    assert "indented more than the keys beside it" in problem.hint


def test_an_unclosed_quote_names_where_the_quote_was_opened(make_kb) -> None:
    root = make_kb(
        rules_with('quote: "Walking 3–5 times a week"', 'quote: "Walking 3–5 times a week')
    )
    (problem,) = problems_of(root)
    # The parser only notices at the next quote, lines below: the hint names the opening.
    assert (problem.line, problem.code) == (20, "yaml-syntax")
    assert problem.hint == (
        "the double quote opened at line 11, column 16 runs on to line 20: "
        "is its closing quote missing?"
    )


def test_a_quote_never_closed_before_the_end_names_where_it_was_opened(make_kb) -> None:
    rules = MINI_RULES.replace('quote: "Rest when tired."', 'quote: "Rest when tired.')
    (problem,) = problems_of(make_kb({"rules/walking.yaml": rules}))
    assert problem.code == "yaml-syntax"
    assert problem.hint == "the double quote opened at line 29, column 16 is never closed"


def test_an_unclosed_bracket_names_where_it_was_opened(make_kb) -> None:
    (problem,) = problems_of(make_kb(rules_with("between: [3, 5]}", "between: [3, 5}")))
    assert problem.code == "yaml-syntax"
    assert "the `[` opened at line 6, column 42" in problem.hint


@pytest.mark.parametrize(("added", "closing"), [("garbage: [", "]"), ("garbage: {a: [1]", "}")])
def test_a_bracket_left_open_at_the_end_of_a_file_is_shown_on_the_last_line(
    make_kb, added, closing
) -> None:
    rules = MINI_RULES + added + "\n"
    last = rules.count("\n")
    (problem,) = problems_of(make_kb({"rules/walking.yaml": rules}))
    # The parsers stop past the last line (at the end of the file): shown at its end.
    assert (problem.line, problem.column, problem.code) == (last, len(added) + 1, "yaml-syntax")
    assert problem.hint == (
        f"the `{added[9]}` opened at line {last}, column 10 is never closed: "
        f"is its `{closing}` missing?"
    )


def test_brackets_left_open_before_more_keys_name_the_innermost_one(make_kb) -> None:
    (problem,) = problems_of(make_kb(rules_with("between: [3, 5]}", "between: [3, 5")))
    assert (problem.line, problem.code) == (7, "yaml-syntax")
    assert problem.hint == (
        "check the `[` opened at line 6, column 42: is a `,` or its closing bracket missing?"
    )


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "OFF"])
def test_yes_no_on_off_as_a_value_are_refused_not_read_as_booleans(make_kb, word) -> None:
    (problem,) = problems_of(make_kb(rules_with("walk.tired, eq: true", f"walk.tired, eq: {word}")))
    meaning = "true" if word.lower() in ("yes", "on") else "false"
    assert str(problem) == (
        f"rules/walking.yaml:25:34: yaml-value: `{word}` is read as {meaning} (YAML reads yes, "
        f'no, on and off as true or false) (write {meaning}, or quote it ("{word}") if you '
        "mean the word)"
    )


def test_true_false_and_quoted_yes_are_plain_values(make_kb) -> None:
    assert healthkb.load(make_kb(rules_with("walk.tired, eq: true", "walk.tired, eq: True")))
    assert yamlio.parse_yaml('a: "yes"\nb: FALSE\n', "x.yaml").data == {"a": "yes", "b": False}


def test_a_number_too_long_to_read_is_a_short_problem(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("running: {sessions_per_week: " + "9" * 5000 + "}\n", encoding="utf-8")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(path)
    (problem,) = caught.value.problems
    assert str(problem) == (
        f"{path}:1:30: yaml-value: a number of 5,000 digits is too long to read "
        "(write a number of at most 4,300 digits)"
    )
