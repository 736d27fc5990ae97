"""Proof trees and why-nots, as plain data: conclusion -> rule -> conditions -> facts -> quotes.

`Explanation.to_dict()` and `WhyNot.to_dict()` are JSON-ready; `str()` of either is
the indented text that `healthkb explain` prints (see tree_text.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content.logic import Literal, compare, holds, to_dnf
from ..content.rule_model import (
    AllCondition,
    AnyCondition,
    Comparison,
    Condition,
    NotCondition,
    Rule,
)
from ..errors import UnknownConclusionError, check_conclusion_id, did_you_mean
from ..runtime.engine import FactRecord, Firing
from .proof import Proofs
from .tree_text import explanation_text, why_not_text

if TYPE_CHECKING:
    from ..content.loader import KBContent
    from ..runtime.engine import Trace

Tree = dict[str, Any]


@dataclass(frozen=True)
class Explanation:
    """The proof of one conclusion, down to input facts and quoted passages."""

    tree: Tree

    def to_dict(self) -> Tree:
        return self.tree

    def __str__(self) -> str:
        return explanation_text(self.tree)


@dataclass(frozen=True)
class WhyNot:
    """Why a conclusion was not reached: per rule, the first condition that failed."""

    tree: Tree

    def to_dict(self) -> Tree:
        return self.tree

    def __str__(self) -> str:
        return why_not_text(self.tree)


def _check_known(content: KBContent, conclusion_id: str) -> None:
    check_conclusion_id(conclusion_id)
    if conclusion_id not in content.conclusions:
        hint = did_you_mean(conclusion_id, content.conclusions)
        raise UnknownConclusionError(f"unknown conclusion `{conclusion_id}` ({hint})")


def _rule_head(content: KBContent, rule: Rule) -> Tree:
    return {
        "id": rule.id,
        "version": rule.version,
        "title": rule.title,
        "file": content.rule_files[rule.id],
    }


def _citations(content: KBContent, rule_or_fact: Any) -> list[Tree]:
    return [content.citations.as_data(c) for c in rule_or_fact.because]


# --- explanations --------------------------------------------------------------------


def explain(content: KBContent, trace: Trace, proofs: Proofs, conclusion_id: str) -> Explanation:
    _check_known(content, conclusion_id)
    firing = proofs.conclusions.get(conclusion_id)
    declared = content.conclusions[conclusion_id]
    if firing is None:
        hint = "this conclusion was not reached; ask why_not() instead"
        raise UnknownConclusionError(f"`{conclusion_id}` was not concluded ({hint})")
    proof = _Proof(content, trace.facts, proofs)
    return Explanation(
        {
            "conclusion": {
                "id": declared.id,
                "kind": declared.kind,
                "certainty": declared.certainty,
                "statement": declared.statement,
                "citations": _citations(content, declared),
            },
            "rule": proof.rule_node(firing),
            # The stamp of the KB that explains it, not the result's own fields (data
            # anyone can copy with other values).
            "kb": {
                "id": content.manifest.id,
                "version": content.version,
                "digest": content.digest,
            },
        }
    )


@dataclass(frozen=True)
class _Proof:
    """Builds the proof tree of one evaluation, rule by rule, down to the input facts."""

    content: KBContent
    facts: list[FactRecord]
    proofs: Proofs

    def rule_node(self, firing: Firing) -> Tree:
        rule = self.content.rules[firing.rule_id]
        conjunction = self.content.dnf[rule.id][firing.conjunction]
        bound = {fact_type: self.facts[index] for fact_type, index in firing.bound}
        return {
            **_rule_head(self.content, rule),
            "alternative": firing.conjunction,
            "conditions": [self.condition_node(literal, bound) for literal in conjunction],
            "citations": _citations(self.content, rule),
        }

    def condition_node(self, literal: Literal, bound: Mapping[str, FactRecord]) -> Tree:
        comparison = literal.comparison
        fact = bound.get(comparison.fact_type)
        node: Tree = {
            "fact": comparison.fact,
            "op": comparison.op,
            "value": comparison.value,
            "negated": literal.negated,
        }
        if fact is not None:
            node["seen"] = fact.values.get(comparison.attribute)
            node["origin"] = fact.origin
            node["support"] = self.fact_support(fact)
        else:
            # A negation on a fact type the rule does not bind: no such fact existed.
            others = [f for f in self.facts if f.type == comparison.fact_type]
            node["seen"] = [f.values.get(comparison.attribute) for f in others] or None
            node["origin"] = others[0].origin if others else "absent"
        return node

    def fact_support(self, fact: FactRecord) -> Tree | None:
        """How a fact came to be: the rule that derived it, or the background citation."""
        if fact.origin == "derived":
            firing = self.proofs.facts[fact.index]
            return {"fact": fact.type, "values": fact.values, "rule": self.rule_node(firing)}
        if fact.origin == "background":
            background = self.content.vocabulary.background[fact.type]
            citations = _citations(self.content, background)
            return {"fact": fact.type, "values": fact.values, "citations": citations}
        return None


def _facts_by_type(facts: list[FactRecord]) -> dict[str, list[FactRecord]]:
    by_type: dict[str, list[FactRecord]] = {}
    for fact in facts:
        by_type.setdefault(fact.type, []).append(fact)
    return by_type


# --- why-not -------------------------------------------------------------------------


def why_not(content: KBContent, trace: Trace, proofs: Proofs, conclusion_id: str) -> WhyNot:
    _check_known(content, conclusion_id)
    facts = _facts_by_type(trace.facts)
    rules = [r for r in content.rules.values() if r.then.conclude == conclusion_id]
    return WhyNot(
        {
            "conclusion": conclusion_id,
            "concluded": conclusion_id in proofs.conclusions,
            "rules": [
                _rule_failure(content, rule, facts, set())
                for rule in sorted(rules, key=lambda r: r.id)
            ],
        }
    )


def _rule_failure(
    content: KBContent, rule: Rule, facts: Mapping[str, list[FactRecord]], visiting: set[str]
) -> Tree:
    node: Tree = {
        **_rule_head(content, rule),
        "status": rule.status,
        "citations": _citations(content, rule),
    }
    if rule.status != "active":
        node["failed"] = {"reason": f"the rule is {rule.status}, so it does not run"}
        return node
    if any(_conjunction_holds(content, rule, i, facts) for i in range(len(content.dnf[rule.id]))):
        node["failed"] = None  # it fired
        return node
    node["failed"] = _first_failure(content, rule.when, facts, visiting | {rule.id})
    return node


def _conjunction_holds(
    content: KBContent, rule: Rule, index: int, facts: Mapping[str, list[FactRecord]]
) -> bool:

    values = {t: [f.values for f in records] for t, records in facts.items()}
    return holds(content.dnf[rule.id][index], values)


def _first_failure(
    content: KBContent,
    condition: Condition,
    facts: Mapping[str, list[FactRecord]],
    visiting: set[str],
) -> Tree | None:
    """The first part of `condition` that does not hold, in writing order."""
    if isinstance(condition, Comparison):
        return _comparison_failure(content, condition, facts, visiting)
    if isinstance(condition, NotCondition):
        inner = _first_failure(content, condition.not_, facts, visiting)
        if inner is not None:
            return None
        seen = _seen(condition.not_, facts)
        return {
            "reason": "the negated condition holds",
            "not": _describe(condition.not_),
            "seen": seen,
        }
    if isinstance(condition, AllCondition):
        for child in condition.all:
            failure = _first_failure(content, child, facts, visiting)
            if failure is not None:
                return failure
        return None
    assert isinstance(condition, AnyCondition)
    failures = [_first_failure(content, child, facts, visiting) for child in condition.any]
    if any(f is None for f in failures):
        return None
    return {"reason": "none of the alternatives holds", "any": failures}


def _comparison_failure(
    content: KBContent,
    comparison: Comparison,
    facts: Mapping[str, list[FactRecord]],
    visiting: set[str],
) -> Tree | None:
    records = facts.get(comparison.fact_type, [])
    seen = [r.values.get(comparison.attribute) for r in records]
    if any(compare(comparison, value) for value in seen):
        return None
    node: Tree = {
        "fact": comparison.fact,
        "op": comparison.op,
        "value": comparison.value,
        "seen": seen[0] if len(seen) == 1 else (seen or None),
    }
    if comparison.fact_type in content.vocabulary.derived:
        node["reason"] = "no rule derived a matching fact"
        producers = [
            r
            for r in content.rules.values()
            if r.then.derive is not None
            and r.then.derive.fact == comparison.fact_type
            and compare(comparison, r.then.derive.values.get(comparison.attribute))
            and r.id not in visiting
        ]
        node["because"] = [
            _rule_failure(content, r, facts, visiting)
            for r in sorted(producers, key=lambda r: r.id)
        ]
    else:
        node["reason"] = (
            "missing" if not seen or all(v is None for v in seen) else "value does not match"
        )
    return node


def _seen(condition: Condition, facts: Mapping[str, list[FactRecord]]) -> Any:
    comparisons = [lit.comparison for conj in to_dnf(condition) for lit in conj]
    return {
        c.fact: [r.values.get(c.attribute) for r in facts.get(c.fact_type, [])] for c in comparisons
    }


def _describe(condition: Condition) -> str:
    if isinstance(condition, Comparison):
        return f"{condition.fact} {condition.op} {condition.value}"
    if isinstance(condition, NotCondition):
        return f"not ({_describe(condition.not_)})"
    if isinstance(condition, AllCondition):
        return " and ".join(f"({_describe(c)})" for c in condition.all)
    return " or ".join(f"({_describe(c)})" for c in condition.any)


def rule_why_not(content: KBContent, trace: Trace, rule_id: str) -> Tree:
    """Why one rule did not fire: its first failed condition, traced like `why_not`.

    The tree has the shape of one entry of `why_not(...).to_dict()["rules"]`;
    `failed` is None when the rule did fire.
    """
    facts = _facts_by_type(trace.facts)
    return _rule_failure(content, content.rules[rule_id], facts, set())
