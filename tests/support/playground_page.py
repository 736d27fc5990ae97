"""The playground (`GET /` of `healthkb serve`) in a real browser, for the tests and the
docs' screenshots: Playwright for Python driving Debian's chromium.

Playwright never downloads a browser here (`playwright install` is never run): it
launches `/usr/bin/chromium` through `executable_path`, headless. `.ci/run` installs
Debian's chromium; without it the browser tests are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
WAIT_MS = 30_000
"""How long a step may take in the browser (a loaded two-core machine is slow)."""


# A runner's answers (running, diet and goals): what the tests and
# the docs' screenshots type into the form.
RUNNER = {
    "running": {"sessions_per_week": 4, "intensity": "moderate", "minutes_per_session": 40},
    "diet": {
        "low_calorie": True,
        "nutrient_rich": True,
        "limits_high_fat_high_sugar": True,
        "frequent_high_calorie_foods": False,
    },
    "goals": {"target_areas": ["thighs", "buttocks"]},
}


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright; skips where it is missing."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Playground:
    """One page of the playground, with what the tests do on it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.set_default_timeout(WAIT_MS)
        page.on("console", self._log)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))

    def _log(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}")

    def open(self, url: str) -> Playground:
        self.page.goto(url)
        return self

    def wait_for_form(self) -> None:
        self.page.wait_for_selector("#answers fieldset")

    def fill(self, profile: dict[str, dict[str, Any]]) -> None:
        """Answer each question of `profile` as a person would (typing, choosing)."""
        for fact, values in profile.items():
            for attribute, value in values.items():
                self.answer(f"{fact}.{attribute}", value)

    def answer(self, link_id: str, value: Any) -> None:
        controls = self.page.locator(f'[name="{link_id}"]')
        first = controls.first
        tag = first.evaluate("node => node.tagName.toLowerCase() + ':' + node.type")
        if tag == "input:checkbox":
            for index in range(controls.count()):
                box = controls.nth(index)
                box.set_checked(box.get_attribute("value") in value)
        elif tag.startswith("select"):
            first.select_option(json.dumps(value) if isinstance(value, bool) else str(value))
        else:
            first.fill(str(value))

    def answered(self) -> tuple[dict[str, Any], list[str]]:
        """Once the page shows the answer to its latest profile: that profile, and the
        ids of the conclusions shown, in the order shown."""
        self.page.wait_for_selector("#conclusions[data-state=answered]:not([aria-busy])")
        shown = self.page.locator("#conclusions")
        profile = json.loads(shown.get_attribute("data-profile") or "null")
        ids = self.page.eval_on_selector_all(
            "#conclusions [data-conclusion]", "items => items.map(i => i.dataset.conclusion)"
        )
        return profile, ids

    def refused(self) -> None:
        self.page.wait_for_selector("#conclusions[data-state=refused]:not([aria-busy])")

    def unexpected_console(self) -> list[str]:
        """Console errors other than the refused calls the test provoked on purpose (a
        browser logs every 4xx answer as a failed resource)."""
        return [
            line for line in self.console if "the server responded with a status of 4" not in line
        ]
