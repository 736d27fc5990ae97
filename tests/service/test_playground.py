"""The playground in a real browser: Debian's chromium, driven by Playwright, against a
real `healthkb serve` on a free loopback port.

What a person sees must be what any client of the service gets: the conclusions shown
for the answers typed are compared with `/evaluate`'s for the same profile.
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Route

from conftest import ROOT
from support.client_tokens import ISSUER, Keys, token
from support.kb_releases import copy_of_bundled_kb, install, released
from support.playground_page import RUNNER, Playground, chromium
from support.service_process import Server, running, running_at_known_url

pytestmark = pytest.mark.browser
SCREENSHOTS = ROOT / "tests" / "support" / "playground_screenshots.py"

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
    asked: list[str] = []
    playground.page.on("request", lambda request: asked.append(request.url))
    for profile in PROFILES:
        playground.page.reload()
        playground.wait_for_form()
        playground.fill(profile)
        sent, shown = playground.answered()
        assert sent == profile
        assert shown == evaluated(server, profile)
    assert playground.unexpected_console() == []
    # The page calls only the service's own endpoints, on its own origin.
    paths = {url.removeprefix(server.url) for url in asked}
    assert all(url.startswith(server.url + "/") for url in asked)
    assert paths - {"/fhir/Questionnaire", "/kb", "/evaluate"} == {
        "/",
        "/playground/main.js",
        "/playground/api.js",
        "/playground/article.js",
        "/playground/dom.js",
        "/playground/form.js",
        "/playground/results.js",
        "/playground/playground.css",
        "/playground/icon.svg",
    }


def posted(server: Server, path: str, body: dict[str, Any]) -> Any:
    answer = httpx.post(server.url + path, json=body, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


def citations_of(tree: Any) -> list[dict[str, Any]]:
    if isinstance(tree, list):
        return [c for item in tree for c in citations_of(item)]
    if not isinstance(tree, dict):
        return []
    own = [tree] if {"source", "start", "end", "quote"} <= tree.keys() else []
    return own + [c for value in tree.values() for c in citations_of(value)]


def test_a_proof_highlights_every_passage_it_cites_in_the_source(
    playground: Playground, server: Server
) -> None:
    conclusion = "thigh_buttock_fat_may_decrease"
    playground.fill(RUNNER)
    playground.answered()
    playground.page.click(f'[data-conclusion="{conclusion}"] button')
    playground.page.wait_for_selector("#detail .proof")
    playground.page.wait_for_selector("#article mark")
    tree = posted(server, "/explain", {"profile": RUNNER, "conclusion": conclusion})
    rules = playground.page.eval_on_selector_all(
        "#detail [data-rule]", "rules => rules.map(r => r.dataset.rule)"
    )
    assert rules == [
        "fat_may_decrease",
        "calorie_deficit",
        "running_load_adequate",
        "diet_controlled",
    ]
    marks = playground.page.eval_on_selector_all(
        "#article mark",
        "marks => marks.map(m => [Number(m.dataset.start), Number(m.dataset.end), m.textContent])",
    )
    citations = citations_of(tree)
    assert citations
    for citation in citations:
        holding = [m for m in marks if m[0] <= citation["start"] and citation["end"] <= m[1]]
        assert holding, citation
        start, _, text = holding[0]
        offset = citation["start"] - start
        assert text[offset : offset + len(citation["quote"])] == citation["quote"]
    # Every mark holds a cited passage: nothing else is highlighted.
    assert all(
        any(c["start"] <= m[0] < c["end"] or m[0] <= c["start"] < m[1] for c in citations)
        for m in marks
    )
    playground.page.locator("#detail .passage-link").first.click()
    focused = playground.page.evaluate("document.activeElement.tagName")
    assert focused == "MARK"


def test_why_not_and_what_if_show_what_the_service_answers(
    playground: Playground, server: Server
) -> None:
    profile = {"running": {"sessions_per_week": 4, "intensity": "high", "minutes_per_session": 30}}
    conclusion = "thigh_buttock_fat_may_decrease"
    playground.fill(profile)
    playground.answered()
    playground.page.select_option("#conclusion-choice", conclusion)
    playground.page.click("#explain")
    playground.page.wait_for_selector("#detail .why-not")
    tree = posted(server, "/explain", {"profile": profile, "conclusion": conclusion})
    shown = playground.page.eval_on_selector_all(
        "#detail .why-not > .rule", "rules => rules.map(r => r.dataset.rule)"
    )
    assert shown == [rule["id"] for rule in tree["rules"]]
    playground.page.click("#what-if")
    playground.page.wait_for_selector("#what-if-answer .proposal")
    answer = posted(
        server, "/what-if", {"profile": profile, "conclusion": conclusion, "alternatives": 3}
    )
    proposals = playground.page.eval_on_selector_all(
        "#what-if-answer .proposal", "items => items.map(i => JSON.parse(i.dataset.changes))"
    )
    assert proposals == [p["changes"] for p in answer["proposals"]]
    # Applying the first proposal answers the questions it changes, and the rules follow.
    playground.page.locator("#what-if-answer .proposal button").first.click()
    changed, reached = playground.answered()
    assert reached == evaluated(server, changed)
    assert conclusion in reached and changed["running"]["minutes_per_session"] == 31


def test_a_problem_document_is_shown_beside_the_question_it_names(
    playground: Playground, server: Server
) -> None:
    profile = {"running": {"sessions_per_week": 40}}
    playground.fill(profile)
    playground.refused()
    refused = httpx.post(server.url + "/evaluate", json=profile, timeout=30)
    assert refused.status_code == 422
    (problem,) = refused.json()["problems"]
    beside = playground.page.locator("#q-running-sessions_per_week-problem")
    # As the service words it, its `names` shown as code.
    assert beside.inner_text() == f"{problem['message']} ({problem['hint']})".replace("`", "")
    assert beside.locator("code").first.inner_text() == "running.sessions_per_week"
    field = playground.page.locator("#q-running-sessions_per_week")
    assert field.get_attribute("aria-invalid") == "true"
    assert "q-running-sessions_per_week-problem" in (field.get_attribute("aria-describedby") or "")
    assert playground.page.locator("#form-problems").inner_text() == ""
    # Put right, the problem goes and the conclusions come back.
    playground.answer("running.sessions_per_week", "4")
    sent, shown = playground.answered()
    assert sent == {"running": {"sessions_per_week": 4}}
    assert beside.inner_text() == "" and field.get_attribute("aria-invalid") is None
    assert shown == evaluated(server, sent)


NAME = "node.id || `${node.tagName.toLowerCase()}:${node.textContent.trim().slice(0, 40)}`"
FOCUSED = f"""() => {{
    const node = document.activeElement;
    return !node || node === document.body ? null : {NAME};
}}"""
CONTROLS = f"""() => [...document.querySelectorAll('a[href], button, input, select, summary')]
    .filter(node => node.checkVisibility()).map(node => {NAME})"""


def tab_to(playground: Playground, selector: str, most: int = 80) -> None:
    """Press Tab until the element `selector` names has the focus."""
    page = playground.page
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_tab_reaches_every_control_in_the_order_of_the_page(playground: Playground) -> None:
    controls = playground.page.evaluate(CONTROLS)
    reached: list[str] = []
    for _ in range(len(controls) + 5):
        playground.page.keyboard.press("Tab")
        focused = playground.page.evaluate(FOCUSED)
        if focused is not None and reached and focused == reached[0]:
            break
        if focused is not None:
            reached.append(focused)
    assert reached == controls
    assert reached[:3] == ["a:Skip to the answers", "language", "token"]


def test_the_keyboard_alone_answers_explains_and_applies_a_what_if(
    playground: Playground, server: Server
) -> None:
    keyboard = playground.page.keyboard
    tab_to(playground, "#q-running-sessions_per_week")
    keyboard.type("4")
    keyboard.press("Tab")
    keyboard.type("h")  # a focused select takes the option its typed letters begin
    keyboard.press("Tab")
    keyboard.type("30")
    tab_to(playground, "#q-goals-target_areas-0")
    keyboard.press("Space")
    sent, shown = playground.answered()
    assert sent == {
        "running": {"sessions_per_week": 4, "intensity": "high", "minutes_per_session": 30},
        "goals": {"target_areas": ["thighs"]},
    }
    assert shown == evaluated(server, sent)
    # A conclusion reached: its proof, and a passage it cites, reached with Enter.
    tab_to(playground, '[data-conclusion="warm_up_and_stretch"] button')
    keyboard.press("Enter")
    playground.page.wait_for_function("() => document.activeElement.matches('#detail .proof h3')")
    tab_to(playground, "#detail .passage-link")
    keyboard.press("Enter")
    playground.page.wait_for_function("() => document.activeElement.tagName === 'MARK'")
    # One not reached: why not, and what would reach it, applied from the keyboard.
    tab_to(playground, "#conclusion-choice")
    keyboard.type("thigh_buttock_fat_may_d")
    keyboard.press("Tab")
    keyboard.press("Enter")
    playground.page.wait_for_selector("#detail .why-not")
    tab_to(playground, "#what-if")
    keyboard.press("Enter")
    playground.page.wait_for_selector("#what-if-answer .proposal")
    tab_to(playground, "#what-if-answer .proposal button")
    keyboard.press("Enter")
    changed, reached = playground.answered()
    assert "thigh_buttock_fat_may_decrease" in reached
    assert reached == evaluated(server, changed)
    assert playground.unexpected_console() == []


def test_with_authentication_on_the_token_field_sends_each_call_its_bearer_token(
    browser: Browser, tmp_path: Path
) -> None:
    keys = Keys()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    with running_at_known_url("--auth-jwks", jwks, "--auth-issuer", ISSUER) as server:
        context = browser.new_context()
        playground = Playground(context.new_page()).open(server.url + "/")
        page = playground.page
        problem = page.locator("#token-problem")
        # The page itself needs no token; the Questionnaire does, and says so beside the field.
        page.wait_for_selector("#retry:not([hidden])")
        assert "no Authorization: Bearer token" in problem.inner_text()
        assert page.locator("#answers fieldset").count() == 0

        def send_with(path: str, key: str = "") -> None:
            page.fill("#token", token(keys, server.url + path))
            if key:
                page.press("#token", key)
            else:
                page.click("#retry")

        send_with("/fhir/Questionnaire")
        # A token is for one endpoint (its `aud`), once (its `jti`): /kb needs a new one.
        page.wait_for_function(
            "() => document.getElementById('token-problem').textContent.includes('(/kb)')"
        )
        send_with("/kb", key="Enter")  # Enter in the field sends too
        playground.wait_for_form()
        profile = {"symptoms": {"physical_discomfort": True}}
        playground.fill(profile)
        playground.refused()
        send_with("/evaluate")
        sent, shown = playground.answered()
        assert sent == profile and shown == ["stop_and_rest"]
        assert problem.inner_text() == "" and page.locator("#retry").is_hidden()
        # A token for another endpoint is refused: its `aud` is checked.
        page.click('[data-conclusion="stop_and_rest"] button')
        page.wait_for_selector("#retry:not([hidden])")
        assert "Audience" in problem.inner_text() or "aud" in problem.inner_text()
        send_with("/explain")
        page.wait_for_selector("#detail .proof")
        context.close()


def test_the_screenshots_in_the_docs_are_made_by_the_script_and_exist(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, str(SCREENSHOTS), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    written = [Path(line) for line in made.stdout.splitlines()]
    assert [p.name for p in written] == ["playground.png", "playground-problem.png"]
    for path in written:
        png = path.read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert width >= 400 and height >= 300
    docs = ROOT / "docs"
    referenced = set()
    for guide in ("service.md", "editors.md"):
        referenced |= set(re.findall(r"\]\((images/[^)]+\.png)\)", (docs / guide).read_text()))
    assert referenced == {f"images/{p.name}" for p in written}
    assert all((docs / name).is_file() for name in referenced)


def test_after_the_service_reloads_its_kb_the_page_asks_for_its_questions_again(
    browser: Browser, tmp_path: Path
) -> None:
    served = copy_of_bundled_kb(tmp_path / "served")
    next_release = released(copy_of_bundled_kb(tmp_path / "next"))
    with running(served, "--watch") as server:
        context = browser.new_context()
        playground = Playground(context.new_page()).open(server.url + "/")
        playground.wait_for_form()
        stamp = playground.page.locator("#kb-stamp")
        assert " 0.1.2 " in stamp.inner_text()
        install(next_release, served)
        deadline = time.monotonic() + 60
        while httpx.get(server.url + "/kb", timeout=30).json()["kb"]["version"] != "0.2.0":
            assert time.monotonic() < deadline, "the service never reloaded"
            time.sleep(0.2)
        playground.fill({"symptoms": {"physical_discomfort": True}})
        playground.page.wait_for_function(
            "() => document.getElementById('kb-stamp').textContent.includes(' 0.2.0 ')"
        )
        sent, shown = playground.answered()
        assert sent == {"symptoms": {"physical_discomfort": True}}
        assert shown == evaluated(server, sent) == ["stop_and_rest"]
        context.close()


def test_an_answer_that_arrives_after_the_person_typed_again_is_not_shown(
    playground: Playground, server: Server
) -> None:
    page = playground.page
    playground.answered()  # the empty form's evaluation, on load
    held: list[Route] = []
    page.route("**/evaluate", lambda route: held.append(route))

    def wait_for_calls(count: int) -> None:
        for _ in range(200):
            if len(held) >= count:
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"the page made {len(held)} call(s), not {count}")

    playground.answer("symptoms.physical_discomfort", True)
    wait_for_calls(1)
    playground.answer("symptoms.physical_discomfort", False)
    # The first answer comes back after the second edit, before its evaluation starts
    # (0.3 s later): it answers answers no longer there.
    held[0].continue_()
    wait_for_calls(2)
    conclusions = page.locator("#conclusions")
    assert conclusions.get_attribute("data-state") == "waiting"
    assert page.locator('[data-conclusion="stop_and_rest"]').count() == 0
    held[1].continue_()
    sent, shown = playground.answered()
    assert sent == {"symptoms": {"physical_discomfort": False}}
    assert shown == evaluated(server, sent) == []


LABEL = "label[for=q-running-sessions_per_week]"


def statements_in(server: Server, profile: dict[str, Any], language: str) -> list[str]:
    headers = {"Accept-Language": language}
    answer = httpx.post(server.url + "/evaluate", json=profile, headers=headers, timeout=30)
    assert answer.headers["content-language"] == language
    return [c["statement"] for c in answer.json()["conclusions"]]


def question_in(server: Server, language: str) -> str:
    headers = {"Accept-Language": language}
    answer = httpx.get(server.url + "/fhir/Questionnaire", headers=headers, timeout=30)
    text: str = answer.json()["item"][0]["item"][0]["text"]
    return text


def test_the_language_switch_asks_every_call_in_the_language_chosen(
    playground: Playground, server: Server
) -> None:
    page = playground.page
    switch = page.locator("#language")
    assert page.eval_on_selector_all("#language option", "o => o.map(x => x.value)") == [
        "en",
        "zh-Hans",
    ]
    assert switch.input_value() == "en"  # headless chromium asks for en-US
    switch.select_option("zh-Hans")
    chinese = question_in(server, "zh-Hans")
    assert chinese != question_in(server, "en")
    page.wait_for_function(f"t => document.querySelector({LABEL!r}).textContent === t", arg=chinese)
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    playground.fill(RUNNER)
    sent, shown = playground.answered()
    assert shown == evaluated(server, sent)
    statements = page.eval_on_selector_all(
        "#conclusions .statement", "items => items.map(i => i.textContent)"
    )
    assert statements == statements_in(server, sent, "zh-Hans")
    assert statements != statements_in(server, sent, "en")
    assert playground.unexpected_console() == []


def test_the_first_language_is_the_one_the_service_chose_for_the_browser(
    browser: Browser, server: Server
) -> None:
    context = browser.new_context(locale="zh-CN")  # Accept-Language: zh-CN
    try:
        playground = Playground(context.new_page()).open(server.url + "/")
        playground.wait_for_form()
        assert playground.page.locator("#language").input_value() == "zh-Hans"
        label = playground.page.locator(LABEL).inner_text()
        assert label == question_in(server, "zh-Hans")
    finally:
        context.close()
