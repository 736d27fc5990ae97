"""Each rule's `when`, read once for every check across files that goes through it.

Loading checks the names a rule's comparisons use, their references, their numbers, the
rule's normal form and its stratum. Each check went over every rule in turn, and on a
10,000-rule KB most of each pass was fetching the same objects again; loading now goes
over the rules once (`loading/checking.py`), and `RuleConditions.add` reads each rule's
`when` for all of them: its comparisons with their paths, its normal form (or why it has
none), and the derived facts the normal form tests, positively and negatively (what its
stratum depends on).

The usual `when`, an `all:` of comparisons, is read in one loop over its comparisons;
any other goes through `walk_comparisons` and `to_dnf`, which give the same.

Its fast paths, and why they give the same answer: docs/performance.md,
"Checking the files: one pass over the rules".
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from ...errors import Problem
from ...files.yaml_reader import PathKey
from ..located_items import Placed
from ..logic import WHEN_ALL_PATHS, Conjunction, Literal, TooComplex, to_dnf, walk_when
from ..rule_model import AllCondition, Comparison, Condition, Rule
from ..silence_model import Silence

# A rule's comparisons with their paths below it (`walk_when`).
Walked = list[tuple[Comparison, PathKey]]
# The derived facts a normal form tests, positively and negatively (read, never changed:
# the usual `when`'s are shared by the rules that test the same facts).
Tested = tuple[AbstractSet[str], AbstractSet[str]]


@dataclass
class RuleConditions:
    """What the checks need of each rule's `when`."""

    dnf: dict[str, list[Conjunction]] = field(default_factory=dict)
    """Each rule's normal form, by id (the last rule of an id, as a dict of them has)."""
    too_complex: list[Problem] = field(default_factory=list)
    """The rules whose normal form has too many conjunctions (not in `dnf`)."""
    tested: dict[str, Tested] = field(default_factory=dict)
    """The derived facts each rule's normal form tests, by id, for the rules that test
    any (a rule that tests none is in stratum 0); as `dnf`, the last rule of an id."""
    derived: set[str] = field(default_factory=set)
    """The fact types kb/facts.yaml derives."""
    _positive: dict[tuple[str, ...], Tested] = field(default_factory=dict)
    """What an `all:` of comparisons testing these derived facts tests, one for all the
    rules that test them (5,000 of the generated 10,000-rule KB's rules each made two
    sets of their own, kept until the strata were worked out)."""

    def add(self, rule: Placed[Rule]) -> Walked:
        """Read the `when` of the next rule (rules are added in the order read); its
        comparisons with their paths."""
        when, rule_id = rule.item.when, rule.item.id
        walked = self._all_of_comparisons(rule_id, when)
        if walked is not None:
            return walked
        walked = walk_when(when)
        try:
            dnf = to_dnf(when)
        except TooComplex as error:
            self.too_complex.append(rule.problem("too-complex", str(error), "", "when"))
            return walked
        self._keep(rule_id, dnf, tested_facts(dnf, self.derived))
        return walked

    def _all_of_comparisons(self, rule_id: str, when: Condition) -> Walked | None:
        """For an `all:` of comparisons: its walk, its one conjunction and the derived
        facts it tests (all positively) kept; None for any other `when`."""
        if type(when) is not AllCondition:
            return None
        children: list[Any] = when.all  # each a comparison, as checked below
        if len(children) > len(WHEN_ALL_PATHS):
            return None
        derived = self.derived
        facts: tuple[str, ...] = ()  # the derived facts tested, in order
        for child in children:
            if type(child) is not Comparison:
                return None
            if child.fact_type in derived:
                facts += (child.fact_type,)
        tested = None
        if facts:
            tested = self._positive.get(facts)
            if tested is None:
                tested = self._positive[facts] = (frozenset(facts), frozenset())
        self._keep(rule_id, [tuple(map(Literal, children))], tested)
        return list(zip(children, WHEN_ALL_PATHS, strict=False))

    def _keep(self, rule_id: str, dnf: list[Conjunction], tested: Tested | None) -> None:
        self.dnf[rule_id] = dnf
        if tested is not None:
            self.tested[rule_id] = tested
        elif rule_id in self.tested:  # as the last rule of this id says, as `dnf` does
            del self.tested[rule_id]


def tested_facts(dnf: list[Conjunction], derived: set[str]) -> Tested | None:
    """The derived facts the literals test, or None when they test none (most rules)."""
    tested: tuple[set[str], set[str]] | None = None
    for conjunction in dnf:
        for literal in conjunction:
            fact_type = literal.comparison.fact_type
            if fact_type in derived:
                if tested is None:
                    tested = (set(), set())
                tested[1 if literal.negated else 0].add(fact_type)
    return tested


def normalise(
    items: list[Placed[Rule]] | list[Placed[Silence]],
) -> tuple[dict[str, list[Conjunction]], list[Problem]]:
    """Each item's normal form by id, and a problem for each with too many conjunctions."""
    dnf: dict[str, list[Conjunction]] = {}
    problems = []
    for item in items:
        try:
            dnf[item.item.id] = to_dnf(item.item.when)
        except TooComplex as error:
            problems.append(item.problem("too-complex", str(error), "", "when"))
    return dnf, problems
