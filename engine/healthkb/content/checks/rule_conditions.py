"""Each rule's `when`, read once for every check across files that goes through it.

Loading checks the names a rule's comparisons use, their references, their numbers, the
rule's normal form and its stratum: five passes over every comparison of every rule.
On a 10,000-rule KB each pass was mostly the fetching of the same objects again, so
one pass over the rules works out what the others need of each `when`: its comparisons
with their paths, its normal form (or why it has none), and which derived facts the
normal form tests, positively and negatively (what its stratum depends on).

The usual `when`, an `all:` of comparisons, is read in one loop over its comparisons;
any other goes through `walk_comparisons` and `to_dnf`, which give the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from ...errors import Problem
from ...files.yaml_reader import PathKey
from ..located_items import Placed
from ..logic import Conjunction, Literal, TooComplex, to_dnf, walk_when, when_all_paths
from ..rule_model import AllCondition, Comparison, Condition, Rule
from ..silence_model import Silence

# A rule's comparisons with their paths below it (`walk_when`).
Walked = list[tuple[Comparison, PathKey]]
# The derived facts a normal form tests, positively and negatively.
Tested = tuple[set[str], set[str]]


@dataclass
class RuleConditions:
    """What the checks need of each rule's `when`."""

    walks: list[Walked] = field(default_factory=list)
    """Each rule's comparisons with their paths, in the order of the rules."""
    dnf: dict[str, list[Conjunction]] = field(default_factory=dict)
    """Each rule's normal form, by id (the last rule of an id, as a dict of them has)."""
    too_complex: list[Problem] = field(default_factory=list)
    """The rules whose normal form has too many conjunctions (not in `dnf`)."""
    tested: dict[str, Tested] = field(default_factory=dict)
    """The derived facts each rule's normal form tests, by id, for the rules that test
    any (a rule that tests none is in stratum 0); as `dnf`, the last rule of an id."""

    @classmethod
    def of(cls, rules: list[Placed[Rule]], derived: set[str]) -> RuleConditions:
        """Read every rule's `when` (`derived`: the fact types kb/facts.yaml derives)."""
        conditions = cls()
        for rule in rules:
            when, rule_id = rule.item.when, rule.item.id
            read = _all_of_comparisons(when, derived)
            if read is not None:
                walked, dnf, tested = read
            else:
                walked, tested = walk_when(when), None
                try:
                    dnf = to_dnf(when)
                except TooComplex as error:
                    conditions.too_complex.append(
                        rule.problem("too-complex", str(error), "", "when")
                    )
                    conditions.walks.append(walked)
                    continue
                tested = tested_facts(dnf, derived)
            conditions.walks.append(walked)
            conditions.dnf[rule_id] = dnf
            if tested is not None:
                conditions.tested[rule_id] = tested
            else:
                conditions.tested.pop(rule_id, None)
        return conditions


def _all_of_comparisons(
    when: Condition, derived: set[str]
) -> tuple[Walked, list[Conjunction], Tested | None] | None:
    """For an `all:` of comparisons: its walk, its one conjunction, the derived facts it
    tests (all positively); None for any other `when`."""
    if type(when) is not AllCondition:
        return None
    paths = when_all_paths(len(when.all))
    if paths is None:
        return None
    literals = []
    tested: Tested | None = None
    for child in when.all:
        if type(child) is not Comparison:
            return None
        literals.append(Literal(child))
        if child.fact_type in derived:
            if tested is None:
                tested = (set(), set())
            tested[0].add(child.fact_type)
    comparisons = cast(list[Comparison], when.all)  # each one checked above
    return list(zip(comparisons, paths, strict=False)), [tuple(literals)], tested


def tested_facts(dnf: list[Conjunction], derived: set[str]) -> Tested | None:
    """The derived facts the literals test, or None when they test none (most rules)."""
    tested: Tested | None = None
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
