"""Certainty along the proof: a conclusion is never more certain than any citation that
can lead to it.

A static check over every derivation: the rules that conclude a conclusion, the rules
that derive the facts those rules test (positively: a negated test rests on a fact's
absence, not on a source), and so on down to the profile, with the background facts
they test. Every citation met on the way is read for hedges (certainty.py); the
conclusion's certainty may not exceed the weakest of them. Because every derivation
must allow the conclusion's certainty, the answer never needs to carry its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...errors import Problem
from ..located_items import Placed
from ..logic import compare
from ..model import CERTAINTY_RANK, Citation, Conclusion, Vocabulary
from ..rule_model import AllCondition, AnyCondition, Comparison, Condition, NotCondition, Rule
from .certainty import hedges_in


@dataclass(frozen=True)
class CitedPassage:
    """A citation met on a derivation, who cites it, and the certainty its words allow."""

    cited_by: str
    """`rule `id``, `background fact `id`` or `conclusion `id``."""
    citation: Citation
    hedge: str
    level: str


def weakest_passage(passages: list[CitedPassage]) -> CitedPassage | None:
    """The passage allowing the least certainty (the first such in the given order)."""
    weakest: CitedPassage | None = None
    for passage in passages:
        if weakest is None or CERTAINTY_RANK[passage.level] < CERTAINTY_RANK[weakest.level]:
            weakest = passage
    return weakest


def passages_of(cited_by: str, citations: list[Citation]) -> list[CitedPassage]:
    """Each citation with the weakest hedge of its quote ('' and established if none)."""
    passages = []
    for citation in citations:
        hedge, level = "", "established"
        for word, word_level in hedges_in(citation.quote):
            if CERTAINTY_RANK[word_level] < CERTAINTY_RANK[level]:
                hedge, level = word, word_level
        passages.append(CitedPassage(cited_by, citation, hedge, level))
    return passages


class Derivations:
    """Which rules and background facts can lead to each conclusion (active rules only)."""

    def __init__(self, rules: list[Rule], vocabulary: Vocabulary | None) -> None:
        self.rules = sorted((r for r in rules if r.status == "active"), key=lambda r: r.id)
        self.background = dict(vocabulary.background) if vocabulary else {}
        # Rules by what they conclude and by the fact they derive, in id order: looked
        # up per conclusion and per comparison instead of scanning every rule (the
        # scans made loading a 10,000-rule KB take minutes).
        self.concluding: dict[str, list[Rule]] = {}
        self.deriving: dict[str, list[Rule]] = {}
        for rule in self.rules:
            if rule.then.conclude is not None:
                self.concluding.setdefault(rule.then.conclude, []).append(rule)
            elif rule.then.derive is not None:
                self.deriving.setdefault(rule.then.derive.fact, []).append(rule)
        # Worked out once per rule and per comparison, not once per conclusion that
        # reaches them (rules shared by many conclusions were read again for each).
        self._passages: dict[str, list[CitedPassage]] = {}
        self._producers: dict[int, list[Rule]] = {}

    def passages(self, conclusion_id: str) -> list[CitedPassage]:
        """Every citation of every rule and background fact on a derivation of it."""
        seen: set[str] = set()
        found: list[CitedPassage] = []
        for rule in self.concluding.get(conclusion_id, []):
            self._collect(rule, seen, found)
        return found

    def _collect(self, rule: Rule, seen: set[str], found: list[CitedPassage]) -> None:
        if rule.id in seen:
            return
        seen.add(rule.id)
        if rule.id not in self._passages:
            self._passages[rule.id] = passages_of(f"rule `{rule.id}`", rule.because)
        found.extend(self._passages[rule.id])
        for comparison in positive_comparisons(rule.when):
            background = self.background.get(comparison.fact_type)
            if background is not None and f"background:{comparison.fact_type}" not in seen:
                seen.add(f"background:{comparison.fact_type}")
                cited_by = f"background fact `{comparison.fact_type}`"
                found.extend(passages_of(cited_by, background.because))
            for producer in self._producers_of_own(comparison):
                self._collect(producer, seen, found)

    def producers(self, comparison: Comparison) -> list[Rule]:
        """The rules whose derived fact can satisfy this comparison."""
        return [
            rule
            for rule in self.deriving.get(comparison.fact_type, [])
            if rule.then.derive is not None
            and compare(comparison, rule.then.derive.values.get(comparison.attribute))
        ]

    def _producers_of_own(self, comparison: Comparison) -> list[Rule]:
        """`producers` of a comparison of one of `self.rules`, kept by its identity (it
        lives as long as this object)."""
        known = self._producers.get(id(comparison))
        if known is None:
            known = self._producers[id(comparison)] = self.producers(comparison)
        return known


def positive_comparisons(condition: Condition) -> list[Comparison]:
    """The comparisons a derivation relies on holding (none under a `not`)."""
    if isinstance(condition, Comparison):
        return [condition]
    if isinstance(condition, NotCondition):
        return []
    assert isinstance(condition, AllCondition | AnyCondition)
    children = condition.all if isinstance(condition, AllCondition) else condition.any
    return [c for child in children for c in positive_comparisons(child)]


def check_certainty_along_proof(
    conclusion: Placed[Conclusion], derivations: Derivations
) -> list[Problem]:
    """A conclusion is never more certain than the weakest citation of its derivations."""
    item = conclusion.item
    own = weakest_passage(passages_of(f"conclusion `{item.id}`", item.because))
    along = weakest_passage(derivations.passages(item.id))
    if own is None or along is None:
        return []
    if CERTAINTY_RANK[own.level] <= CERTAINTY_RANK[along.level]:
        return []  # the conclusion's own quotes are as weak: certainty.py says so
    if CERTAINTY_RANK[item.certainty] <= CERTAINTY_RANK[along.level]:
        return []
    quote = along.citation.quote
    return [
        conclusion.problem(
            "overstated-certainty",
            f"conclusion `{item.id}` is `{item.certainty}` but {along.cited_by}, on a "
            f"derivation of it, cites “{along.hedge}” ({along.citation.source}: “{quote}”)",
            f"use certainty `{along.level}` and hedge the statement the same way, or "
            f"cite a passage that says it without “{along.hedge}”",
            "certainty",
        )
    ]
