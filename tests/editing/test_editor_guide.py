"""The editor's guide runs as written: every command of docs/editors.md's walk-through
(and of the reference after it), in order, in one fresh folder, prints what the doc
shows under it."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT
from support.walkthrough import WALKTHROUGHS, run_walkthrough, steps


def test_every_step_of_the_editors_guide_prints_what_the_doc_shows(tmp_path: Path) -> None:
    # The guide starts at the root of a checkout and copies kb/ and rules/ from there.
    checkout = tmp_path / "healthkb"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, checkout / folder)
    home = tmp_path / "home"
    home.mkdir()
    doc = ROOT / "docs" / "editors.md"
    assert run_walkthrough(doc, WALKTHROUGHS["editors.md"], checkout, home) > 40


def test_the_second_source_section_is_a_walk_through_that_builds_one() -> None:
    # Run above, in order with the rest of the guide; here: it stays a walk-through
    # that writes a second source and checks each of the three cases.
    doc = ROOT / "docs" / "editors.md"
    heading = "A second source: corroborating, adding a caveat, contradicting"
    commands = [step.command for step in steps(doc, [heading])]
    assert any(c.startswith("cat > kb/sources/sports-clinic-2026.yaml") for c in commands)
    for expected in ("healthkb analyze .", "healthkb validate ."):
        assert expected in commands
    assert sum(c.startswith("healthkb explain") for c in commands) == 2
