"""`audit summary --format html` as headless Chromium renders it: one page, its SVG
charts drawn with a bar per count (skipped only when Chromium is not installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import healthkb
from healthkb.cli import main

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_the_summary_page_draws_a_bar_per_day_and_per_conclusion(
    kb: healthkb.KnowledgeBase, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'audit.db'}"
    log = healthkb.AuditLog(store)
    for profile in [{"symptoms": {"physical_discomfort": True}}, {}]:
        kb.evaluate(profile, audit=log)
    page = tmp_path / "summary.html"
    assert main(["audit", "summary", store, "--format", "html", "--out", str(page)]) == 0
    assert CHROMIUM is not None
    dom = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert dom.count("<svg") == 2  # per day, per conclusion (no feedback yet)
    assert dom.count('class="bar"') == 2  # one day; one conclusion
    assert "stop_and_rest (KB " in dom
    assert "2 answer(s), 1 with no conclusion" in dom
