"""The durable_rules path and the plain-Python reference evaluator always agree."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import healthkb
from healthkb.content import reference_evaluator as reference
from support.generated_profiles import engine_view, profiles


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles())
def test_engine_agrees_with_reference_evaluator_on_generated_profiles(
    kb: healthkb.KnowledgeBase, profile: dict
) -> None:
    result = kb.evaluate(profile)
    expected = reference.evaluate(kb.content, result.profile)
    assert engine_view(result) == expected
