"""The compiler of durable_rules rulesets written the plain way, as the reference that
engine/healthkb/runtime/compile.py's fast one is compared with (tests/runtime/
test_compile_differential.py): each rule built as dicts and written with `json.dumps`,
the rules partitioned by sorting every one of them, each action's facts worked out per
rule. It is what compile.py wrote at 59e0d10 (issue 23), before rules of one shape
shared their text's frame, in the simplest words, but for one change made since: in
a fact's pattern the tests of ranges come after the others (compile.py's `_RANGES`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from healthkb.content.logic import Conjunction, Literal
from healthkb.content.rule_model import Comparison, Rule
from healthkb.runtime.compile import GATE_TYPE, MAX_RULES_PER_RULESET, TYPE_KEY, member_key

_OPERATOR = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "ne": "$neq"}
_NEGATED = {"lt": "$gte", "le": "$gt", "gt": "$lte", "ge": "$lt", "eq": "$neq"}
RANGES = {"lt", "le", "gt", "ge", "between"}


@dataclass
class ReferenceRule:
    name: str
    definition: dict[str, Any]
    fact_types: tuple[str, ...]
    gate: int | None
    aliases: dict[str, str]
    places: tuple[int, ...] | None


def expressions(comparison: Comparison) -> list[Any]:
    name, op, value = comparison.attribute, comparison.op, comparison.value
    if op == "eq":
        return [{name: value}]
    if op in _OPERATOR:
        return [{_OPERATOR[op]: {name: value}}]
    if op == "between":
        return [{"$gte": {name: value[0]}}, {"$lte": {name: value[1]}}]
    if op == "in":
        return [_any_of([{name: v} for v in value])]
    if op == "not_in":
        return [{"$neq": {name: v}} for v in value]
    if op == "contains":
        return [{member_key(name, value): True}]
    assert op == "contains_any"
    return [_any_of([{member_key(name, v): True} for v in value])]


def negated_expression(comparison: Comparison) -> Any:
    name, op, value = comparison.attribute, comparison.op, comparison.value
    if op == "contains":
        return {"$nex": {member_key(name, value): 1}}
    if op == "contains_any":
        return {"$and": [{"$nex": {member_key(name, v): 1}} for v in value]}
    if op in _NEGATED:
        otherwise: Any = {_NEGATED[op]: {name: value}}
    elif op == "ne":
        otherwise = {name: value}
    elif op == "between":
        otherwise = {"$or": [{"$lt": {name: value[0]}}, {"$gt": {name: value[1]}}]}
    elif op == "in":
        otherwise = _all_of([{"$neq": {name: v}} for v in value])
    else:
        assert op == "not_in"
        otherwise = _any_of([{name: v} for v in value])
    return {"$or": [{"$nex": {name: 1}}, otherwise]}


def _all_of(tests: list[Any]) -> Any:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def _any_of(tests: list[Any]) -> Any:
    return tests[0] if len(tests) == 1 else {"$or": tests}


def reference_rule(name: str, conjunction: Conjunction, stratum: int) -> ReferenceRule:
    positive = {lit.comparison.fact_type for lit in conjunction if not lit.negated}
    bound: dict[str, list[Literal]] = {}
    unbound = []
    for literal in conjunction:
        comparison = literal.comparison
        if comparison.fact_type in positive:
            bound.setdefault(comparison.fact_type, []).append(literal)
        else:
            unbound.append(comparison)
    groups: dict[str, list[Any]] = {}
    for fact_type, literals in bound.items():
        # The tests of ranges after the others, each in the order of the rule.
        others = [lit for lit in literals if lit.comparison.op not in RANGES]
        ranges = [lit for lit in literals if lit.comparison.op in RANGES]
        groups[fact_type] = [
            test
            for lit in others + ranges
            for test in (
                [negated_expression(lit.comparison)] if lit.negated else expressions(lit.comparison)
            )
        ]
    gate = stratum if not positive or any(lit.negated for lit in conjunction) else None
    patterns: list[Any] = []
    aliases = {}
    for number, (fact_type, tests) in enumerate(groups.items()):
        aliases[f"f{number}"] = fact_type
        patterns.append({f"f{number}": {"$and": [{TYPE_KEY: fact_type}, *tests]}})
    if gate is not None:
        patterns.append({"gate": {"$and": [{TYPE_KEY: GATE_TYPE}, {"stratum": gate}]}})
    for number, comparison in enumerate(unbound):
        tests = [{TYPE_KEY: comparison.fact_type}, *expressions(comparison)]
        patterns.append({f"n{number}$not": {"$and": tests}})
    types = tuple(sorted(positive | {c.fact_type for c in unbound}))
    bound = list(aliases.values())
    places = None
    if len(bound) > 1 and bound != sorted(bound):
        places = tuple(sorted(range(len(bound)), key=bound.__getitem__))
    # durable_rules' defaults, written out (compile.py's DEFAULT_SETTINGS).
    definition = {"count": 1, "pri": 0, "dist": 1, "all": patterns}
    return ReferenceRule(name, definition, types, gate, aliases, places)


def reference_rulesets(
    rules: list[Rule], dnf: dict[str, list[Conjunction]], strata: dict[str, int]
) -> list[tuple[str, frozenset[str], frozenset[int]]]:
    """Each ruleset's JSON text, fact types and gates, in plan order."""
    entries = [
        reference_rule(f"{rule.id}#{index}", conjunction, strata[rule.id])
        for rule in sorted(rules, key=lambda r: r.id)
        for index, conjunction in enumerate(dnf[rule.id])
    ]
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for entry in entries:
        for other in entry.fact_types[1:]:
            root, joined = find(other), find(entry.fact_types[0])
            if root != joined:
                parent[root] = joined
    components: dict[str, list[ReferenceRule]] = {}
    for entry in entries:
        components.setdefault(find(entry.fact_types[0]), []).append(entry)
    rulesets = []
    for root in sorted(components):
        members = sorted(components[root], key=lambda e: (e.fact_types, e.name))
        for start in range(0, len(members), MAX_RULES_PER_RULESET):
            part = members[start : start + MAX_RULES_PER_RULESET]
            text = json.dumps(
                {e.name: e.definition for e in part}, ensure_ascii=False, separators=(",", ":")
            )
            types = frozenset(t for e in part for t in e.fact_types)
            gates = frozenset(e.gate for e in part if e.gate is not None)
            rulesets.append((text, types, gates))
    return rulesets


def reference_actions(
    rules: list[Rule], dnf: dict[str, list[Conjunction]], strata: dict[str, int]
) -> dict[str, tuple[Any, ...]]:
    """Each durable rule's rule id, conjunction, aliases, places, conclusion and derived
    fact (type and values), by name."""
    actions = {}
    for rule in rules:
        derive = rule.then.derive
        derived = None if derive is None else (derive.fact, dict(derive.values))
        for index, conjunction in enumerate(dnf[rule.id]):
            name = f"{rule.id}#{index}"
            made = reference_rule(name, conjunction, strata[rule.id])
            actions[name] = (
                rule.id,
                index,
                made.aliases,
                made.places,
                rule.then.conclude,
                derived,
            )
    return actions
