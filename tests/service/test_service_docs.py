"""docs/service.md runs: every console session against real servers, as it is shown."""

from __future__ import annotations

from pathlib import Path

from support.service_docs import DOC, matches, run, steps


def test_every_command_of_the_service_guide_prints_what_it_shows(tmp_path: Path) -> None:
    outputs = run(tmp_path)
    assert len(outputs) == len(steps(DOC.read_text(encoding="utf-8"))) >= 20


def test_the_comparison_allows_only_what_it_says() -> None:
    assert matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert matches(['"worker": 1', "sha256:" + "a" * 64], ['"worker": 77', "sha256:" + "b" * 64])
    assert not matches(["a", "c"], ["a", "b", "c"])
    assert not matches(["200"], ["401"])
