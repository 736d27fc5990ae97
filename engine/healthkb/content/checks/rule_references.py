"""The references of every rule, for loading: each distinct test and outcome checked once.

Whether a comparison on a declared attribute has a fitting operator and value depends
only on its operator and value (`repr`: its type included) and on what the attribute
allows (`cross_file.what_fits`: its type, values and bounds); whether an outcome names
a declared conclusion or derived fact with fitting values, only on the outcome. Many
rules share them (every rule of a group testing `measure_0_state.state eq high`, every
`level gt 10` on attributes of 0 to 100), so a test or outcome found right once is not
checked again for the next rule. One found wrong is checked, and reported, at every
rule that has it (`cross_file.check_comparison`, `cross_file.check_then`).

Its fast paths, and why they give the same answer: docs/performance.md,
"Checking the files: each distinct value once".
"""

from __future__ import annotations

from typing import Any

from ...errors import Problem
from ...files.yaml_reader import PathKey
from ..diagnostics.unloaded_items import Unloaded
from ..located_items import Placed
from ..model import FactType, Vocabulary
from ..rule_model import Comparison, Rule, Then
from .cross_file import all_facts, check_comparison, check_then, what_fits
from .vocabulary_places import VocabularyPlaces


class RuleReferences:
    """Each rule's conditions name declared facts and attributes with fitting operators
    and values, and its outcome a declared conclusion or derived fact with fitting values
    (a conclusion in `unloaded`, whose file failed to load with its own problems, is not
    reported as undeclared). Checked a rule at a time, in loading's one pass over the
    rules; the tests and outcomes found right are kept from rule to rule."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        conclusions: set[str],
        unloaded: Unloaded,
        declared: VocabularyPlaces,
    ) -> None:
        self.vocabulary, self.conclusions, self.unloaded = vocabulary, conclusions, unloaded
        self.declared = declared
        self.facts = all_facts(vocabulary)
        # What each `fact.attribute` allows (`what_fits`), as the number of its kind
        # among those met: None for a fact or attribute not declared.
        self.kinds: dict[tuple[str, ...], int] = {}
        self.fits: dict[str, int | None] = {}
        self.right: set[tuple[Any, ...]] = set()

    def check(self, rule: Placed[Rule], walked: list[tuple[Comparison, PathKey]]) -> list[Problem]:
        """The problems of one rule's comparisons (`walked`, with their paths), then of its
        outcome."""
        fits, right = self.fits, self.right
        problems: list[Problem] = []
        for comparison, path in walked:
            kind = fits.get(comparison.fact, -1)
            if kind == -1:
                kind = fits[comparison.fact] = _kind(comparison, self.facts, self.kinds)
            # An undeclared fact or attribute is a problem wherever it is named.
            key = None if kind is None else (kind, comparison.op, repr(comparison.value))
            if key in right:
                continue
            where = rule.child(comparison, *path)
            found = check_comparison(comparison, where, self.facts, self.declared)
            if found:
                problems += found
            elif key is not None:
                right.add(key)
        then = rule.item.then
        key = _outcome_key(then)
        if key not in right:
            where = rule.child(then, "then")
            found = check_then(where, self.vocabulary, self.conclusions, self.unloaded)
            if found:
                problems += found
            else:
                right.add(key)
        return problems


def _kind(
    comparison: Comparison, facts: dict[str, FactType], kinds: dict[tuple[str, ...], int]
) -> int | None:
    fact = facts.get(comparison.fact_type)
    spec = fact.attributes.get(comparison.attribute) if fact is not None else None
    return None if spec is None else kinds.setdefault(what_fits(spec), len(kinds))


def _outcome_key(then: Then) -> tuple[Any, ...]:
    if then.derive is None:
        return ("conclude", then.conclude)
    return ("derive", then.derive.fact, repr(then.derive.values))
