"""Explanations reach the input facts and the quoted passages; why-not names what failed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import healthkb
from conftest import ROOT, SOURCE_ID

MEETS = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def rules_in(tree: dict[str, Any]) -> list[tuple[str, int]]:
    return [(n["id"], n["version"]) for n in walk(tree) if "title" in n and "version" in n]


def test_proof_of_fat_decrease_goes_down_the_whole_chain_to_the_inputs(kb) -> None:
    tree = kb.evaluate(MEETS).explain("thigh_buttock_fat_may_decrease").to_dict()
    assert rules_in(tree) == [
        ("fat_may_decrease", 1),
        ("calorie_deficit", 1),
        ("running_load_adequate", 1),
        ("diet_controlled", 1),
    ]
    inputs = {
        (n["fact"], json.dumps(n["seen"]))
        for n in walk(tree)
        if n.get("origin") == "input" and "op" in n
    }
    assert inputs == {
        ("running.intensity", '"high"'),
        ("running.sessions_per_week", "4"),
        ("running.minutes_per_session", "45.0"),
        ("diet.low_calorie", "true"),
        ("diet.nutrient_rich", "true"),
        ("diet.limits_high_fat_high_sugar", "true"),
        ("diet.frequent_high_calorie_foods", "null"),
    }
    assert tree["kb"] == {"id": kb.id, "version": kb.version, "digest": kb.digest}


def test_every_citation_in_a_proof_is_the_verbatim_passage_at_its_offsets(kb) -> None:
    text = kb.content.sources[SOURCE_ID].text
    tree = kb.evaluate(MEETS).explain("thigh_buttock_fat_may_decrease").to_dict()
    citations = [n for n in walk(tree) if "quote" in n]
    assert len(citations) >= 6
    for citation in citations:
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert citation["sentence"].startswith(citation["paragraph"] + ".s")
    anchors = {c["sentence"] for c in citations}
    assert {"p5.s1", "p7.s1", "p7.s2"} <= anchors


def test_explanation_text_shows_rule_conditions_and_anchored_quotes(kb) -> None:
    text = str(kb.evaluate(MEETS).explain("thigh_buttock_fat_may_decrease"))
    assert text.splitlines()[0] == (
        "conclusion thigh_buttock_fat_may_decrease (outcome, certainty possible)"
    )
    assert "rule running_load_adequate v1:" in text
    assert "condition running.minutes_per_session gt 30: holds, seen 45.0 (input)" in text
    assert "p7.s1 [841:954]: “If running is performed at a moderate to high intensity" in text
    assert 'interpretation: "3–5 times per week" includes 3 and 5' in text


def test_background_facts_are_explained_by_their_own_citation(kb) -> None:
    result = kb.evaluate({"goals": {"target_areas": ["thighs"]}})
    tree = result.explain("fat_loss_is_whole_body").to_dict()
    support = next(n["support"] for n in walk(tree) if n.get("origin") == "background")
    assert support["fact"] == "fat_loss"
    assert support["citations"][0]["quote"] == "Fat loss is a whole-body process"


def test_explanations_are_json_ready(kb) -> None:
    result = kb.evaluate({**MEETS, "symptoms": {"physical_discomfort": True}})
    for conclusion in result.conclusion_ids:
        json.dumps(result.explain(conclusion).to_dict())
        json.dumps(result.why_not(conclusion).to_dict())


def test_why_not_names_the_failing_condition_the_value_seen_and_the_passage(kb) -> None:
    profile = {**MEETS, "running": {**MEETS["running"], "minutes_per_session": 30}}
    tree = kb.evaluate(profile).why_not("thigh_buttock_fat_may_decrease").to_dict()
    assert tree["concluded"] is False
    failed = [n for n in walk(tree) if n.get("reason") == "value does not match"]
    assert [(n["fact"], n["op"], n["value"], n["seen"]) for n in failed] == [
        ("running.minutes_per_session", "gt", 30, 30.0)
    ]
    adequate = next(n for n in walk(tree) if n.get("id") == "running_load_adequate")
    assert "more than 30 minutes" in adequate["citations"][0]["quote"]
    text = str(kb.evaluate(profile).why_not("thigh_buttock_fat_may_decrease"))
    assert (
        "condition running.minutes_per_session gt 30 failed: value does not match, seen 30.0"
        in text
    )


def test_why_not_names_every_failing_condition_of_every_rule_on_the_path(kb) -> None:
    # The example runs low, 2 sessions of 15 minutes, and eats high-calorie foods: every
    # one of those stands between it and the conclusion, not only the first.
    result = kb.evaluate_file(ROOT / "kb" / "examples" / "fails_conditions.yaml")
    tree = result.why_not("thigh_buttock_fat_may_decrease").to_dict()
    failed = [
        (n["fact"], n["seen"]) for n in walk(tree) if n.get("reason") == "value does not match"
    ]
    assert failed == [
        ("running.intensity", "low"),
        ("running.sessions_per_week", 2),
        ("running.minutes_per_session", 15.0),
        ("diet.low_calorie", False),
        ("diet.nutrient_rich", False),
        ("diet.limits_high_fat_high_sugar", False),
    ]
    negated = [n["not"] for n in walk(tree) if n.get("reason") == "the negated condition holds"]
    assert negated == ["diet.frequent_high_calorie_foods eq True"]
    groups = [n for n in walk(tree) if "all" in n]
    assert [len(n["all"]) for n in groups] == [2, 3, 4]
    text = str(result.why_not("thigh_buttock_fat_may_decrease"))
    assert text.count("these conditions fail (all of them must hold):") == 3
    assert "condition running.sessions_per_week between [3, 5] failed: value does not match" in text
    assert "condition diet.nutrient_rich eq true failed: value does not match, seen false" in text


def test_why_not_of_one_failing_condition_keeps_the_condition_node(kb) -> None:
    # Only the minutes fail: the rule's `failed` is that comparison, as it always was.
    profile = {**MEETS, "running": {**MEETS["running"], "minutes_per_session": 30}}
    node = kb.evaluate(profile).rule_why_not("running_load_adequate")
    assert node["failed"] == {
        "fact": "running.minutes_per_session",
        "op": "gt",
        "value": 30,
        "seen": 30.0,
        "reason": "value does not match",
    }


def test_why_not_reports_a_missing_fact_as_missing(kb) -> None:
    tree = kb.evaluate({}).why_not("stop_and_rest").to_dict()
    assert tree["rules"][0]["failed"] == {
        "fact": "symptoms.physical_discomfort",
        "op": "eq",
        "value": True,
        "seen": None,
        "reason": "missing",
    }


def test_why_not_of_a_reached_conclusion_says_it_was_reached(kb) -> None:
    result = kb.evaluate({"symptoms": {"physical_discomfort": True}})
    assert result.why_not("stop_and_rest").to_dict()["concluded"] is True
    assert str(result.why_not("stop_and_rest")).endswith("was reached; use explain to see why")


def test_explaining_an_unknown_or_unreached_conclusion_is_a_clear_error(kb) -> None:
    result = kb.evaluate({})
    with pytest.raises(healthkb.UnknownConclusionError, match="did you mean `stop_and_rest`"):
        result.explain("stop_and_rst")
    with pytest.raises(healthkb.UnknownConclusionError, match="was not concluded"):
        result.explain("stop_and_rest")
    with pytest.raises(KeyError):
        result.why_not("nothing_like_it")


def test_rule_why_not_names_an_unknown_rule_with_a_hint() -> None:
    result = healthkb.load().evaluate({"symptoms": {"physical_discomfort": True}})
    assert result.rule_why_not("stop_on_discomfort")["failed"] is None
    with pytest.raises(
        healthkb.HealthKBError, match=r"unknown rule `stop_on_discomfor`.*did you mean"
    ):
        result.rule_why_not("stop_on_discomfor")
