"""Why-not on a diamond chain (each step derivable by two rules) grows with the KB, not
with the number of paths through it: each rule is explained once, then named."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.benchmarks.diamond_kb import CONCLUSION, NOTHING_REACHED, write_diamond_kb

import healthkb
from healthkb.results.why_not import MAX_RULE_DEPTH, SHOWN_ABOVE
from support.fuzzing import run_cli
from support.why_not_trees import rule_nodes


@pytest.fixture(scope="module")
def deep_chain(tmp_path_factory: pytest.TempPathFactory) -> healthkb.KnowledgeBase:
    return healthkb.load(write_diamond_kb(tmp_path_factory.mktemp("diamond") / "kb", 40))


@pytest.mark.parametrize("steps", [14, 40])
def test_why_not_on_a_diamond_chain_explains_each_rule_once(tmp_path: Path, steps: int) -> None:
    # The search used to follow every path: 2^14 of them (seconds), 2^40 (for ever).
    kb = healthkb.load(write_diamond_kb(tmp_path / "kb", steps))
    tree = kb.evaluate(NOTHING_REACHED).why_not(CONCLUSION).to_dict()
    nodes = rule_nodes(tree)
    full = Counter(n["id"] for n in nodes if (n["failed"] or {}).get("see") is None)
    assert set(full) == set(kb.content.rules) and set(full.values()) == {1}
    # Each step's fact is needed by two rules: the second names the step's rules again.
    assert len(nodes) == 1 + 2 * steps + 2 * (steps - 1)
    assert len(json.dumps(tree)) < 2_000 * steps


def test_a_rule_named_again_points_at_where_it_is_shown(deep_chain) -> None:
    tree = deep_chain.evaluate(NOTHING_REACHED).why_not(CONCLUSION).to_dict()
    nodes = rule_nodes(tree)
    seen: set[str] = set()
    for node in nodes:
        failed = node["failed"]
        if failed.get("reason") == SHOWN_ABOVE:
            assert failed["see"] == node["id"] and node["id"] in seen
        seen.add(node["id"])


def test_explain_why_not_command_on_a_diamond_chain_prints_a_tree_the_size_of_the_kb(
    tmp_path: Path,
) -> None:
    root = write_diamond_kb(tmp_path / "kb", 40)
    profile = tmp_path / "p.yaml"
    profile.write_text("start: {go: false, level: 3}\n")
    argv = ["explain", str(profile), "--kb", str(root), "--conclusion", CONCLUSION, "--why-not"]
    code, out, _ = run_cli(argv)
    assert code == 0
    assert out.count(f"\n{' ' * 4}") > 0 and out.count("rule step_1_high ") == 2
    assert out.count(SHOWN_ABOVE) == 2 * 39


def test_a_chain_deeper_than_the_limit_stops_with_a_reason_not_a_recursion_error(
    tmp_path: Path,
) -> None:
    kb = healthkb.load(write_diamond_kb(tmp_path / "kb", MAX_RULE_DEPTH + 50))
    result = kb.evaluate(NOTHING_REACHED)
    why_not = result.why_not(CONCLUSION)
    nodes = rule_nodes(why_not.to_dict())
    stopped = [n for n in nodes if "not followed further" in (n["failed"] or {}).get("reason", "")]
    assert stopped and all(n["failed"]["see"] == n["id"] for n in stopped)
    assert "more than 100 rules deep" in str(why_not)
    # Where it stopped, the rule can be asked about by itself.
    assert result.rule_why_not(stopped[0]["id"])["failed"]["fact"].endswith(".reached")


NOT_AND_ANY = """\
rules:
  - id: rest_unless_walking_much
    version: 1
    title: Rest unless walking much
    status: active
    when:
      all:
        - not: {fact: walk.sessions, gt: 2}
        - any:
            - {fact: walk.tired, eq: true}
            - {fact: walking_load.level, eq: enough}
    then: {conclude: rest}
    because:
      - {source: mini, quote: "Rest when tired."}
  - id: rest_retired
    version: 1
    title: An old rule
    status: retired
    when: {fact: walk.tired, eq: true}
    then: {conclude: rest}
    because:
      - {source: mini, quote: "Rest when tired."}
"""


def test_why_not_names_a_negation_that_holds_every_failing_alternative_and_retired_rules(
    make_kb,
) -> None:
    kb = healthkb.load(make_kb({"rules/more.yaml": NOT_AND_ANY}))
    rules = {
        r["id"]: r
        for r in kb.evaluate({"walk": {"sessions": 4}}).why_not("rest").to_dict()["rules"]
    }
    assert rules["rest_retired"]["failed"] == {"reason": "the rule is retired, so it does not run"}
    assert rules["rest_unless_walking_much"]["failed"] == {
        "reason": "the negated condition holds",
        "not": "walk.sessions gt 2",
        "seen": {"walk.sessions": [4]},
    }
    rules = {
        r["id"]: r
        for r in kb.evaluate({"walk": {"sessions": 1}}).why_not("rest").to_dict()["rules"]
    }
    failed = rules["rest_unless_walking_much"]["failed"]
    assert failed["reason"] == "none of the alternatives holds"
    tired, load = failed["any"]
    assert (tired["fact"], tired["reason"]) == ("walk.tired", "missing")
    assert (load["fact"], load["reason"]) == (
        "walking_load.level",
        "no rule derived a matching fact",
    )
    assert [r["id"] for r in load["because"]] == ["enough_walking"]


def _rules(kb: healthkb.KnowledgeBase, profile: dict[str, Any]) -> dict[str, Any]:
    tree = kb.evaluate(profile).why_not("rest").to_dict()
    return {rule["id"]: rule for rule in tree["rules"]}
