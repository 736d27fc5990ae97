"""The meaning of a rule's conditions, shared by every step that needs it.

A `when` tree is normalised to disjunctive normal form: a rule fires when any of its
conjunctions holds. Negation is pushed down to single comparisons (De Morgan).

Inside one conjunction, every comparison on a fact type that the conjunction tests
positively is about the same fact: the positive ones must hold for it, the negated
ones must not. A negated comparison on a fact type the conjunction does not test
positively means "no fact of that type satisfies it" (negation as failure). A
comparison on a missing attribute is false, so its negation is true.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ..files.yaml_reader import PathKey
from .rule_model import AllCondition, AnyCondition, Comparison, Condition, NotCondition

MAX_CONJUNCTIONS = 64

FactValues = Mapping[str, Any]


@dataclass(frozen=True, init=False)
class Literal:
    comparison: Comparison
    negated: bool = False

    def __init__(self, comparison: Comparison, negated: bool = False) -> None:
        # What the frozen dataclass's own `__init__` does, written into the instance's
        # `__dict__` at once rather than through `object.__setattr__` field by field
        # (as `Placed` is made): loading makes one per comparison of every rule (20,000
        # for the generated 10,000-rule KB), and this takes 0.55x the time.
        fields = self.__dict__
        fields["comparison"] = comparison
        fields["negated"] = negated

    @property
    def fact_type(self) -> str:
        return self.comparison.fact_type


Conjunction = tuple[Literal, ...]


class TooComplex(ValueError):
    """A condition expands to more conjunctions than the engine accepts."""


def to_dnf(condition: Condition, negated: bool = False) -> list[Conjunction]:
    """The condition as a list of conjunctions of (possibly negated) comparisons."""
    if type(condition) is AllCondition and not negated:
        # The usual `when`, an `all:` of comparisons, tested first: one conjunction, as
        # the general case below makes it (a subclass goes the general way).
        literals = [Literal(c) for c in condition.all if type(c) is Comparison]
        if len(literals) == len(condition.all):
            return [tuple(literals)]
    if isinstance(condition, Comparison):
        return [(Literal(condition, negated),)]
    if isinstance(condition, NotCondition):
        return to_dnf(condition.not_, not negated)
    if isinstance(condition, AllCondition | AnyCondition):
        children = condition.all if isinstance(condition, AllCondition) else condition.any
        is_and = isinstance(condition, AllCondition) != negated
        if is_and:
            # The common `all:` of comparisons: one conjunction, as `_and` would make it.
            literals = [Literal(c, negated) for c in children if isinstance(c, Comparison)]
            if len(literals) == len(children):
                return [tuple(literals)]
        parts = [to_dnf(child, negated) for child in children]
        return _and(parts) if is_and else _or(parts)
    raise TypeError(f"unknown condition {condition!r}")


def _or(parts: list[list[Conjunction]]) -> list[Conjunction]:
    result = [c for part in parts for c in part]
    _check_size(result)
    return result


def _and(parts: list[list[Conjunction]]) -> list[Conjunction]:
    result: list[Conjunction] = [()]
    for part in parts:
        result = [left + right for left in result for right in part]
        _check_size(result)
    return result


def _check_size(conjunctions: list[Conjunction]) -> None:
    if len(conjunctions) > MAX_CONJUNCTIONS:
        raise TooComplex(
            f"the condition expands to more than {MAX_CONJUNCTIONS} alternatives; "
            "split the rule into several rules"
        )


def compare(comparison: Comparison, value: Any) -> bool:
    """Whether `value` (None when the attribute is missing) satisfies the comparison."""
    if value is None:
        return False
    op, expected = comparison.op, comparison.value
    if op == "eq":
        return _same(value, expected)
    if op == "ne":
        return not _same(value, expected)
    if op == "in":
        return any(_same(value, item) for item in expected)
    if op == "not_in":
        return not any(_same(value, item) for item in expected)
    if op == "contains":
        return isinstance(value, list) and expected in value
    if op == "contains_any":
        return isinstance(value, list) and any(item in value for item in expected)
    if not _is_number(value):
        return False
    if op == "lt":
        return bool(value < expected)
    if op == "le":
        return bool(value <= expected)
    if op == "gt":
        return bool(value > expected)
    if op == "ge":
        return bool(value >= expected)
    if op == "between":
        return bool(expected[0] <= value <= expected[1])
    raise ValueError(f"unknown operator {op}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: Any, right: Any) -> bool:
    # true == 1 in Python but not in the rules: a bool only equals a bool.
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    return bool(left == right)


def holds(conjunction: Conjunction, facts: Mapping[str, Iterable[FactValues]]) -> bool:
    """Whether a conjunction holds over facts grouped by type (several facts per type)."""
    return match(conjunction, facts) is not None


def match(
    conjunction: Conjunction, facts: Mapping[str, Iterable[FactValues]]
) -> dict[str, FactValues] | None:
    """The fact bound to each positively tested fact type, or None if the conjunction fails.

    When several facts could bind, the first in the given order is taken.
    """
    bound: dict[str, FactValues] = {}
    for fact_type, literals in bound_groups(conjunction).items():
        found = next(
            (
                fact
                for fact in facts.get(fact_type, ())
                if all(_literal_holds(lit, fact) for lit in literals)
            ),
            None,
        )
        if found is None:
            return None
        bound[fact_type] = found
    for literal in unbound_negations(conjunction):
        if any(
            compare(literal.comparison, fact.get(literal.comparison.attribute))
            for fact in facts.get(literal.fact_type, ())
        ):
            return None
    return bound


def _literal_holds(literal: Literal, fact: FactValues) -> bool:
    return compare(literal.comparison, fact.get(literal.comparison.attribute)) != literal.negated


def bound_groups(conjunction: Conjunction) -> dict[str, list[Literal]]:
    """Literals on each fact type the conjunction tests positively, in first-mention order.

    All literals of a group (positive and negated) are about the one fact bound to it.
    """
    positive = {lit.fact_type for lit in conjunction if not lit.negated}
    groups: dict[str, list[Literal]] = {}
    for literal in conjunction:
        if literal.fact_type in positive:
            groups.setdefault(literal.fact_type, []).append(literal)
    return groups


def unbound_negations(conjunction: Conjunction) -> list[Literal]:
    """Negated literals on fact types the conjunction never tests positively."""
    positive = {lit.fact_type for lit in conjunction if not lit.negated}
    return [lit for lit in conjunction if lit.negated and lit.fact_type not in positive]


def fact_types(condition: Condition) -> set[str]:
    """Every fact type a condition mentions."""
    if isinstance(condition, Comparison):
        return {condition.fact_type}
    if isinstance(condition, NotCondition):
        return fact_types(condition.not_)
    children = condition.all if isinstance(condition, AllCondition) else condition.any
    return set().union(*(fact_types(child) for child in children))


def comparisons(condition: Condition) -> list[Comparison]:
    """Every comparison in a condition, in writing order."""
    if isinstance(condition, Comparison):
        return [condition]
    if isinstance(condition, NotCondition):
        return comparisons(condition.not_)
    children = condition.all if isinstance(condition, AllCondition) else condition.any
    return [c for child in children for c in comparisons(child)]


def literal_text(literal: Literal) -> str:
    """A comparison as an editor would read it, e.g. `running.minutes_per_session gt 30`."""
    comparison = literal.comparison
    text = f"{comparison.fact} {comparison.op} {comparison.value}"
    return f"not ({text})" if literal.negated else text


# The paths below a rule of the comparisons of a `when: all:` (of up to 16), made once
# for every rule (`zip` takes as many as there are comparisons).
WHEN_ALL_PATHS = tuple(("when", "all", i) for i in range(16))


def walk_when(condition: Condition) -> list[tuple[Comparison, PathKey]]:
    """`list(walk_comparisons(condition, ("when",)))`: a rule's comparisons with their
    paths below it. The usual `when`, an `all:` of comparisons, is paired with paths
    made once, without a generator (a subclass goes the general way)."""
    if type(condition) is AllCondition and len(condition.all) <= len(WHEN_ALL_PATHS):
        for child in condition.all:
            if type(child) is not Comparison:
                break
        else:
            comparisons = cast(list[Comparison], condition.all)  # each one checked above
            return list(zip(comparisons, WHEN_ALL_PATHS, strict=False))
    return list(walk_comparisons(condition, ("when",)))


def walk_comparisons(condition: Condition, path: PathKey) -> Iterator[tuple[Comparison, PathKey]]:
    """Every comparison of a `when` tree with its YAML path."""
    if isinstance(condition, Comparison):
        yield condition, path
    elif isinstance(condition, NotCondition):
        yield from walk_comparisons(condition.not_, (*path, "not"))
    elif isinstance(condition, AllCondition):
        yield from _walk_children(condition.all, (*path, "all"))
    elif isinstance(condition, AnyCondition):
        yield from _walk_children(condition.any, (*path, "any"))


def _walk_children(
    children: list[Condition], path: PathKey
) -> Iterator[tuple[Comparison, PathKey]]:
    for i, child in enumerate(children):
        # A comparison is yielded here, not through a generator of its own.
        if isinstance(child, Comparison):
            yield child, (*path, i)
        else:
            yield from walk_comparisons(child, (*path, i))
