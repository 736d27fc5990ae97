"""A value YAML cannot build (an impossible date) is a located problem, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

import healthkb
from conftest import MINI_MANIFEST


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
