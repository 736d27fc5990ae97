"""The Chinese pages as a reader's browser shows them: every CJK character drawn with a
glyph, never the empty box of a missing font (`.ci/run` installs Debian's
fonts-noto-cjk), and a switch to the same page in English.

How a missing glyph is caught: a character no font has (a private-use one) is drawn as
the fallback box; each CJK character of the page, drawn in the page's own font on a
canvas, must look different from that box. Without a CJK font every one of them is
the same box, and the test names them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import healthkb
from healthkb.editing.report_data import gather_report
from healthkb.render.html_explain import explanation_page
from healthkb.render.report import write_report
from support.playground_page import CHROMIUM, chromium

pytestmark = pytest.mark.browser

PROFILE = {
    "running": {"intensity": "low", "sessions_per_week": 1, "minutes_per_session": 15},
    "diet": {"frequent_high_calorie_foods": True},
    "goals": {"target_areas": ["thighs"]},
}

# Runs in the page (through Playwright, past the page's own no-script policy): the CJK
# characters it shows, each compared, drawn on a canvas in the body's font, with a
# private-use character that no font draws.
GLYPHS = """() => {
  const font = getComputedStyle(document.body).font;
  const draw = (text) => {
    const canvas = document.createElement("canvas");
    canvas.width = 64; canvas.height = 64;
    const context = canvas.getContext("2d");
    context.font = font.replace(/\\d+(\\.\\d+)?px/, "40px");
    context.fillText(text, 4, 48);
    return Array.from(context.getImageData(0, 0, 64, 64).data).join(",");
  };
  const box = draw("\\uE000");
  const chars = [...new Set(document.body.innerText.match(/[\\u4e00-\\u9fff]/g) || [])];
  return {
    count: chars.length,
    boxes: chars.filter((c) => draw(c) === box),
    uniform: draw("\\uE001") === box,
  };
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cjk")
    kb = healthkb.load()
    write_report(gather_report(kb), folder / "site")
    result = kb.evaluate(PROFILE, lang="zh-Hans")
    tree = result.explain("thigh_buttock_fat_may_not_decrease").to_dict()
    worded = result._evaluated_by()
    (folder / "explain.html").write_text(explanation_page(tree, worded, PROFILE), "utf-8")
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as opened:
        yield opened


@pytest.mark.parametrize(
    "page",
    [
        "explain.html",
        "site/lang/zh-Hans/index.html",
        "site/lang/zh-Hans/rules/fat_may_decrease.html",
    ],
)
def test_chinese_pages_show_glyphs_not_empty_boxes(pages: Path, browser: Any, page: str) -> None:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 2000})
    try:
        tab = context.new_page()
        tab.goto((pages / page).as_uri())
        assert tab.evaluate("document.documentElement.lang") == "zh-Hans"
        found = tab.evaluate(GLYPHS)
        tab.screenshot(path=str(pages / (page.replace("/", "_") + ".png")), full_page=True)
    finally:
        context.close()
    assert found["uniform"], "missing glyphs are not drawn as one box here: cannot tell"
    assert found["count"] > 20
    assert found["boxes"] == [], f"drawn as empty boxes: {''.join(found['boxes'])}"


def test_the_chinese_report_page_switches_to_the_same_page_in_english(
    pages: Path, browser: Any
) -> None:
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto((pages / "site/lang/zh-Hans/rules/fat_may_decrease.html").as_uri())
        assert "持续的热量缺口可能会减少大腿和臀部的脂肪" in tab.inner_text("body")
        tab.click("nav.languages a[hreflang=en]")
        assert tab.url.endswith("/site/rules/fat_may_decrease.html")
        assert tab.evaluate("document.documentElement.lang") == "en"
        assert "A continuous calorie deficit may reduce fat" in tab.inner_text("body")
        tab.click("nav.languages a[hreflang=zh-Hans]")
        assert tab.url.endswith("/site/lang/zh-Hans/rules/fat_may_decrease.html")
    finally:
        context.close()


def test_without_a_cjk_font_the_check_finds_the_boxes(
    pages: Path, browser: Any, tmp_path: Path
) -> None:
    # The same check in a browser that sees only fonts without CJK glyphs (a fontconfig
    # of its own): what a machine without fonts-noto-cjk would show.
    fonts = Path("/usr/share/fonts/truetype/dejavu")
    if not fonts.is_dir():
        pytest.skip("no DejaVu fonts to stand for a machine without CJK fonts")
    config = tmp_path / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{fonts}</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    without = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        env={**os.environ, "FONTCONFIG_FILE": str(config)},
    )
    try:
        tab = without.new_context(bypass_csp=True).new_page()
        tab.goto((pages / "explain.html").as_uri())
        found = tab.evaluate(GLYPHS)
    finally:
        without.close()
    assert found["uniform"] and found["count"] > 20
    assert len(found["boxes"]) == found["count"]
