"""Which derived facts depend on which: strongly connected groups, in dependency order.

A derived fact depends on the derived facts tested by the rules that derive it. The
encoding defines each group after the groups it depends on; a group that supports
itself (a positive cycle; a negative one is refused when loading) takes a least fixed
point.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..content.logic import fact_types
from ..content.rule_model import Rule


def tested_derived(rule: Rule, derived: set[str]) -> set[str]:
    """The derived fact types a rule's condition tests."""
    return fact_types(rule.when) & derived


def fact_groups(rules: Iterable[Rule], derived: set[str]) -> list[tuple[list[str], bool]]:
    """Derived fact types in strongly connected groups, each after those it depends on,
    with whether the group supports itself (several facts, or a fact deriving itself)."""
    edges: dict[str, set[str]] = {fact: set() for fact in sorted(derived)}
    for rule in rules:
        if rule.then.derive is not None and rule.then.derive.fact in edges:
            for tested in tested_derived(rule, derived):
                edges[rule.then.derive.fact].add(tested)
    return [
        (group, len(group) > 1 or group[0] in edges[group[0]])
        for group in _strongly_connected(edges)
    ]


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; groups come out dependencies first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                groups.append(sorted(group))
    return groups
