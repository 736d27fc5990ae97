"""Certainty along the proof: a conclusion is never more certain than any citation that
can lead to it.

A static check over every derivation: the rules that conclude a conclusion, the rules
that derive the facts those rules test (positively: a negated test rests on a fact's
absence, not on a source), and so on down to the profile, with the background facts
they test. Every citation met on the way is read for hedges (certainty.py); the
conclusion's certainty may not exceed the weakest of them. Because every derivation
must allow the conclusion's certainty, the answer never needs to carry its own.

Its fast paths, and why they give the same answer: docs/performance.md,
"After reading: work done once per KB".
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


def passages_of(
    cited_by: str, citations: list[Citation], weakest: dict[str, tuple[str, str]] | None = None
) -> list[CitedPassage]:
    """Each citation with the weakest hedge of its quote ('' and established if none).

    `weakest` keeps the weakest hedge of each quote already read, for a caller that
    reads many citations: a passage quoted by many rules is read once."""
    known = {} if weakest is None else weakest
    passages = []
    for citation in citations:
        found = known.get(citation.quote)
        if found is None:
            found = known[citation.quote] = _weakest_hedge(citation.quote)
        passages.append(CitedPassage(cited_by, citation, *found))
    return passages


def _weakest_hedge(quote: str) -> tuple[str, str]:
    hedge, level = "", "established"
    for word, word_level in hedges_in(quote):
        if CERTAINTY_RANK[word_level] < CERTAINTY_RANK[level]:
            hedge, level = word, word_level
    return hedge, level


# What a derivation through a rule rests on, in the order of its positive comparisons:
# for each, the background fact it tests (None if it tests none) and the rules whose
# derived fact can satisfy it.
Steps = list[tuple[str | None, list[Rule]]]


class Derivations:
    """Which rules and background facts can lead to each conclusion (active rules only)."""

    def __init__(self, rules: list[Rule], vocabulary: Vocabulary | None) -> None:
        self.background = dict(vocabulary.background) if vocabulary else {}
        # Active rules by what they conclude and by the fact they derive: looked up per
        # conclusion and per comparison instead of scanning every rule (the scans made
        # loading a 10,000-rule KB take minutes). Each list is put in id order when it
        # is first looked up (`_in_id_order`): most lists of a large KB never are, since
        # only the conclusions above `possible` are walked.
        self._concluding: dict[str, list[Rule]] = {}
        self._deriving: dict[str, list[Rule]] = {}
        self._ordered: set[tuple[str, str]] = set()
        for rule in rules:
            self.add(rule)
        # Worked out once per rule, background fact, comparison and quote, not once per
        # conclusion that reaches them (rules shared by many conclusions were read
        # again for each; the same comparison in many rules was matched again for each).
        self._passages: dict[str, list[CitedPassage]] = {}
        self._background_passages: dict[str, list[CitedPassage]] = {}
        self._steps: dict[int, Steps] = {}
        self._producers: dict[tuple[str, str, str], list[Rule]] = {}
        self._weakest: dict[str, tuple[str, str]] = {}

    def add(self, rule: Rule) -> None:
        """One more rule, in the order read (loading adds each in its one pass over the
        rules); an inactive rule leads to nothing."""
        if rule.status != "active":
            return
        if rule.then.conclude is not None:
            self._concluding.setdefault(rule.then.conclude, []).append(rule)
        elif rule.then.derive is not None:
            self._deriving.setdefault(rule.then.derive.fact, []).append(rule)

    def concluding(self, conclusion_id: str) -> list[Rule]:
        """The active rules that conclude it, in id order."""
        return self._in_id_order(self._concluding, "conclude", conclusion_id)

    def deriving(self, fact_type: str) -> list[Rule]:
        """The active rules that derive it, in id order."""
        return self._in_id_order(self._deriving, "derive", fact_type)

    def _in_id_order(self, lists: dict[str, list[Rule]], kind: str, key: str) -> list[Rule]:
        # A stable sort of a list in the order read: rules of one id stay in that order,
        # as in the stable sort of all the rules this list was once cut from.
        rules = lists.get(key, [])
        if (kind, key) not in self._ordered:
            rules.sort(key=_rule_id)
            self._ordered.add((kind, key))
        return rules

    def passages(self, conclusion_id: str) -> list[CitedPassage]:
        """Every citation of every rule and background fact on a derivation of it."""
        seen: set[str] = set()
        found: list[CitedPassage] = []
        for rule in self.concluding(conclusion_id):
            self._collect(rule, seen, found)
        return found

    def _collect(self, rule: Rule, seen: set[str], found: list[CitedPassage]) -> None:
        if rule.id in seen:
            return
        seen.add(rule.id)
        if rule.id not in self._passages:
            self._passages[rule.id] = passages_of(f"rule `{rule.id}`", rule.because, self._weakest)
        found.extend(self._passages[rule.id])
        for background, producers in self._steps_of(rule):
            if background is not None and f"background:{background}" not in seen:
                seen.add(f"background:{background}")
                found.extend(self._background_passages_of(background))
            for producer in producers:
                if producer.id not in seen:  # most are: many rules share their producers
                    self._collect(producer, seen, found)

    def _steps_of(self, rule: Rule) -> Steps:
        """The steps of one of the rules, kept by its identity (it lives as long as
        this object; two rules may share an id in a broken KB)."""
        steps = self._steps.get(id(rule))
        if steps is None:
            steps = self._steps[id(rule)] = [
                (
                    comparison.fact_type if comparison.fact_type in self.background else None,
                    self._producers_of(comparison),
                )
                for comparison in positive_comparisons(rule.when)
            ]
        return steps

    def _background_passages_of(self, fact_type: str) -> list[CitedPassage]:
        known = self._background_passages.get(fact_type)
        if known is None:
            cited_by = f"background fact `{fact_type}`"
            because = self.background[fact_type].because
            known = self._background_passages[fact_type] = passages_of(
                cited_by, because, self._weakest
            )
        return known

    def producers(self, comparison: Comparison) -> list[Rule]:
        """The rules whose derived fact can satisfy this comparison."""
        return [
            rule
            for rule in self.deriving(comparison.fact_type)
            if rule.then.derive is not None
            and compare(comparison, rule.then.derive.values.get(comparison.attribute))
        ]

    def _producers_of(self, comparison: Comparison) -> list[Rule]:
        """`producers`, kept by what the comparison tests (fact, operator, value): the
        same test in many rules is matched against the deriving rules once."""
        key = (comparison.fact, comparison.op, repr(comparison.value))
        known = self._producers.get(key)
        if known is None:
            known = self._producers[key] = self.producers(comparison)
        return known


def _rule_id(rule: Rule) -> str:
    return rule.id


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
    if CERTAINTY_RANK[item.certainty] == min(CERTAINTY_RANK.values()):
        # The least certainty (`possible`) cannot be overstated: no walk needed.
        return []
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
