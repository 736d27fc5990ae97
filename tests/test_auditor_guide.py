"""The auditor's walk-through runs as written: from an answer in the audit log back to
the article, every command of docs/auditors.md prints what the doc shows, and the record
id the first step prints is the one the later steps use."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT
from walkthrough import run_walkthrough

AUDITOR_GUIDE = ("Verifying one answer from the log back to the article",)


def test_verifying_one_answer_back_to_the_article_runs_as_written(tmp_path: Path) -> None:
    # Run from the root of a checkout, as the doc says: it reads kb/ and writes audit.jsonl.
    checkout = tmp_path / "healthkb"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, checkout / folder)
    home = tmp_path / "home"
    home.mkdir()
    assert run_walkthrough(ROOT / "docs" / "auditors.md", AUDITOR_GUIDE, checkout, home) == 5
