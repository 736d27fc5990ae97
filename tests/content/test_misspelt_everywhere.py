"""A name misspelt in thousands of rules is matched against the vocabulary once, not
once per rule: a fact renamed in kb/facts.yaml and not in the rules that test it took
`healthkb validate` 72 s of CPU on the generated 10,000-rule KB."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

import pytest
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb
from healthkb.errors import closest, did_you_mean


def misspell_every_level(root: Path) -> int:
    """`measure_N.level` spelt `mesure_N.level` in every rule; how many were changed."""
    changed = 0
    for path in (root / "rules").glob("*.yaml"):
        text, count = re.subn(
            r"fact: measure_(\d+)\.level", r"fact: mesure_\1.level", path.read_text()
        )
        path.write_text(text)
        changed += count
    return changed


def test_each_misspelt_name_is_matched_once_however_many_rules_use_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_generated_kb(tmp_path / "kb", 600)
    uses = misspell_every_level(root)
    matched: list[str] = []
    real = difflib.get_close_matches

    def counted(word: str, *args: Any, **kwargs: Any) -> list[str]:
        matched.append(word)
        return real(word, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counted)
    with pytest.raises(healthkb.KBError) as raised:
        healthkb.load(root)
    unknown = [p for p in raised.value.problems if p.code == "unknown-fact"]
    assert len(unknown) == uses > 500
    assert all("did you mean `measure_" in p.hint for p in unknown)
    # Each distinct misspelt name is looked up at most twice: for the hint, and for
    # the declaration it may be a misspelling of (their choices differ in order only).
    assert len(matched) <= 2 * len(set(matched)) < uses


def test_the_remembered_answer_is_the_answer() -> None:
    choices = ["measure_1", "measure_12", "level", "flagged"]
    assert closest("mesure_1", choices) == "measure_1"
    assert closest("mesure_1", reversed(choices)) == "measure_1"
    assert closest("mesure_1", ["level"]) is None
    assert did_you_mean("flaged", choices) == "did you mean `flagged`?"
    long = "x" * 5000
    assert closest(long, choices) is None
