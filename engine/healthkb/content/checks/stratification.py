"""In which stratum each rule runs (negation is stratified).

A rule that tests for the absence of a derived fact must run only after every rule
that could derive that fact has run. Strata order that: a rule's stratum is at least
that of the facts it tests positively, and above that of the facts it tests negatively.
A cycle through negation has no such order and is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Problem
from ..located_items import Placed
from ..logic import Conjunction
from ..model import Vocabulary
from ..rule_model import Rule


@dataclass(frozen=True)
class Stratification:
    """Each active rule's stratum, or the negation cycles that forbid one."""

    strata: dict[str, int]
    problems: list[Problem]


def stratify_rules(
    rules: list[Placed[Rule]], dnf: dict[str, list[Conjunction]], vocabulary: Vocabulary
) -> Stratification:
    """Give each active rule its stratum, or report the negation cycles that forbid it.

    Which rules can fire at all is proved by `healthkb analyze` (`unreachable`)."""
    strata, cycle_problems = _stratify(rules, dnf, vocabulary)
    return Stratification(strata, cycle_problems)


def _dependencies(dnf: list[Conjunction], derived: set[str]) -> tuple[set[str], set[str]]:
    positive: set[str] = set()
    negative: set[str] = set()
    for conjunction in dnf:
        for literal in conjunction:
            fact_type = literal.comparison.fact_type
            if fact_type in derived:
                (negative if literal.negated else positive).add(fact_type)
    return positive, negative


def _stratify(
    rules: list[Placed[Rule]], dnf: dict[str, list[Conjunction]], vocabulary: Vocabulary
) -> tuple[dict[str, int], list[Problem]]:
    derived = set(vocabulary.derived)
    deps = {p.item.id: _dependencies(dnf[p.item.id], derived) for p in rules}
    producers: dict[str, list[str]] = {}
    derives: dict[str, set[str]] = {}  # by rule id (a set: stratified only without twins)
    for placed in rules:
        if placed.item.then.derive is not None:
            producers.setdefault(placed.item.then.derive.fact, []).append(placed.item.id)
            derives.setdefault(placed.item.id, set()).add(placed.item.then.derive.fact)
    strata = {placed.item.id: 0 for placed in rules}
    # Each fact's stratum (the highest of its producers'), kept until one of its
    # producers moves: a fact tested by many rules was worked out again for each.
    fact_strata: dict[str, int] = {}

    def fact_stratum(fact: str) -> int:
        level = fact_strata.get(fact)
        if level is None:
            level = fact_strata[fact] = max((strata[r] for r in producers.get(fact, [])), default=0)
        return level

    # A rule testing no derived fact stays in stratum 0: only the others can move.
    moving = [(rule_id, tested) for rule_id, tested in deps.items() if tested[0] or tested[1]]
    for _ in range(len(rules) + 1):
        changed = False
        for rule_id, (positive, negative) in moving:
            level = 0
            for fact in positive:
                level = max(level, fact_stratum(fact))
            for fact in negative:
                level = max(level, fact_stratum(fact) + 1)
            if level != strata[rule_id]:
                strata[rule_id] = level
                for fact in derives.get(rule_id, ()):
                    fact_strata.pop(fact, None)
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
