"""The auditor's sessions run as written: the report and explain pages, then the walk
from an answer in the audit log back to the article. Every command of docs/auditors.md
prints what the doc shows, and the record id the first step of the walk prints is the
one its later steps use."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import ROOT
from support.walkthrough import WALKTHROUGHS, run_walkthrough


def test_the_auditors_sessions_and_the_checkpoint_walk_run_as_written(
    tmp_path: Path,
) -> None:
    # From the root of a checkout, as the doc says: they read kb/ and write report/,
    # the HTML pages and audit.jsonl there.
    checkout = tmp_path / "healthkb"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, checkout / folder)
    home = tmp_path / "home"
    home.mkdir()
    doc = ROOT / "docs" / "auditors.md"
    assert run_walkthrough(doc, WALKTHROUGHS["auditors.md"], checkout, home) == 38
    # The walk from "person-17 complained" ends on the page with the cited passage.
    page = (checkout / "person-17.html").read_text(encoding="utf-8")
    assert "Why <code>thigh_buttock_fat_may_decrease</code>?" in page
    assert "<mark" in page and "muscle definition may become more visible" in page
    assert "<svg" in (checkout / "summary.html").read_text(encoding="utf-8")
    # The same page again, away from any checkout: from the store's copy of the release.
    assert (home / "person-17.html").read_text(encoding="utf-8") == page
