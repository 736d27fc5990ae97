"""Which rules can ever fire, and in which stratum each runs (negation is stratified).

A rule that tests for the absence of a derived fact must run only after every rule
that could derive that fact has run. Strata order that: a rule's stratum is at least
that of the facts it tests positively, and above that of the facts it tests negatively.
A cycle through negation has no such order and is an error.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from .logic import Conjunction, compare
from .model import Attribute, FactType, Vocabulary
from .placed import Placed
from .rule_model import Rule


@dataclass(frozen=True)
class Analysis:
    strata: dict[str, int]
    problems: list[Problem]


def analyse(
    rules: list[Placed[Rule]], dnf: dict[str, list[Conjunction]], vocabulary: Vocabulary
) -> Analysis:
    """Check active rules for fire-ability and stratification; give each its stratum."""
    problems = _never_firing(rules, dnf, vocabulary)
    strata, cycle_problems = _stratify(rules, dnf, vocabulary)
    return Analysis(strata, problems + cycle_problems)


def _derivable(rules: Iterable[Rule], vocabulary: Vocabulary) -> dict[tuple[str, str], list[Any]]:
    """Values each derived fact's attributes can take, from the rules that derive them."""
    values: dict[tuple[str, str], list[Any]] = {}
    for rule in rules:
        derive = rule.then.derive
        if derive is None or derive.fact not in vocabulary.derived:
            continue
        for attribute in vocabulary.derived[derive.fact].attributes:
            slot = values.setdefault((derive.fact, attribute), [])
            if attribute in derive.values and derive.values[attribute] not in slot:
                slot.append(derive.values[attribute])
    return values


def _candidates(spec: Attribute, thresholds: list[Any]) -> list[Any]:
    """A few values that together exercise every comparison against `thresholds`."""
    if spec.type == "bool":
        return [True, False]
    if spec.type == "enum":
        return list(spec.values or [])
    if spec.type == "list":
        return [list(spec.values or [])]
    points = set()
    for t in thresholds:
        if spec.type == "integer":
            points.update({t - 1, t, t + 1})
        else:
            # The numbers right next to t: a fixed step such as 1e-6 vanishes into the
            # rounding of a large t (1e15 - 1e-6 == 1e15), and `lt: 1e15` looked unmeetable.
            points.update({math.nextafter(t, -math.inf), t, math.nextafter(t, math.inf)})
    if spec.min is not None:
        points.add(spec.min)
    if spec.max is not None:
        points.add(spec.max)
    if not points:
        points.add(0)
    return sorted(
        p
        for p in points
        if (spec.min is None or p >= spec.min) and (spec.max is None or p <= spec.max)
    )


def _conjunction_failure(
    conjunction: Conjunction,
    facts: dict[str, FactType],
    derivable: dict[tuple[str, str], list[Any]],
    derived_names: set[str],
) -> str:
    """Why a conjunction can never hold, or '' if it might."""
    by_attribute: dict[tuple[str, str], list[Any]] = {}
    for literal in conjunction:
        if not literal.negated:
            c = literal.comparison
            by_attribute.setdefault((c.fact_type, c.attribute), []).append(c)
    for (fact_type, attribute), tests in by_attribute.items():
        fact = facts.get(fact_type)
        spec = fact.attributes.get(attribute) if fact else None
        if spec is None:
            return f"`{fact_type}.{attribute}` is not declared"
        if fact_type in derived_names:
            if (fact_type, attribute) not in derivable:
                return f"no active rule derives `{fact_type}`"
            candidates = derivable[(fact_type, attribute)]
        else:
            thresholds = [
                v for t in tests for v in (t.value if isinstance(t.value, list) else [t.value])
            ]
            candidates = _candidates(spec, thresholds)
        if not any(all(compare(t, value) for t in tests) for value in candidates):
            described = " and ".join(f"{t.op} {t.value}" for t in tests)
            return f"no value of `{fact_type}.{attribute}` can be {described}"
    return ""


def _never_firing(
    rules: list[Placed[Rule]], dnf: dict[str, list[Conjunction]], vocabulary: Vocabulary
) -> list[Problem]:
    facts = {**vocabulary.input, **vocabulary.derived, **vocabulary.background}
    derived_names = set(vocabulary.derived)
    alive = {placed.item.id: placed for placed in rules}
    reasons: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        derivable = _derivable((p.item for p in alive.values()), vocabulary)
        for rule_id in list(alive):
            failures = [
                _conjunction_failure(c, facts, derivable, derived_names) for c in dnf[rule_id]
            ]
            if all(failures):
                reasons[rule_id] = failures[0]
                del alive[rule_id]
                changed = True
    by_id = {p.item.id: p for p in rules}
    return [
        by_id[rule_id].problem(
            "never-fires",
            f"rule `{rule_id}` can never fire: {reason}",
            "fix the condition, or mark the rule `draft` until it can fire",
            "when",
        )
        for rule_id, reason in sorted(reasons.items())
    ]


def _dependencies(
    rule: Rule, dnf: list[Conjunction], derived: set[str]
) -> tuple[set[str], set[str]]:
    positive = {lit.fact_type for c in dnf for lit in c if not lit.negated} & derived
    negative = {lit.fact_type for c in dnf for lit in c if lit.negated} & derived
    return positive, negative


def _stratify(
    rules: list[Placed[Rule]], dnf: dict[str, list[Conjunction]], vocabulary: Vocabulary
) -> tuple[dict[str, int], list[Problem]]:
    derived = set(vocabulary.derived)
    deps = {p.item.id: _dependencies(p.item, dnf[p.item.id], derived) for p in rules}
    producers: dict[str, list[str]] = {}
    for placed in rules:
        if placed.item.then.derive is not None:
            producers.setdefault(placed.item.then.derive.fact, []).append(placed.item.id)
    strata = {placed.item.id: 0 for placed in rules}

    def fact_stratum(fact: str) -> int:
        return max((strata[r] for r in producers.get(fact, [])), default=0)

    for _ in range(len(rules) + 1):
        changed = False
        for rule_id, (positive, negative) in deps.items():
            level = max(
                [fact_stratum(f) for f in positive] + [fact_stratum(f) + 1 for f in negative] + [0]
            )
            if level != strata[rule_id]:
                strata[rule_id] = level
                changed = True
        if not changed:
            return strata, []
    return strata, _negation_cycles(rules, deps, producers)


def _negation_cycles(
    rules: list[Placed[Rule]],
    deps: dict[str, tuple[set[str], set[str]]],
    producers: dict[str, list[str]],
) -> list[Problem]:
    """One problem per rule whose negated test lies on a cycle of the dependency graph."""
    # Edges between derived facts: a fact a rule tests -> the fact that rule derives.
    edges: dict[str, set[str]] = {}
    for placed in rules:
        derive = placed.item.then.derive
        if derive is None:
            continue
        positive, negative = deps[placed.item.id]
        for fact in positive | negative:
            edges.setdefault(fact, set()).add(derive.fact)
    problems = []
    for placed in rules:
        derive = placed.item.then.derive
        if derive is None:
            continue
        for fact in sorted(deps[placed.item.id][1]):
            if _reaches(edges, derive.fact, fact):
                problems.append(
                    placed.problem(
                        "negation-cycle",
                        f"rule `{placed.item.id}` derives `{derive.fact}` from the absence of "
                        f"`{fact}`, but `{fact}` itself depends on `{derive.fact}`",
                        "break the cycle: a fact cannot depend on its own absence",
                        "when",
                    )
                )
    return problems


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in edges.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False
