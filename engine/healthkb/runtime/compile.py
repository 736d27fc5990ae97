"""Compiling validated rules into durable_rules ruleset definitions, partitioned.

Each conjunction of a rule's normal form becomes one durable_rules rule. Rules are
partitioned into rulesets by the fact types that connect them, because a
durable_rules ruleset holds at most ~4,096 rules and every fact asserted into it
costs time in proportion to its rule count. Each fact is then routed only to the
rulesets whose rules test its type.

Rules that test for the absence of something wait for a "gate" fact of their
stratum, asserted only once everything of lower strata has been derived; durable_rules
itself never retracts an action, so this ordering is what makes negation correct.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from ..content.logic import Conjunction, Literal, bound_groups, unbound_negations
from ..content.rule_model import Comparison, Rule

TYPE_KEY = "_fact"  # attribute names start with a letter, so this never collides
GATE_TYPE = "$gate"
MAX_RULES_PER_RULESET = 256

_OPERATOR = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte", "ne": "$neq"}
_name_counter = itertools.count(1)


@dataclass(frozen=True)
class CompiledRule:
    """What an action needs to know when durable_rules fires one conjunction of a rule."""

    rule_id: str
    conjunction: int
    aliases: dict[str, str]  # pattern alias -> fact type it binds


@dataclass(frozen=True)
class RulesetPlan:
    name: str
    definition: dict[str, Any]
    fact_types: frozenset[str]
    gates: frozenset[int]


@dataclass(frozen=True)
class Plan:
    """Everything the runtime needs: rulesets, routes for facts and gates, actions."""

    rulesets: tuple[RulesetPlan, ...]
    routes: dict[str, tuple[str, ...]]
    gate_routes: dict[int, tuple[str, ...]]
    actions: dict[str, CompiledRule]

    @property
    def strata(self) -> list[int]:
        return sorted(self.gate_routes)


def compile_rules(
    rules: list[Rule], dnf: dict[str, list[Conjunction]], strata: dict[str, int], label: str
) -> Plan:
    """Plan durable_rules rulesets for the active `rules`; names are unique per call."""
    entries: list[tuple[str, dict[str, Any], CompiledRule, frozenset[str], int | None]] = []
    for rule in sorted(rules, key=lambda r: r.id):
        for index, conjunction in enumerate(dnf[rule.id]):
            name = f"{rule.id}#{index}"
            gate = _gate_for(conjunction, strata[rule.id])
            definition, aliases = _durable_rule(conjunction, gate)
            types = frozenset(lit.fact_type for lit in conjunction)
            entries.append((name, definition, CompiledRule(rule.id, index, aliases), types, gate))

    prefix = f"healthkb-{label}-{next(_name_counter)}-{uuid.uuid4().hex[:8]}"
    by_name = {e[0]: e for e in entries}
    rulesets = []
    for number, group in enumerate(_partition([(e[0], e[3]) for e in entries])):
        members = [by_name[name] for name in group]
        rulesets.append(
            RulesetPlan(
                name=f"{prefix}-{number}",
                definition={e[0]: {**e[1], "run": e[0]} for e in members},
                fact_types=frozenset().union(*(e[3] for e in members)),
                gates=frozenset(e[4] for e in members if e[4] is not None),
            )
        )
    routes: dict[str, list[str]] = {}
    gate_routes: dict[int, list[str]] = {}
    for ruleset in rulesets:
        for fact_type in ruleset.fact_types:
            routes.setdefault(fact_type, []).append(ruleset.name)
        for gate in ruleset.gates:
            gate_routes.setdefault(gate, []).append(ruleset.name)
    return Plan(
        rulesets=tuple(rulesets),
        routes={k: tuple(v) for k, v in sorted(routes.items())},
        gate_routes={k: tuple(v) for k, v in sorted(gate_routes.items())},
        actions={e[0]: e[2] for e in entries},
    )


def _gate_for(conjunction: Conjunction, stratum: int) -> int | None:
    """The stratum gate a conjunction waits for, or None if it may fire at once.

    Any negation waits: input facts are asserted one by one, and a rule must not fire
    on the absence of a fact that simply has not been asserted yet.
    """
    has_negation = any(lit.negated for lit in conjunction)
    has_positive = any(not lit.negated for lit in conjunction)
    return stratum if has_negation or not has_positive else None


def _durable_rule(
    conjunction: Conjunction, gate: int | None
) -> tuple[dict[str, Any], dict[str, str]]:
    patterns: list[dict[str, Any]] = []
    aliases: dict[str, str] = {}
    for number, (fact_type, literals) in enumerate(bound_groups(conjunction).items()):
        alias = f"f{number}"
        aliases[alias] = fact_type
        patterns.append({alias: _pattern(fact_type, literals)})
    # A `$not` pattern only takes effect after a positive one, so the gate goes first.
    if gate is not None:
        patterns.append({"gate": {"$and": [{TYPE_KEY: GATE_TYPE}, {"stratum": gate}]}})
    # durable_rules' `$not` ignores a fact already bound by the same rule, so negations
    # on a bound fact type are tests inside its pattern (see content/logic.py for the meaning).
    for number, literal in enumerate(unbound_negations(conjunction)):
        positive = Literal(literal.comparison, negated=False)
        patterns.append({f"n{number}$not": _pattern(literal.fact_type, [positive])})
    return {"all": patterns}, aliases


def _pattern(fact_type: str, literals: list[Literal]) -> dict[str, Any]:
    tests: list[dict[str, Any]] = [{TYPE_KEY: fact_type}]
    for literal in literals:
        if literal.negated:
            tests.append(_negated_expression(literal.comparison))
        else:
            tests += _expressions(literal.comparison)
    return {"$and": tests}


def member_key(attribute: str, item: str) -> str:
    """The key under which a list item is asserted, so membership is a plain test.

    durable_rules' `$iall` never matches an empty list, so list membership is
    compiled to flags (`target_areas~thighs: true`) added when facts are asserted.
    """
    return f"{attribute}~{item}"


def _expressions(comparison: Comparison) -> list[dict[str, Any]]:
    """durable_rules tests for one comparison (a missing attribute never matches)."""
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
    if op == "contains_any":
        return [_any_of([{member_key(name, v): True} for v in value])]
    raise ValueError(f"unknown operator {op}")


_NEGATED_OPERATOR = {"lt": "$gte", "le": "$gt", "gt": "$lte", "ge": "$lt", "eq": "$neq"}


def _negated_expression(comparison: Comparison) -> dict[str, Any]:
    """A test that holds exactly when the comparison does not (missing attribute included)."""
    name, op, value = comparison.attribute, comparison.op, comparison.value
    missing = {"$nex": {name: 1}}
    if op == "contains":
        return {"$nex": {member_key(name, value): 1}}
    if op == "contains_any":
        return {"$and": [{"$nex": {member_key(name, v): 1}} for v in value]}
    if op in _NEGATED_OPERATOR:
        otherwise: dict[str, Any] = {_NEGATED_OPERATOR[op]: {name: value}}
    elif op == "ne":
        otherwise = {name: value}
    elif op == "between":
        otherwise = {"$or": [{"$lt": {name: value[0]}}, {"$gt": {name: value[1]}}]}
    elif op == "in":
        otherwise = _all_of([{"$neq": {name: v}} for v in value])
    elif op == "not_in":
        otherwise = _any_of([{name: v} for v in value])
    else:
        raise ValueError(f"unknown operator {op}")
    return {"$or": [missing, otherwise]}


def _all_of(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def _any_of(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return tests[0] if len(tests) == 1 else {"$or": tests}


def _partition(entries: list[tuple[str, frozenset[str]]]) -> list[list[str]]:
    """Group durable rules whose fact types connect; split groups that grow too large."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, types in entries:
        first, *rest = sorted(types)
        for other in rest:
            parent[find(other)] = find(first)
    components: dict[str, list[tuple[str, frozenset[str]]]] = {}
    for entry in entries:
        components.setdefault(find(min(entry[1])), []).append(entry)
    groups = []
    for root in sorted(components):
        members = sorted(components[root], key=lambda e: (sorted(e[1]), e[0]))
        for start in range(0, len(members), MAX_RULES_PER_RULESET):
            groups.append([name for name, _ in members[start : start + MAX_RULES_PER_RULESET]])
    return groups
