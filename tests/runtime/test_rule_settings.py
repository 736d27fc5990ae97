"""compile.py writes durable_rules' default settings into each rule (`DEFAULT_SETTINGS`,
so that `create_ruleset` finds them before the rule's patterns): rulesets with them fire
the same rules, binding the same facts, in the same order, as the same rulesets without
them (issue 23)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from tests.benchmarks.generated_kb import group_profile, write_generated_kb

import healthkb
from healthkb.runtime.compile import DEFAULT_SETTINGS, Plan
from healthkb.runtime.engine import Engine
from support.generated_profiles import profiles


def _without_settings(plan: Plan) -> Plan:
    rulesets = tuple(
        dataclasses.replace(ruleset, text=ruleset.text.replace(DEFAULT_SETTINGS, ""))
        for ruleset in plan.rulesets
    )
    return dataclasses.replace(plan, rulesets=rulesets)


def _firings(kb: healthkb.KnowledgeBase, engine: Engine, profile: Any) -> Any:
    validated = kb.validate_profile(profile).model_dump(exclude_none=True)
    facts = [(name, values, "input") for name, values in validated.items()]
    background = [
        (name, dict(fact.values), "background")
        for name, fact in sorted(kb.content.vocabulary.background.items())
    ]
    trace = engine.run(facts + background)
    return trace.records, [(f.type, f.values, f.origin) for f in trace.facts]


def test_every_rule_holds_durable_rules_defaults_before_its_patterns(
    kb: healthkb.KnowledgeBase,
) -> None:
    for ruleset in kb.plan.rulesets:
        for rule in json.loads(ruleset.text).values():
            assert list(rule) == ["count", "pri", "dist", "all"]
            assert (rule["count"], rule["pri"], rule["dist"]) == (1, 0, 1)
    assert all(DEFAULT_SETTINGS not in r.text for r in _without_settings(kb.plan).rulesets)


@pytest.fixture(scope="module")
def engines(kb: healthkb.KnowledgeBase) -> tuple[Engine, Engine]:
    """The seed KB's rulesets with the settings and without them."""
    return Engine(kb.plan), Engine(_without_settings(kb.plan))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_the_seed_kb_fires_as_without_the_settings(
    kb: healthkb.KnowledgeBase, engines: tuple[Engine, Engine], profile: dict[str, Any]
) -> None:
    assert _firings(kb, engines[0], profile) == _firings(kb, engines[1], profile)


def test_a_generated_kb_fires_as_without_the_settings(tmp_path: Path) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", 300))
    with_settings, without = Engine(kb.plan), Engine(_without_settings(kb.plan))
    fired = 0
    for level in (0, 1, 3, 17, 50, 99, 100):
        for group in range(6):
            made = _firings(kb, with_settings, group_profile(group, level))
            assert made == _firings(kb, without, group_profile(group, level))
            fired += len(made[0])
    assert fired > 100
