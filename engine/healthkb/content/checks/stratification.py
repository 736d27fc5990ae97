"""In which stratum each rule runs (negation is stratified).

A rule that tests for the absence of a derived fact must run only after every rule
that could derive that fact has run. Strata order that: a rule's stratum is at least
that of the facts it tests positively, and above that of the facts it tests negatively.
A cycle through negation has no such order and is an error.

Its fast paths, and why they give the same answer: docs/performance.md,
"Checking the files: one pass over the rules".
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Problem
from ..located_items import Placed
from ..logic import Conjunction
from ..model import Vocabulary
from ..rule_model import Rule
from .rule_conditions import Tested, tested_facts


@dataclass(frozen=True)
class Stratification:
    """Each active rule's stratum, or the negation cycles that forbid one."""

    strata: dict[str, int]
    problems: list[Problem]


def stratify_rules(
    rules: list[Placed[Rule]],
    dnf: dict[str, list[Conjunction]],
    vocabulary: Vocabulary,
    tested: dict[str, Tested] | None = None,
) -> Stratification:
    """Give each active rule its stratum, or report the negation cycles that forbid it.

    `tested`: the derived facts each rule's normal form tests, by id, when the caller
    has them (`RuleConditions.tested`); else they are read from `dnf`. Which rules can
    fire at all is proved by `healthkb analyze` (`unreachable`)."""
    if tested is None:
        derived = set(vocabulary.derived)
        tested = {}
        for placed in rules:
            found = tested_facts(dnf[placed.item.id], derived)
            if found is not None:
                tested[placed.item.id] = found
    strata, cycle_problems = _stratify(rules, tested)
    return Stratification(strata, cycle_problems)


def _stratify(
    rules: list[Placed[Rule]], tested: dict[str, Tested]
) -> tuple[dict[str, int], list[Problem]]:
    # Only the rules that test a derived fact can move (a rule testing none stays in
    # stratum 0), so only theirs are kept of the facts each rule derives.
    deps: dict[str, Tested] = {}
    producers: dict[str, list[str]] = {}
    derives: dict[str, set[str]] = {}  # by rule id (a set: stratified only without twins)
    strata: dict[str, int] = {}
    for placed in rules:
        rule_id = placed.item.id
        strata[rule_id] = 0
        derive = placed.item.then.derive
        if derive is not None:
            producers.setdefault(derive.fact, []).append(rule_id)
        if rule_id in tested:
            deps[rule_id] = tested[rule_id]
            if derive is not None:
                derives.setdefault(rule_id, set()).add(derive.fact)
    # Each fact's stratum (the highest of its producers'), kept until one of its
    # producers moves: a fact tested by many rules was worked out again for each.
    fact_strata: dict[str, int] = {}

    def fact_stratum(fact: str) -> int:
        level = fact_strata.get(fact)
        if level is None:
            level = fact_strata[fact] = max((strata[r] for r in producers.get(fact, [])), default=0)
        return level

    for _ in range(len(rules) + 1):
        changed = False
        for rule_id, (positive, negative) in deps.items():
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
    deps: dict[str, Tested],
    producers: dict[str, list[str]],
) -> list[Problem]:
    """One problem per rule whose negated test lies on a cycle of the dependency graph."""
    # Edges between derived facts: a fact a rule tests -> the fact that rule derives.
    edges: dict[str, set[str]] = {}
    for placed in rules:
        derive = placed.item.then.derive
        tested = deps.get(placed.item.id)
        if derive is None or tested is None:
            continue
        for fact in tested[0] | tested[1]:
            edges.setdefault(fact, set()).add(derive.fact)
    problems = []
    for placed in rules:
        derive = placed.item.then.derive
        tested = deps.get(placed.item.id)
        if derive is None or tested is None:
            continue
        for fact in sorted(tested[1]):
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
