"""compile.py against the plain compiler of tests/support/reference_compile.py: the same
rulesets (the same JSON text, byte for byte, the same fact types and gates, in the same
order) and the same actions, on the seed KB, a generated one and random plans of rules
with several conjunctions, every operator given and negated, several fact types and
strata, and values JSON writes differently (`1`, `1.0`, `true`, `-0.0`, `"1"`, `1e-07`).

compile.py writes the frame of each shape of conjunction once (`_Shape`) and each
literal's tests once; that is what these compare with the rules written one by one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.benchmarks.generated_kb import write_generated_kb
from tests.support.reference_compile import reference_actions, reference_rulesets

import healthkb
from healthkb.content.logic import Conjunction, Literal
from healthkb.content.rule_model import Comparison, Derive, Rule, Then
from healthkb.runtime.compile import MAX_RULES_PER_RULESET, Plan, canonical_fact, compile_rules


def _same_as_reference(
    plan: Plan, rules: list[Rule], dnf: dict[str, list[Conjunction]], strata: dict[str, int]
) -> None:
    expected = reference_rulesets(rules, dnf, strata)
    made = [(r.text, r.fact_types, r.gates) for r in plan.rulesets]
    assert made == expected
    actions = {
        name: (
            a.rule_id,
            a.conjunction,
            a.aliases,
            a.places,
            a.conclusion,
            None if a.derive is None else a.derive[:2],
        )
        for name, a in plan.actions.items()
    }
    reference = reference_actions(rules, dnf, strata)
    assert actions == reference
    for name, action in plan.actions.items():
        assert repr(actions[name]) == repr(reference[name])  # 1, 1.0 and True told apart
        if action.derive is not None:
            fact_type, values, identity = action.derive
            assert identity == canonical_fact(fact_type, values)
    for ruleset in plan.rulesets:
        for fact_type in ruleset.fact_types:
            assert ruleset.name in plan.routes[fact_type]
        for gate in ruleset.gates:
            assert ruleset.name in plan.gate_routes[gate]


def test_the_seed_kb_compiles_as_the_reference_compiler_does(kb: healthkb.KnowledgeBase) -> None:
    content = kb.content
    _same_as_reference(kb.plan, content.active_rules(), content.dnf, content.strata)


def test_a_generated_kb_compiles_as_the_reference_compiler_does(tmp_path: Path) -> None:
    kb = healthkb.load(write_generated_kb(tmp_path / "kb", 300))
    content = kb.content
    _same_as_reference(kb.plan, content.active_rules(), content.dnf, content.strata)


def _comparison(fact: str, op: str, value: Any) -> Comparison:
    if "%" in fact:  # not an identifier: made without the checks, as compile.py may see
        return Comparison.model_construct(fact=fact, **{"in_" if op == "in" else op: value})
    return Comparison.model_validate({"fact": fact, op: value})


def _rules(
    kb: healthkb.KnowledgeBase, drawn: list[tuple[list[Conjunction], int, Then]]
) -> tuple[list[Rule], dict[str, list[Conjunction]], dict[str, int]]:
    borrowed = kb.content.active_rules()[0]
    rules, dnf, strata = [], {}, {}
    for number, (conjunctions, stratum, then) in enumerate(drawn):
        rule = borrowed.model_copy(update={"id": f"r{number:03}", "then": then})
        rules.append(rule)
        dnf[rule.id] = conjunctions
        strata[rule.id] = stratum
    return rules, dnf, strata


_scalars = (
    st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([1, 1.0, True, 0.0, -0.0, 1e-07, 10**20, 2.5])
    | st.sampled_from(["1", "high", 'a "quoted" word', "café", "50%", "x~y"])
)
_numbers = st.sampled_from([0, 1, 1.0, -0.0, 2.5, 1e-07, 10**20, -3])
_words = st.sampled_from(["thighs", "arms", "50%", "café"])
_tests = st.one_of(
    st.tuples(st.sampled_from(["eq", "ne"]), _scalars),
    st.tuples(st.sampled_from(["lt", "le", "gt", "ge"]), _numbers),
    st.tuples(st.just("between"), st.lists(_numbers, min_size=2, max_size=2).map(sorted)),
    st.tuples(st.sampled_from(["in", "not_in"]), st.lists(_scalars, min_size=1, max_size=3)),
    st.tuples(st.just("contains"), _words),
    st.tuples(st.just("contains_any"), st.lists(_words, min_size=1, max_size=3)),
)
_literals = st.builds(
    lambda fact, test, negated: Literal(_comparison(fact, *test), negated),
    st.sampled_from(["f.a", "f.b", "g.a", "h.c", "k%.a"]),
    _tests,
    st.booleans(),
)
_thens = st.one_of(
    st.sampled_from(["c1", "c2"]).map(lambda c: Then.model_construct(conclude=c)),
    st.builds(
        lambda fact, values: Then.model_construct(
            derive=Derive.model_construct(fact=fact, values=values)
        ),
        st.sampled_from(["d", "e"]),
        st.dictionaries(st.sampled_from(["x", "y"]), _scalars, max_size=2),
    ),
)
_rule_parts = st.tuples(
    st.lists(st.lists(_literals, min_size=1, max_size=4).map(tuple), min_size=1, max_size=12),
    st.integers(0, 3),
    _thens,
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_rule_parts, min_size=1, max_size=12))
def test_random_plans_compile_as_the_reference_compiler_does(
    kb: healthkb.KnowledgeBase, drawn: list[tuple[list[Conjunction], int, Then]]
) -> None:
    rules, dnf, strata = _rules(kb, drawn)
    _same_as_reference(compile_rules(rules, dnf, strata, "test"), rules, dnf, strata)


def test_a_large_group_is_cut_into_rulesets_as_the_reference_compiler_does(
    kb: healthkb.KnowledgeBase,
) -> None:
    """Rules connected through their fact types, more than a ruleset holds, in runs of
    rules on the same fact types that a cut falls inside of, and rules of more than ten
    conjunctions (whose names sort `r#10` before `r#2`)."""
    drawn = []
    for number in range(3 * MAX_RULES_PER_RULESET // 12 + 5):
        facts = ["f.a", "g.a"] if number % 3 else ["f.a"]
        conjunctions = [
            tuple(Literal(_comparison(fact, "gt", index)) for fact in facts) for index in range(12)
        ]
        drawn.append((conjunctions, number % 2, Then.model_construct(conclude="c")))
    rules, dnf, strata = _rules(kb, drawn)
    plan = compile_rules(rules, dnf, strata, "test")
    assert len(plan.rulesets) > 2
    _same_as_reference(plan, rules, dnf, strata)


def test_rules_deriving_values_python_finds_equal_keep_their_own_fact(
    kb: healthkb.KnowledgeBase,
) -> None:
    """`1`, `1.0`, `True`, `0`, `0.0`, `-0.0` and `False` are equal or hash alike in
    Python, and JSON writes each its own way: each rule derives its own fact."""
    values: list[Any] = [1, 1.0, True, 0, 0.0, -0.0, False, "1", [1], [True]]
    anchor = (Literal(_comparison("f.a", "eq", True)),)
    drawn = [
        (
            [anchor],
            0,
            Then.model_construct(derive=Derive.model_construct(fact="d", values={"x": v})),
        )
        for v in values
    ]
    rules, dnf, strata = _rules(kb, drawn)
    plan = compile_rules(rules, dnf, strata, "test")
    _same_as_reference(plan, rules, dnf, strata)
    identities = {action.derive[2] for action in plan.actions.values() if action.derive}
    assert len(identities) == len(values)
