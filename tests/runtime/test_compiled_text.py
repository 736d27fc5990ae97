"""compile.py writes each durable_rules rule straight as JSON text (no dicts encoded
again): the text is compact JSON of its definition, each operator compiles to the tests
durable_rules needs, and the tests the writer remembers for one literal are never given
to a literal whose values JSON writes differently (`1`, `1.0`, `true`, `"1"`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmarks.generated_kb import write_generated_kb

import healthkb
from healthkb.content.logic import Conjunction, Literal, bound_groups, unbound_negations
from healthkb.content.rule_model import Comparison, Rule
from healthkb.runtime.compile import Plan, compile_rules


def _compact(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))


def _check_texts(plan: Plan) -> None:
    for ruleset in plan.rulesets:
        assert ruleset.text == _compact(ruleset.text)
        assert ruleset.definition == {
            name: {**rule, "run": name} for name, rule in json.loads(ruleset.text).items()
        }


def test_every_ruleset_of_the_seed_kb_is_compact_json(kb: healthkb.KnowledgeBase) -> None:
    _check_texts(kb.plan)


def test_every_ruleset_of_a_generated_kb_is_compact_json(tmp_path: Path) -> None:
    _check_texts(healthkb.load(write_generated_kb(tmp_path / "kb", 300)).plan)


def _plan(kb: healthkb.KnowledgeBase, conjunctions: list[Conjunction]) -> Plan:
    """One rule per conjunction (borrowing a seed rule's `then`), compiled together."""
    borrowed = kb.content.active_rules()[0]
    rules: list[Rule] = [
        borrowed.model_copy(update={"id": f"r{i:03}"}) for i in range(len(conjunctions))
    ]
    dnf = {rule.id: [conjunction] for rule, conjunction in zip(rules, conjunctions, strict=True)}
    return compile_rules(rules, dnf, {rule.id: 1 for rule in rules}, "test")


def _comparison(op: str, value: Any, attribute: str = "a") -> Comparison:
    return Comparison.model_validate({"fact": f"f.{attribute}", op: value})


# Each operator's tests inside the pattern of its fact, given and negated, as the
# compiler wrote them when it built dicts (the meaning is content/logic.py's).
OPERATORS: list[tuple[str, Any, bool, list[Any]]] = [
    ("eq", "high", False, [{"a": "high"}]),
    ("eq", "high", True, [{"$or": [{"$nex": {"a": 1}}, {"$neq": {"a": "high"}}]}]),
    ("ne", 3, False, [{"$neq": {"a": 3}}]),
    ("ne", 3, True, [{"$or": [{"$nex": {"a": 1}}, {"a": 3}]}]),
    ("lt", 2.5, False, [{"$lt": {"a": 2.5}}]),
    ("lt", 2.5, True, [{"$or": [{"$nex": {"a": 1}}, {"$gte": {"a": 2.5}}]}]),
    ("le", 4, False, [{"$lte": {"a": 4}}]),
    ("le", 4, True, [{"$or": [{"$nex": {"a": 1}}, {"$gt": {"a": 4}}]}]),
    ("gt", 0, False, [{"$gt": {"a": 0}}]),
    ("gt", 0, True, [{"$or": [{"$nex": {"a": 1}}, {"$lte": {"a": 0}}]}]),
    ("ge", 1.0, False, [{"$gte": {"a": 1.0}}]),
    ("ge", 1.0, True, [{"$or": [{"$nex": {"a": 1}}, {"$lt": {"a": 1.0}}]}]),
    ("between", [1, 2.5], False, [{"$gte": {"a": 1}}, {"$lte": {"a": 2.5}}]),
    (
        "between",
        [1, 2.5],
        True,
        [{"$or": [{"$nex": {"a": 1}}, {"$or": [{"$lt": {"a": 1}}, {"$gt": {"a": 2.5}}]}]}],
    ),
    ("in", ["a", "b"], False, [{"$or": [{"a": "a"}, {"a": "b"}]}]),
    (
        "in",
        ["a", "b"],
        True,
        [{"$or": [{"$nex": {"a": 1}}, {"$and": [{"$neq": {"a": "a"}}, {"$neq": {"a": "b"}}]}]}],
    ),
    ("in", ["a"], False, [{"a": "a"}]),
    ("in", ["a"], True, [{"$or": [{"$nex": {"a": 1}}, {"$neq": {"a": "a"}}]}]),
    ("not_in", [1, 2], False, [{"$neq": {"a": 1}}, {"$neq": {"a": 2}}]),
    ("not_in", [1, 2], True, [{"$or": [{"$nex": {"a": 1}}, {"$or": [{"a": 1}, {"a": 2}]}]}]),
    ("not_in", [True], False, [{"$neq": {"a": True}}]),
    ("not_in", [True], True, [{"$or": [{"$nex": {"a": 1}}, {"a": True}]}]),
    ("contains", "thighs", False, [{"a~thighs": True}]),
    ("contains", "thighs", True, [{"$nex": {"a~thighs": 1}}]),
    ("contains_any", ["x", "y"], False, [{"$or": [{"a~x": True}, {"a~y": True}]}]),
    (
        "contains_any",
        ["x", "y"],
        True,
        [{"$and": [{"$nex": {"a~x": 1}}, {"$nex": {"a~y": 1}}]}],
    ),
    ("contains_any", ["x"], False, [{"a~x": True}]),
    ("contains_any", ["x"], True, [{"$and": [{"$nex": {"a~x": 1}}]}]),
]


@pytest.mark.parametrize(("op", "value", "negated", "tests"), OPERATORS)
def test_each_operator_compiles_to_its_durable_rules_tests(
    kb: healthkb.KnowledgeBase, op: str, value: Any, negated: bool, tests: list[Any]
) -> None:
    anchor = Literal(_comparison("eq", True, attribute="anchor"))
    plan = _plan(kb, [(anchor, Literal(_comparison(op, value), negated))])
    ((rule,),) = (ruleset.definition.values() for ruleset in plan.rulesets)
    pattern = rule["all"][0]["f0"]["$and"]
    assert pattern == [{"_fact": "f"}, {"anchor": True}, *tests]
    assert json.dumps(pattern[2:]) == json.dumps(tests)  # 1.0 stays 1.0, true stays true


def test_a_negation_on_an_unbound_fact_waits_for_its_gate_in_a_not_pattern(
    kb: healthkb.KnowledgeBase,
) -> None:
    given = Literal(_comparison("eq", "high", attribute="b"))
    absent = Literal(Comparison.model_validate({"fact": "g.c", "gt": 3}), negated=True)
    plan = _plan(kb, [(given, absent)])
    ((rule,),) = (ruleset.definition.values() for ruleset in plan.rulesets)
    assert rule["all"] == [
        {"f0": {"$and": [{"_fact": "f"}, {"b": "high"}]}},
        {"gate": {"$and": [{"_fact": "$gate"}, {"stratum": 1}]}},
        {"n0$not": {"$and": [{"_fact": "g"}, {"$gt": {"c": 3}}]}},
    ]


_scalars = (
    st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6)
)
_literals = st.tuples(
    st.sampled_from(["eq", "ne", "in", "not_in"]), _scalars, _scalars, st.booleans()
)


def _leaves(test: Any) -> list[Any]:
    """The values an attribute `a` is tested against, in order (not the `$nex` marks)."""
    if isinstance(test, list):
        return [leaf for item in test for leaf in _leaves(item)]
    if not isinstance(test, dict):
        return []
    return [
        leaf
        for key, value in test.items()
        if key != "$nex"
        for leaf in ([value] if key == "a" else _leaves(value))
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(_literals, min_size=1, max_size=12))
def test_literals_written_differently_in_json_never_share_their_tests(
    kb: healthkb.KnowledgeBase, drawn: list[tuple[str, Any, Any, bool]]
) -> None:
    conjunctions: list[Conjunction] = []
    expected = []
    for op, first, second, negated in drawn:
        value = [first, second] if op in ("in", "not_in") else first
        anchor = Literal(_comparison("eq", True, attribute="anchor"))
        conjunctions.append((anchor, Literal(_comparison(op, value), negated)))
        expected.append(value if isinstance(value, list) else [value])
    plan = _plan(kb, conjunctions)
    _check_texts(plan)
    rules = {name: rule for ruleset in plan.rulesets for name, rule in ruleset.definition.items()}
    for number, values in enumerate(expected):
        leaves = _leaves(rules[f"r{number:03}#0"]["all"][0]["f0"]["$and"][2:])
        assert [(type(v), v) for v in leaves] == [(type(v), v) for v in values]


_comparisons = st.builds(
    lambda fact, op, value: Comparison.model_validate({"fact": fact, op: value}),
    st.sampled_from(["f.a", "f.b", "g.a", "h.b"]),
    st.sampled_from(["eq", "ne", "gt"]),
    st.integers(0, 3),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(_comparisons, st.booleans()), min_size=1, max_size=5),
    st.integers(0, 3),
)
def test_patterns_follow_the_bound_groups_and_unbound_negations_of_content_logic(
    kb: healthkb.KnowledgeBase, drawn: list[tuple[Comparison, bool]], stratum: int
) -> None:
    """Each fact type tested positively is one pattern (f0, f1, ... in first-mention
    order, its negated literals inside it), the gate comes next when anything is negated,
    and each negation on another fact type is a `$not` pattern, as content/logic.py says."""
    conjunction = tuple(Literal(comparison, negated) for comparison, negated in drawn)
    borrowed = kb.content.active_rules()[0]
    plan = compile_rules([borrowed], {borrowed.id: [conjunction]}, {borrowed.id: stratum}, "t")
    ((rule,),) = (ruleset.definition.values() for ruleset in plan.rulesets)
    patterns = rule["all"]
    groups = bound_groups(conjunction)
    assert [next(iter(p)) for p in patterns[: len(groups)]] == [f"f{i}" for i in range(len(groups))]
    for pattern, (fact_type, literals) in zip(patterns, groups.items(), strict=False):
        (tests,) = pattern.values()
        assert tests["$and"][0] == {"_fact": fact_type}
        assert len(tests["$and"]) == 1 + sum(1 for _ in literals)  # one test per literal here
    rest = patterns[len(groups) :]
    if any(literal.negated for literal in conjunction) or not groups:
        assert rest[0] == {"gate": {"$and": [{"_fact": "$gate"}, {"stratum": stratum}]}}
        rest = rest[1:]
    negations = unbound_negations(conjunction)
    assert [next(iter(p)) for p in rest] == [f"n{i}$not" for i in range(len(negations))]
    for pattern, literal in zip(rest, negations, strict=True):
        (tests,) = pattern.values()
        assert tests["$and"][0] == {"_fact": literal.fact_type}
    assert plan.actions[f"{borrowed.id}#0"].aliases == {
        f"f{i}": fact_type for i, fact_type in enumerate(groups)
    }
