"""The report draws the KB's inference network with Graphviz: one node per fact type,
rule and conclusion, each linked to its page; explanation pages highlight the proof."""

from __future__ import annotations

import re
import shutil

import pytest

import healthkb
from conftest import MINI_RULES
from healthkb.editing.report_data import gather_report
from healthkb.render import network_svg as network_module
from healthkb.render.html_explain import explanation_page
from healthkb.render.network_svg import network, proof_nodes
from healthkb.render.report import build_report

pytestmark = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz is not installed (.ci/run installs it)"
)


def test_the_network_has_a_node_per_fact_rule_and_conclusion_and_their_edges(make_kb) -> None:
    retired = MINI_RULES.replace(
        "status: active\n    when: {fact: walk.tired",
        "status: retired\n    when: {fact: walk.tired",
    )
    content = healthkb.load(make_kb({"rules/walking.yaml": retired})).content
    graph = network(content)
    assert list(graph.nodes) == [
        "fact:walk",
        "fact:walking_load",
        "rule:enough_walking",
        "rule:rest_when_tired",
        "rule:walking_helps",
        "conclusion:rest",
        "conclusion:walking_may_help",
    ]
    assert graph.edges == (
        ("fact:walk", "rule:enough_walking"),
        ("fact:walk", "rule:rest_when_tired"),
        ("fact:walking_load", "rule:walking_helps"),
        ("rule:enough_walking", "fact:walking_load"),
        ("rule:rest_when_tired", "conclusion:rest"),
        ("rule:walking_helps", "conclusion:walking_may_help"),
    )
    assert graph.nodes["rule:enough_walking"]["label"] == "enough_walking\nv1"
    assert graph.nodes["rule:rest_when_tired"]["label"] == "rest_when_tired\nv1 (retired)"
    assert "dashed" in graph.nodes["rule:rest_when_tired"]["style"]


def test_report_index_draws_the_network_with_every_node_linked(kb) -> None:
    index = build_report(gather_report(kb))["index.html"]
    svg = index.split('<figure class="network">', 1)[1].split("</figure>", 1)[0]
    assert svg.startswith("<svg ")
    links = re.findall(r'<a xlink:href="([^"]+)" xlink:title="([^"]+)"', svg)
    expected = {f"fact:{name}" for name in kb.content.vocabulary.input}
    expected |= {f"fact:{name}" for name in kb.content.vocabulary.derived}
    expected |= {f"fact:{name}" for name in kb.content.vocabulary.background}
    expected |= {f"rule:{r}" for r in kb.content.rules}
    expected |= {f"conclusion:{c}" for c in kb.content.conclusions}
    assert {title for _, title in links} == expected
    targets = dict((title, link) for link, title in links)
    assert targets["rule:calorie_deficit"] == "rules/calorie_deficit.html"
    assert targets["conclusion:stop_and_rest"] == "#conclusion-stop_and_rest"
    assert targets["fact:running"] == "#fact-running"
    for link, _ in links:
        if link.startswith("#"):
            assert f'id="{link[1:]}"' in index
    assert ">running_load_adequate</text>" in svg and ">v1</text>" in svg


def test_explanation_page_highlights_the_proof_path(kb) -> None:
    result = kb.evaluate_file("kb/examples/meets_conditions.yaml")
    tree = result.explain("thigh_buttock_fat_may_decrease").to_dict()
    path = proof_nodes(tree)
    assert path == {
        "conclusion:thigh_buttock_fat_may_decrease",
        "rule:fat_may_decrease",
        "rule:calorie_deficit",
        "rule:running_load_adequate",
        "rule:diet_controlled",
        "fact:calorie_balance",
        "fact:running_load",
        "fact:diet_control",
        "fact:running",
        "fact:diet",
    }
    page = explanation_page(tree, kb.content, result.profile)
    svg = page.split('<figure class="network">', 1)[1].split("</figure>", 1)[0]
    drawn_red = re.compile(
        r"<title>([a-z]+:[a-z_]+)</title>\n(?:<g [^>]*>)?(?:<a [^>]*>)?\n?"
        r'<[a-z]+ fill="[^"]*" stroke="#c92a2a"'
    )
    red = set(drawn_red.findall(svg))
    assert red == path
    for link in re.findall(r'xlink:href="#([^"]+)"', svg):
        assert f'id="{link}"' in page
    assert 'xlink:href="#rule-running_load_adequate"' in svg
    assert 'xlink:href="#rule-warm_up_and_stretch"' not in svg


def test_without_graphviz_the_page_says_how_to_get_the_picture(kb, monkeypatch) -> None:
    monkeypatch.setattr(network_module.shutil, "which", lambda name: None)
    index = build_report(gather_report(kb))["index.html"]
    assert "<svg" not in index
    assert "needs Graphviz (<code>apt-get install graphviz</code>, or" in index
