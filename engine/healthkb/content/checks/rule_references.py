"""The references of every rule, for loading: each distinct test and outcome checked once.

Whether a comparison names a declared fact and attribute with a fitting operator and
value depends only on what it tests (fact, operator and value, its type included) and
on the vocabulary; whether an outcome names a declared conclusion or derived fact with
fitting values, only on the outcome. Many rules share them (every rule of a group
testing `measure_0_state.state eq high`), so a test or outcome found right once is not
checked again for the next rule. One found wrong is checked, and reported, at every
rule that has it, as `cross_file.check_rule_references` reports it for one rule.
"""

from __future__ import annotations

from typing import Any

from ...errors import Problem
from ...files.yaml_reader import PathKey
from ..diagnostics.unloaded_items import Unloaded
from ..located_items import Placed
from ..model import Vocabulary
from ..rule_model import Comparison, Rule, Then
from .cross_file import all_facts, check_comparison, check_then
from .vocabulary_places import VocabularyPlaces


def check_all_rule_references(
    rules: list[Placed[Rule]],
    walks: list[list[tuple[Comparison, PathKey]]],
    vocabulary: Vocabulary,
    conclusions: set[str],
    unloaded: Unloaded,
    declared: VocabularyPlaces,
) -> list[Problem]:
    """`check_rule_references` of each rule in turn (`walks`: each rule's comparisons
    with their paths below it), the same problems in the same order."""
    facts = all_facts(vocabulary)
    right: set[tuple[Any, ...]] = set()
    problems: list[Problem] = []
    for rule, walked in zip(rules, walks, strict=True):
        for comparison, path in walked:
            key = ("when", comparison.fact, comparison.op, repr(comparison.value))
            if key in right:
                continue
            found = check_comparison(comparison, rule.child(comparison, *path), facts, declared)
            if found:
                problems += found
            else:
                right.add(key)
        then = rule.item.then
        key = _outcome_key(then)
        if key in right:
            continue
        found = check_then(rule.child(then, "then"), vocabulary, conclusions, unloaded)
        if found:
            problems += found
        else:
            right.add(key)
    return problems


def _outcome_key(then: Then) -> tuple[Any, ...]:
    if then.derive is None:
        return ("conclude", then.conclude)
    return ("derive", then.derive.fact, repr(then.derive.values))
