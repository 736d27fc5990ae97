"""A source's `url` is an http(s) address: anything else (`javascript:alert(1)`) is a
located problem at validate, and is never made a link when a page or card is rendered
(issue 17: a stored XSS through the report and the CDS card's `source.url`)."""

from __future__ import annotations

import contextlib
import dataclasses

import pytest

import healthkb
from conftest import MINI_SOURCE
from healthkb.content.model import is_web_address
from healthkb.editing.report_data import gather_report
from healthkb.render.html import CONTENT_SECURITY_POLICY
from healthkb.render.html_explain import explanation_page
from healthkb.render.html_site import site_pages
from healthkb.results.cds_cards import card
from support.fuzzing import run_cli

BAD = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "https://",
    "//evil.example/x",
    "https://exa mple.org/",
    "https://example.org/\nx",
]


@pytest.mark.parametrize("url", ["https://example.org/a?b=c#d", "http://example.org"])
def test_http_and_https_addresses_are_web_addresses(url: str) -> None:
    assert is_web_address(url)


@pytest.mark.parametrize("url", BAD)
def test_other_addresses_are_not(url: str) -> None:
    assert not is_web_address(url)


def test_validate_locates_a_javascript_url(make_kb) -> None:
    source = MINI_SOURCE.replace("language: en\n", "language: en\nurl: javascript:alert(1)\n")
    root = make_kb({"kb/sources/mini.yaml": source})
    with contextlib.chdir(root):  # places print from the current folder
        code, out, _ = run_cli(["validate", str(root)])
    assert code == 1
    (line,) = [line for line in out.splitlines() if "url" in line]
    assert line.startswith("kb/sources/mini.yaml:7:1: invalid-value: `url`: 'javascript:alert(1)'")
    assert "is not an http:// or https:// address" in line


def test_a_url_that_got_past_validation_is_no_link_in_pages_or_cards(make_kb) -> None:
    source = MINI_SOURCE.replace("language: en\n", "language: en\nurl: https://example.org/a\n")
    kb = healthkb.load(make_kb({"kb/sources/mini.yaml": source}))
    evil = "javascript:alert(1)"
    sources = dict(kb.content.sources)
    sources["mini"] = sources["mini"].model_copy(update={"url": evil})  # not validated
    data = gather_report(kb)
    data = dataclasses.replace(data, content=dataclasses.replace(data.content, sources=sources))
    pages = site_pages(data)
    page = next(text for name, text in pages.items() if "mini" in name and "source" in name)
    assert f'href="{evil}"' not in page and "not a web address: no link" in page
    result = kb.evaluate({"walk": {"sessions": 4}})
    (conclusion, *_) = result.conclusion_ids
    tree = result.explain(conclusion).to_dict()
    info = {"mini": ("A tiny article", "Test Press", evil)}
    assert "url" not in card(tree, result.profile, info, None)["source"]
    good = {"mini": ("A tiny article", "Test Press", "https://example.org/a")}
    assert card(tree, result.profile, good, None)["source"]["url"] == "https://example.org/a"


def test_every_page_carries_a_content_security_policy_that_runs_no_script(kb) -> None:
    pages = site_pages(gather_report(kb))
    result = kb.evaluate({"symptoms": {"physical_discomfort": True}})
    (conclusion, *_) = result.conclusion_ids
    pages["explanation"] = explanation_page(
        result.explain(conclusion).to_dict(), kb.content, result.profile
    )
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
    for name, page in pages.items():
        assert meta in page, name
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY
