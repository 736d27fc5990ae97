"""A conclusion reached by two derivations (two rules, on two sources) lists both, in
the result, the explanation (data, text, HTML) and the names of the sources its
statement rests on; one derivation gives what it always gave."""

from __future__ import annotations

import json
from pathlib import Path

import healthkb
from conftest import MINI_RULES
from healthkb.editing.report_data import gather_report
from healthkb.render.html_explain import explanation_page
from healthkb.render.report import build_report
from healthkb.render.result import result_json, result_markdown, result_text

# A second source says that walking with company may help, however often one walks.
SECOND_SOURCE = """\
id: second
title: Another article
publisher: Other Press
author: B. Writer
published: 2025-03-01
language: en
text: |-
  Walking with company may help.
"""
WITH_COMPANY = """\
  - id: company_helps
    version: 1
    title: Walking with company may help
    status: active
    when: {fact: walk.tired, eq: false}
    then: {conclude: walking_may_help}
    because:
      - source: second
        quote: "Walking with company may help."
"""
BOTH = {"walk": {"sessions": 4, "tired": False}}


def two_sources(make_kb) -> healthkb.KnowledgeBase:
    root: Path = make_kb(
        {"kb/sources/second.yaml": SECOND_SOURCE, "rules/walking.yaml": MINI_RULES + WITH_COMPANY}
    )
    return healthkb.load(root)


def test_the_result_lists_the_other_derivation_with_its_sources(make_kb) -> None:
    result = two_sources(make_kb).evaluate(BOTH)
    (conclusion,) = result.conclusions
    assert conclusion.rule_id == "company_helps"  # the least deep derivation comes first
    (other,) = conclusion.also_reached_by
    assert (other.rule_id, other.rule_version, other.sources) == ("walking_helps", 1, ["mini"])
    assert [c.quote for c in other.citations] == ["may help"]
    assert [f.fact for f in other.facts_used] == ["walking_load"]
    assert sorted(result.sources) == ["mini", "second"]
    data = json.loads(result_json(result))
    assert data["conclusions"][0]["also_reached_by"][0]["sources"] == ["mini"]
    assert result_json(result) == result_json(two_sources(make_kb).evaluate(BOTH))


def test_the_explanation_lists_every_derivation_and_names_their_sources(make_kb) -> None:
    tree = two_sources(make_kb).evaluate(BOTH).explain("walking_may_help").to_dict()
    assert tree["rule"]["id"] == "company_helps"
    assert [r["id"] for r in tree["also_reached_by"]] == ["walking_helps"]
    derived = tree["also_reached_by"][0]["conditions"][0]["support"]["rule"]["id"]
    assert derived == "enough_walking"
    assert tree["conclusion"]["derivations"] == [
        {"rule": "company_helps", "sources": ["second"]},
        {"rule": "walking_helps", "sources": ["mini"]},
    ]
    assert sorted(tree["sources"]) == ["mini", "second"]


def test_the_explanation_text_says_which_source_each_derivation_rests_on(make_kb) -> None:
    text = str(two_sources(make_kb).evaluate(BOTH).explain("walking_may_help"))
    assert (
        "  source of the statement\n"
        "    source mini p1.s1 [0:34]: “Walking 3–5 times a week may help.”\n"
        "    reached by rule company_helps, which rests on second\n"
        "    reached by rule walking_helps, which rests on mini\n"
        "  rule company_helps v1: Walking with company may help  (rules/walking.yaml)\n"
    ) in text
    assert (
        "  also reached by\n"
        "    rule walking_helps v1: Walking may help  (rules/walking.yaml)\n"
        '      condition walking_load.level eq "enough": holds, seen "enough" (derived)\n'
    ) in text


def test_one_derivation_on_another_source_is_named_under_the_statement(make_kb) -> None:
    tree = two_sources(make_kb).evaluate({"walk": {"sessions": 0, "tired": False}})
    explained = tree.explain("walking_may_help").to_dict()
    assert "also_reached_by" not in explained
    assert explained["conclusion"]["derivations"] == [
        {"rule": "company_helps", "sources": ["second"]}
    ]
    assert "also_reached_by" not in json.loads(result_json(tree))["conclusions"][0]


def test_one_derivation_on_the_statements_source_adds_nothing(make_kb) -> None:
    result = two_sources(make_kb).evaluate({"walk": {"sessions": 4, "tired": True}})
    tree = result.explain("walking_may_help").to_dict()
    assert "derivations" not in tree["conclusion"] and "also_reached_by" not in tree
    assert "also reached" not in str(result.explain("walking_may_help"))
    assert "also_reached_by" not in result_json(result)


def test_text_markdown_and_html_show_the_other_derivation(make_kb) -> None:
    kb = two_sources(make_kb)
    result = kb.evaluate(BOTH)
    assert (
        "  also reached by rule walking_helps v1: Walking may help (resting on mini)\n"
        "    source mini p1.s1: “may help”\n"
    ) in result_text(result)
    assert "Also reached by rule `walking_helps` v1: Walking may help (resting on `mini`)" in (
        result_markdown(result)
    )
    page = explanation_page(result.explain("walking_may_help").to_dict(), kb.content)
    assert "<summary>also reached by</summary>" in page
    assert "reached by rule <code>walking_helps</code>, which rests on <code>mini</code>" in page
    assert 'id="rule-walking_helps"' in page


def test_the_report_names_the_sources_of_each_rule_reaching_a_conclusion(make_kb) -> None:
    pages = build_report(gather_report(two_sources(make_kb)))
    assert (
        'reached by: <a href="rules/company_helps.html">company_helps</a> '
        "(on <code>second</code>), "
        '<a href="rules/walking_helps.html">walking_helps</a> (on <code>mini</code>)'
    ) in pages["index.html"]
    assert "(on <code>" not in build_report(gather_report(healthkb.load()))["index.html"]


def test_a_cds_card_links_the_passages_of_every_derivation(make_kb) -> None:
    (card,) = two_sources(make_kb).evaluate(BOTH).to_cds_cards()["cards"]
    detail = card["detail"]
    assert (
        "Reached by rule `company_helps` v1 (Walking with company may help); "
        "also by rule `walking_helps` v1 (Walking may help)."
    ) in detail
    assert "> may help\n>\n> — *A tiny article*, Test Press: `mini` p1.s1, characters 25–33" in (
        detail
    )
