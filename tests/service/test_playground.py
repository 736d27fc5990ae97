"""The playground in a real browser: Debian's chromium, driven by Playwright, against a
real `healthkb serve` on a free loopback port.

What a person sees must be what any client of the service gets: the conclusions shown
for the answers typed are compared with `/evaluate`'s for the same profile.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser

from support.playground_page import Playground, chromium
from support.service_process import Server, running

pytestmark = pytest.mark.browser

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
PROFILES: list[dict[str, dict[str, Any]]] = [
    RUNNER,
    {"symptoms": {"physical_discomfort": True}},
    {
        "running": {"sessions_per_week": 1, "intensity": "low", "minutes_per_session": 12.5},
        "diet": {"frequent_high_calorie_foods": True, "low_calorie": False},
        "goals": {"weight_management_concern": True},
    },
    {"running": {"sessions_per_week": 0}, "goals": {"target_areas": ["whole_body"]}},
]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running() as started:
        yield started


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def playground(browser: Browser, server: Server) -> Iterator[Playground]:
    context = browser.new_context()
    try:
        page = Playground(context.new_page()).open(server.url + "/")
        page.wait_for_form()
        yield page
    finally:
        context.close()


def evaluated(server: Server, profile: dict[str, Any]) -> list[str]:
    answer = httpx.post(server.url + "/evaluate", json=profile, timeout=30)
    assert answer.status_code == 200, answer.text
    return [c["id"] for c in answer.json()["conclusions"]]


def test_the_page_and_its_files_are_served_under_a_strict_content_security_policy(
    server: Server,
) -> None:
    page = httpx.get(server.url + "/", timeout=30)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "<script>" not in page.text and " style=" not in page.text
    script = httpx.get(server.url + "/playground/main.js", timeout=30)
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"
    missing = httpx.get(server.url + "/playground/nothing.js", timeout=30)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_the_conclusions_shown_for_the_answers_typed_are_those_of_evaluate(
    playground: Playground, server: Server
) -> None:
    for profile in PROFILES:
        playground.page.reload()
        playground.wait_for_form()
        playground.fill(profile)
        sent, shown = playground.answered()
        assert sent == profile
        assert shown == evaluated(server, profile)
    assert playground.unexpected_console() == []
