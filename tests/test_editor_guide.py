"""The editor's guide runs as written: every command of docs/editors.md's walk-through,
in order, in one fresh folder, printing what the doc shows under it."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT
from walkthrough import run_walkthrough

# The walk-through, then the reference after it, whose examples go on in its folder.
EDITOR_GUIDE = ("Editor's guide", "Editor's reference")


def test_every_step_of_the_editors_guide_prints_what_the_doc_shows(tmp_path: Path) -> None:
    # The guide starts at the root of a checkout, and copies kb/ and rules/ from there.
    checkout = tmp_path / "healthkb"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, checkout / folder)
    home = tmp_path / "home"
    home.mkdir()
    assert run_walkthrough(ROOT / "docs" / "editors.md", EDITOR_GUIDE, checkout, home) > 30
