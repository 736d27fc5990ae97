"""Generated rules, every profile: the compiled durable_rules path agrees with the
plain-Python reference evaluator.

test_differential.py holds the engine to the reference on the seed KB's rules and
generated profiles. The compiler and the engine's start have fast paths of their own
(each shape of conjunction written once as a template, range tests put after the
others within a pattern so that durable_rules shares nodes, each kind of attribute's
schema built once): here the rules are generated too, over the tiny vocabulary of
tests/support/analysis_kbs.py, with every operator at and around the attributes'
bounds, nested under `all`, `any` and `not`, deriving facts other rules read; and each
KB is evaluated on all 384 profiles of that vocabulary, so every boundary is met.
"""

from __future__ import annotations

import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import assume, given
from hypothesis import strategies as st

import healthkb
from healthkb.content import reference_evaluator as reference
from support.analysis_kbs import every_tiny_profile, tiny_kb, tiny_rule
from support.fuzzing import budget
from support.generated_profiles import engine_view

STEPS = st.integers(0, 6)  # the bounds themselves: a value beyond them is refused
MOODS = ["low", "fair", "high"]


def _inline(value: Any) -> str:
    return json.dumps(value)


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    """One comparison of an input, derived or background fact."""
    kind = draw(st.sampled_from(["steps", "steps", "steps", "tired", "mood", "places", "derived"]))
    if kind == "steps":
        op = draw(st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"]))
        if op == "between":
            low, high = sorted([draw(STEPS), draw(STEPS)])
            value: Any = [low, high]
        elif op in ("in", "not_in"):
            value = draw(st.lists(STEPS, min_size=1, max_size=3, unique=True))
        else:
            value = draw(STEPS)
        return f"{{fact: day.steps, {op}: {_inline(value)}}}"
    if kind == "tired":
        op = draw(st.sampled_from(["eq", "ne"]))
        return f"{{fact: day.tired, {op}: {_inline(draw(st.booleans()))}}}"
    if kind == "mood":
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
        if op in ("in", "not_in"):
            value = draw(st.lists(st.sampled_from(MOODS), min_size=1, max_size=2, unique=True))
        else:
            value = draw(st.sampled_from(MOODS))
        return f"{{fact: day.mood, {op}: {_inline(value)}}}"
    if kind == "places":
        op = draw(st.sampled_from(["contains", "contains_any"]))
        if op == "contains":
            return f"{{fact: day.places, contains: {draw(st.sampled_from(['park', 'hill']))}}}"
        value = draw(st.lists(st.sampled_from(["park", "hill"]), min_size=1, unique=True))
        return f"{{fact: day.places, contains_any: {_inline(value)}}}"
    return draw(
        st.sampled_from(
            [
                "{fact: load.level, eq: light}",
                "{fact: load.level, eq: heavy}",
                "{fact: load.level, ne: light}",
                "{fact: rest.needed, eq: true}",
                "{fact: walking.helps, eq: true}",
            ]
        )
    )


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> str:
    """A comparison, or `all`/`any` of two or three conditions, or `not` of one."""
    if depth >= 2 or draw(st.integers(0, 2)) == 0:
        return draw(comparisons())
    group = draw(st.sampled_from(["all", "all", "any", "not"]))
    if group == "not":
        return f"{{not: {draw(conditions(depth + 1))}}}"
    parts = [draw(conditions(depth + 1)) for _ in range(draw(st.integers(2, 3)))]
    return f"{{{group}: [{', '.join(parts)}]}}"


THENS = [
    "{conclude: may_help}",
    "{conclude: may_not_help}",
    "{conclude: rest}",
    "{derive: {fact: load, values: {level: light}}}",
    "{derive: {fact: load, values: {level: heavy}}}",
    "{derive: {fact: rest, values: {needed: true}}}",
]


@budget(40)
@given(st.lists(st.tuples(conditions(), st.sampled_from(THENS)), min_size=1, max_size=6))
def test_generated_rules_agree_with_the_reference_evaluator_on_every_profile(
    rules: list[tuple[str, str]],
) -> None:
    written = [tiny_rule(f"r{n}", when, then) for n, (when, then) in enumerate(rules)]
    with TemporaryDirectory() as folder:
        try:
            kb = healthkb.load(tiny_kb(Path(folder), written))
        except healthkb.KBError:
            assume(False)  # a cycle, a conflict the checks refuse: not this test's matter
            raise
    for profile in every_tiny_profile():
        result = kb.evaluate(profile)
        expected = reference.evaluate(kb.content, result.profile)
        assert engine_view(result) == expected, (profile, rules)
