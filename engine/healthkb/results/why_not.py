"""Why a conclusion (or a rule) was not reached: per rule, every condition that failed,
each traced back through the rules that could have derived the facts it needed.

A rule whose `all` has one failing condition shows that condition itself (the node a
why-not always had); with several, an `all` node lists each, in writing order, so a
person sees everything that stands between them and the conclusion, not only the first
obstacle.

Each rule is explained in full once per why-not; wherever it is needed again (a derived
fact that two rules can each derive, and two rules after that: a "diamond chain"), the
tree names it and says it fails as shown above. Without that the tree doubled with every
step of such a chain (16 steps: 29 s and 102 MB of text); with it, it grows with the KB.
Whether a condition holds depends only on the facts of the evaluation, so it is decided
before any tree is built, and only failures that are shown are ever built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..content.languages.messages import say, word
from ..content.logic import compare, holds, to_dnf
from ..content.rule_model import (
    AllCondition,
    AnyCondition,
    Comparison,
    Condition,
    NotCondition,
    Rule,
)
from ..runtime.engine import FactRecord

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent

Tree = dict[str, Any]

SHOWN_ABOVE = "it fails as shown above"
"""The reason given for a rule whose failure the tree has already shown in full."""

ALL_FAIL = "these conditions fail (all of them must hold)"
"""The reason of an `all` node: more than one of the conditions a rule needs failed."""

MAX_RULE_DEPTH = 100
"""How many rules deep a why-not follows a chain of derived facts. Deeper, the tree (and
its rendering, and its JSON) would outgrow Python's stack; a chain this long is a KB to
split. The rule where it stops can be asked about by itself (`Result.rule_why_not`)."""


def rule_head(content: KBContent, rule: Rule) -> Tree:
    """A rule's identity in a tree: id, version, title and file."""
    return {
        "id": rule.id,
        "version": rule.version,
        "title": rule.title,
        "file": content.rule_files[rule.id],
    }


def citations(content: KBContent, rule_or_fact: Any) -> list[Tree]:
    """The quoted passages a rule or a fact rests on, as data."""
    return [content.citations.as_data(c) for c in rule_or_fact.because]


def facts_by_type(facts: list[FactRecord]) -> dict[str, list[FactRecord]]:
    """An evaluation's facts, grouped by fact type."""
    by_type: dict[str, list[FactRecord]] = {}
    for fact in facts:
        by_type.setdefault(fact.type, []).append(fact)
    return by_type


@dataclass
class WhyNotBuilder:
    """Builds why-not trees of one evaluation, each failing rule in full only once."""

    content: KBContent
    facts: Mapping[str, list[FactRecord]]
    shown: set[str] = field(default_factory=set)
    """Rules whose failure the tree already holds in full."""
    producers: dict[str, list[Rule]] = field(init=False)

    def __post_init__(self) -> None:
        # Which rules derive each fact type, in id order: looked up per condition
        # instead of scanning every rule (a 20,000-rule KB has many conditions).
        self.producers = {}
        for rule in sorted(self.content.rules.values(), key=lambda r: r.id):
            if rule.then.derive is not None:
                self.producers.setdefault(rule.then.derive.fact, []).append(rule)

    @property
    def lang(self) -> str | None:
        """The language the reasons are worded in (None: the KB's default, in English)."""
        return self.content.language

    def rule_failure(self, rule: Rule, visiting: frozenset[str] = frozenset()) -> Tree:
        """Why `rule` did not fire (`failed` is None when it did)."""
        node: Tree = {
            **rule_head(self.content, rule),
            "status": rule.status,
            "citations": citations(self.content, rule),
        }
        if rule.status != "active":
            reason = word(self.lang, f"the rule is {rule.status}, so it does not run")
            node["failed"] = {"reason": reason}
            return node
        values = {t: [f.values for f in records] for t, records in self.facts.items()}
        if any(holds(conjunction, values) for conjunction in self.content.dnf[rule.id]):
            node["failed"] = None  # it fired
            return node
        if rule.id in self.shown:
            node["failed"] = {"reason": word(self.lang, SHOWN_ABOVE), "see": rule.id}
            return node
        if len(visiting) >= MAX_RULE_DEPTH:
            reason = say(
                self.lang,
                "not followed further: the chain of rules leading here is more than "
                "{depth} rules deep (ask why this rule did not fire by itself)",
                depth=MAX_RULE_DEPTH,
            )
            node["failed"] = {"reason": reason, "see": rule.id}
            return node
        self.shown.add(rule.id)
        node["failed"] = self.failures(rule.when, visiting | {rule.id})
        return node

    def failures(self, condition: Condition, visiting: frozenset[str]) -> Tree | None:
        """Every part of `condition` that does not hold, in writing order (None if it holds)."""
        if self.holds(condition):
            return None
        if isinstance(condition, Comparison):
            return self.comparison_failure(condition, visiting)
        if isinstance(condition, NotCondition):
            return {
                "reason": say(self.lang, "the negated condition holds"),
                "not": describe(condition.not_),
                "seen": self.seen(condition.not_),
            }
        if isinstance(condition, AllCondition):
            failing = [child for child in condition.all if not self.holds(child)]
            if len(failing) == 1:
                return self.failures(failing[0], visiting)
            return {
                "reason": word(self.lang, ALL_FAIL),
                "all": [self.failures(child, visiting) for child in failing],
            }
        assert isinstance(condition, AnyCondition)
        return {
            "reason": say(self.lang, "none of the alternatives holds"),
            "any": [self.failures(child, visiting) for child in condition.any],
        }

    def holds(self, condition: Condition) -> bool:
        """Whether `condition` holds on this evaluation's facts."""
        if isinstance(condition, Comparison):
            records = self.facts.get(condition.fact_type, [])
            return any(compare(condition, r.values.get(condition.attribute)) for r in records)
        if isinstance(condition, NotCondition):
            return not self.holds(condition.not_)
        if isinstance(condition, AllCondition):
            return all(self.holds(child) for child in condition.all)
        assert isinstance(condition, AnyCondition)
        return any(self.holds(child) for child in condition.any)

    def comparison_failure(self, comparison: Comparison, visiting: frozenset[str]) -> Tree:
        seen = [
            r.values.get(comparison.attribute) for r in self.facts.get(comparison.fact_type, [])
        ]
        node: Tree = {
            "fact": comparison.fact,
            "op": comparison.op,
            "value": comparison.value,
            "seen": seen[0] if len(seen) == 1 else (seen or None),
        }
        if comparison.fact_type in self.content.vocabulary.derived:
            node["reason"] = say(self.lang, "no rule derived a matching fact")
            producers = [
                r
                for r in self.producers.get(comparison.fact_type, [])
                if r.then.derive is not None
                and compare(comparison, r.then.derive.values.get(comparison.attribute))
                and r.id not in visiting
            ]
            node["because"] = [self.rule_failure(r, visiting) for r in producers]
        else:
            missing = not seen or all(v is None for v in seen)
            node["reason"] = (
                say(self.lang, "missing") if missing else say(self.lang, "value does not match")
            )
        return node

    def seen(self, condition: Condition) -> Any:
        comparisons = [lit.comparison for conj in to_dnf(condition) for lit in conj]
        return {
            c.fact: [r.values.get(c.attribute) for r in self.facts.get(c.fact_type, [])]
            for c in comparisons
        }


def describe(condition: Condition) -> str:
    """A condition in one line of text."""
    if isinstance(condition, Comparison):
        return f"{condition.fact} {condition.op} {condition.value}"
    if isinstance(condition, NotCondition):
        return f"not ({describe(condition.not_)})"
    if isinstance(condition, AllCondition):
        return " and ".join(f"({describe(c)})" for c in condition.all)
    return " or ".join(f"({describe(c)})" for c in condition.any)
