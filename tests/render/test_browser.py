"""The report site and explain page as headless Chromium renders them.

Each test reads the DOM Chromium built (`--dump-dom`), not the file we wrote, so a
page that a browser would parse differently (an unclosed tag swallowing a passage, a
mark broken by the parser) fails here. Skipped only when Chromium is not installed;
`.ci/run` installs Debian's chromium, so CI runs them.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

import healthkb
from healthkb.editing.passages import coverage
from healthkb.editing.report_data import gather_report
from healthkb.render.html_explain import explanation_page, tree_citations
from healthkb.render.report import write_report
from support.htmlcheck import broken_links, parse

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed (apt-get install chromium; .ci/run installs it)",
        allow_module_level=True,
    )

EXAMPLES = Path(__file__).resolve().parents[2] / "kb" / "examples"
SOURCE_ID = "cainiu-2025-running-thigh-fat"
CONCLUSION = "thigh_buttock_fat_may_decrease"
# Flags that work on a machine with no display and a closed network.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium(profile: Path, *args: str) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def rendered(tmp: Path, page: Path) -> str:
    """The DOM Chromium builds from `page`, serialised back to HTML."""
    return chromium(tmp / "chromium-profile", "--dump-dom", page.as_uri())


def screenshot(tmp: Path, page: Path, png: Path) -> tuple[int, int]:
    """Take a 1280x2000 screenshot; return the PNG's width and height from its header."""
    chromium(
        tmp / "chromium-profile", f"--screenshot={png}", "--window-size=1280,2000", page.as_uri()
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    kb = healthkb.load()
    write_report(gather_report(kb), folder / "site")
    result = kb.evaluate_file(EXAMPLES / "meets_conditions.yaml")
    tree = result.explain(CONCLUSION).to_dict()
    page = explanation_page(tree, kb.content, result.profile)
    (folder / "explain.html").write_text(page, encoding="utf-8")
    return folder


def test_source_page_renders_every_passage_highlighted_with_left_out_reasons(
    site: Path, kb: healthkb.KnowledgeBase
) -> None:
    page = site / "site" / "sources" / f"{SOURCE_ID}.html"
    dom = parse(rendered(site, page))
    cov = coverage(kb.content)[SOURCE_ID]
    assert len(cov.encoded) >= 15 and len(cov.left_out) == 8
    for passage in cov.encoded:
        mark = dom.mark(passage.id)
        assert mark.css_class == "encoded"
        assert " ".join(mark.text.split()) == " ".join(passage.quote.split())
    text = " ".join(dom.text.split())
    for passage in cov.left_out:
        assert dom.mark(passage.id).css_class == "left-out"
        assert f"left out: {passage.left_out}" in text
    assert broken_links(page, dom) == []
    width, height = screenshot(site, page, site / "source.png")
    assert (width, height) == (1280, 2000)
    assert (site / "source.png").stat().st_size > 50_000  # text and colour, not a blank page


def test_index_and_rule_pages_render_with_every_link_resolving(site: Path) -> None:
    index = site / "site" / "index.html"
    dom = parse(rendered(site, index))
    assert broken_links(index, dom) == []
    rule_links = [h for h in dom.hrefs if h.startswith("rules/")]
    assert len(set(rule_links)) == 15
    rule = site / "site" / "rules" / "running_load_adequate.html"
    rule_dom = parse(rendered(site, rule))
    assert broken_links(rule, rule_dom) == []
    text = " ".join(rule_dom.text.split())
    assert "running.sessions_per_week is between 3 and 5 sessions per week" in text
    assert "meets_every_condition" in text


def test_explain_page_renders_the_proof_tree_linked_to_highlighted_passages(
    site: Path, kb: healthkb.KnowledgeBase
) -> None:
    page = site / "explain.html"
    dom = parse(rendered(site, page))
    assert dom.tags["details"] >= 5
    assert broken_links(page, dom) == []
    result = kb.evaluate_file(EXAMPLES / "meets_conditions.yaml")
    for citation in tree_citations(result.explain(CONCLUSION).to_dict()):
        target = f"passage-{citation['source']}-{citation['start']}-{citation['end']}"
        assert f"#{target}" in dom.hrefs
        assert dom.mark(target).text == citation["quote"]
    assert screenshot(site, page, site / "explain.png") == (1280, 2000)
    assert (site / "explain.png").stat().st_size > 50_000


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_the_inference_network_renders_with_every_node_linked(
    site: Path, kb: healthkb.KnowledgeBase
) -> None:
    index = site / "site" / "index.html"
    html = rendered(site, index)
    dom = parse(html)
    content = kb.content
    expected = (
        len(content.vocabulary.input)
        + len(content.vocabulary.derived)
        + len(content.vocabulary.background)
        + len(content.rules)
        + len(content.conclusions)
    )
    assert dom.tags["svg"] == 1
    assert html.count('class="node"') == expected
    svg_links = [h for h in dom.hrefs if h.startswith(("#fact-", "#conclusion-", "rules/"))]
    assert len(set(svg_links)) >= expected
    assert broken_links(index, dom) == []
    explain = site / "explain.html"
    explain_html = rendered(site, explain)
    explain_dom = parse(explain_html)
    assert explain_dom.tags["svg"] == 1
    assert explain_html.count('stroke="#c92a2a"') >= 10  # the proof's nodes and edges
    assert "#rule-running_load_adequate" in explain_dom.hrefs
    assert broken_links(explain, explain_dom) == []
