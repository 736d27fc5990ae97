"""A value YAML cannot build (an impossible date) is a located problem, never a crash."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

import healthkb
from conftest import MINI_MANIFEST
from healthkb.files import yaml_reader
from healthkb.files.yaml_reader import parse_yaml
from support.fuzzing import budget


def test_impossible_date_in_a_kb_file_is_a_located_problem(make_kb) -> None:
    manifest = MINI_MANIFEST.replace("released: 2025-02-01", "released: 2025-02-30")
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(make_kb({"kb/kb.yaml": manifest}))
    assert [str(p) for p in caught.value.problems] == [
        "kb/kb.yaml:4:11: yaml-value: `2025-02-30` is not a valid value: "
        "day is out of range for month"
    ]


def test_impossible_date_in_a_profile_file_is_a_profile_error(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("running: {intensity: high}\nseen: 2025-13-01\n", encoding="utf-8")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.code) == (2, 7, "yaml-value")


# An explicit standard tag on a text its constructor does not read: PyYAML raised
# KeyError (`!!bool x`), IndexError (`!!int ''`) or AttributeError (`!!timestamp x`),
# a traceback in `healthkb validate` and `healthkb evaluate` before this was caught
# (781e9f0 and 59e0d10 too: found by comparing them with main on generated texts).
@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a: !!bool x\n", 4, "`x` is not a valid value for the tag `!!bool`"),
        ("a: !!bool ''\n", 4, "`` is not a valid value for the tag `!!bool`"),
        ("a: !!bool\n", 4, "`` is not a valid value for the tag `!!bool`"),
        ("a: !!int ''\n", 4, "`` is not a valid value for the tag `!!int`"),
        ("a: !!float\n", 4, "`` is not a valid value for the tag `!!float`"),
        ("a: !!timestamp x\n", 4, "`x` is not a valid value for the tag `!!timestamp`"),
        ("- !!bool yesx\n", 3, "`yesx` is not a valid value for the tag `!!bool`"),
        ("{!!bool x: 1}\n", 2, "`x` is not a valid value for the tag `!!bool`"),
    ],
)
def test_a_tagged_value_its_tag_cannot_read_is_a_located_problem(
    text: str, column: int, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for loader in {yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)}:
        monkeypatch.setattr(yaml_reader, "_Loader", loader)
        with pytest.raises(healthkb.KBError) as caught:
            parse_yaml(text, "f.yaml")
        # (a key says also that it is not a name, as for `2025-02-30: 1`)
        problem = caught.value.problems[-1]
        assert (problem.line, problem.column, problem.code) == (1, column, "yaml-value")
        assert (problem.message, problem.hint) == (
            message,
            "remove the tag, or write a value of its kind",
        )


def test_a_profile_file_with_a_tagged_value_its_tag_cannot_read_is_a_profile_error(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("running: {intensity: !!bool high}\n", encoding="utf-8")
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate_file(profile)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.code) == (1, 22, "yaml-value")


@budget(300)
@given(
    st.sampled_from(["str", "int", "float", "bool", "null", "timestamp", "seq", "map"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\r\x85\u2028\u2029"), max_size=12),
    st.sampled_from(["plain", "single", "double"]),
)
def test_any_text_under_any_standard_tag_reads_or_is_a_located_problem(
    tag: str, value: str, style: str
) -> None:
    written = {
        "plain": value,
        "single": "'" + value.replace("'", "''") + "'",
        "double": json.dumps(value),
    }[style]
    with contextlib.suppress(healthkb.KBError):  # anything else fails the test
        parse_yaml(f"a: !!{tag} {written}\n", "f.yaml")
