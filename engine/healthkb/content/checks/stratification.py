"""In which stratum each rule runs (negation is stratified).

A rule that tests for the absence of a derived fact must run only after every rule
that could derive that fact has run. Strata order that: a rule's stratum is at least
that of the facts it tests positively, and above that of the facts it tests negatively.
A cycle through negation has no such order and is an error.

Its fast paths, and why they give the same answer: docs/performance.md,
"Checking the files: one pass over the rules".
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class Movable:
    """What the strata need of the active rules, in the order read: their ids, the rules
    deriving each fact, and for the rules that test a derived fact (only they can move:
    a rule testing none stays in stratum 0) what they test and derive. Gathered a rule
    at a time (`add`), in loading's one pass over the rules, where each rule is at hand:
    a loop of its own over 10,000 rules took 7 ms, most of it fetching them again
    (docs/performance.md, "Checking the files: less made, less kept")."""

    ids: list[str] = field(default_factory=list)
    producers: dict[str, list[str]] = field(default_factory=dict)
    deps: dict[str, Tested] = field(default_factory=dict)
    derives: dict[str, set[str]] = field(default_factory=dict)
    """By rule id (a set: stratified only without twins)."""

    def add(self, rule_id: str, derived: str | None, tested: Tested | None) -> None:
        """The next active rule: its id, the fact it derives (None when it concludes) and
        the derived facts its normal form tests (`tested_facts`; None for none)."""
        self.ids.append(rule_id)
        if derived is not None:
            self.producers.setdefault(derived, []).append(rule_id)
        if tested is not None:
            self.deps[rule_id] = tested
            if derived is not None:
                self.derives.setdefault(rule_id, set()).add(derived)

    @classmethod
    def of(cls, rules: list[Placed[Rule]], tested: dict[str, Tested]) -> Movable:
        """For the active `rules`, with what each one's normal form tests, by id."""
        movable = cls()
        for placed in rules:
            derive = placed.item.then.derive
            rule_id = placed.item.id
            movable.add(rule_id, derive.fact if derive else None, tested.get(rule_id))
        return movable


def stratify_rules(
    rules: list[Placed[Rule]],
    dnf: dict[str, list[Conjunction]],
    vocabulary: Vocabulary,
    tested: dict[str, Tested] | None = None,
    movable: Movable | None = None,
) -> Stratification:
    """Give each active rule its stratum, or report the negation cycles that forbid it.

    `tested`: the derived facts each rule's normal form tests, by id, when the caller
    has them (`RuleConditions.tested`); else they are read from `dnf`. `movable`: what
    the strata need of `rules`, when the caller gathered it (then `tested` is not read).
    Which rules can fire at all is proved by `healthkb analyze` (`unreachable`)."""
    if movable is None:
        if tested is None:
            derived = set(vocabulary.derived)
            tested = {}
            for placed in rules:
                found = tested_facts(dnf[placed.item.id], derived)
                if found is not None:
                    tested[placed.item.id] = found
        movable = Movable.of(rules, tested)
    strata, cycle_problems = _stratify(rules, movable)
    return Stratification(strata, cycle_problems)


def _stratify(rules: list[Placed[Rule]], movable: Movable) -> tuple[dict[str, int], list[Problem]]:
    deps, producers, derives = movable.deps, movable.producers, movable.derives
    strata = dict.fromkeys(movable.ids, 0)
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
