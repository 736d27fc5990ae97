"""Proof trees and why-nots, as plain data: conclusion -> rule -> conditions -> facts -> quotes.

`Explanation.to_dict()` and `WhyNot.to_dict()` are JSON-ready; `str()` of either is
the indented text that `healthkb explain` prints (see tree_text.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content.checks.numbers import departure_key
from ..content.logic import Literal
from ..content.rule_model import Rule
from ..errors import UnknownConclusionError, check_conclusion_id, did_you_mean
from ..runtime.engine import FactRecord, Firing
from .evidence import derivation_sources, provenance
from .evidence import standing as evidence_standing
from .proof import Proofs
from .tree_text import explanation_text, why_not_text
from .why_not import WhyNotBuilder, citations, facts_by_type, rule_head

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent
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
    """Why a conclusion was not reached: per rule, every condition that failed."""

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


def _with_departure(node: Tree, rule: Rule, literal: Literal) -> Tree:
    """The condition node, with the source's words when the rule declares a departure."""
    key = departure_key(literal.comparison)
    for departure in rule.departures:
        if departure_key(departure) == key:
            return {**node, "departure": departure.source_says}
    return node


# --- explanations --------------------------------------------------------------------


def explain(
    content: KBContent,
    trace: Trace,
    proofs: Proofs,
    conclusion_id: str,
    overdue: frozenset[str] = frozenset(),
) -> Explanation:
    """The proof tree of a reached conclusion; `overdue`: the sources past their review
    date on the day of the evaluation (its `stale` flag)."""
    _check_known(content, conclusion_id)
    firing = proofs.conclusions.get(conclusion_id)
    declared = content.conclusions[conclusion_id]
    if firing is None:
        hint = "this conclusion was not reached; ask why_not() instead"
        raise UnknownConclusionError(f"`{conclusion_id}` was not concluded ({hint})")
    proof = _Proof(content, trace.facts, proofs)
    standing = evidence_standing(content, trace.facts, proofs, conclusion_id, overdue)
    others = proofs.also.get(conclusion_id, [])
    conclusion: Tree = {
        "id": declared.id,
        "kind": declared.kind,
        "certainty": declared.certainty,
        "statement": declared.statement,
        "citations": citations(content, declared),
        "evidence": standing.evidence(),
    }
    if declared.clinician_statement is not None:
        conclusion["clinician_statement"] = declared.clinician_statement
    if standing.stale:
        conclusion["stale"] = True
    derivations = _derivations(content, trace, proofs, [firing, *others])
    cited = {c.source for c in declared.because}
    if len(derivations) > 1 or not set(derivations[0]["sources"]) <= cited:
        # The statement's own passages do not say everything the answer rests on.
        conclusion["derivations"] = derivations
    sources = standing.sources.union(*(d["sources"] for d in derivations))
    governance: Tree = {
        "sources": {
            source_id: provenance(content.sources[source_id], stale=source_id in overdue)
            for source_id in sorted(sources)
        }
    }
    if content.manifest.disclaimer is not None:
        governance["disclaimer"] = content.manifest.disclaimer
    tree: Tree = {
        "conclusion": conclusion,
        "rule": proof.rule_node(firing),
        # The stamp of the KB that explains it, not the result's own fields (data
        # anyone can copy with other values).
        "kb": {
            "id": content.manifest.id,
            "version": content.version,
            "digest": content.digest,
        },
        **governance,
    }
    if others:
        tree["also_reached_by"] = [proof.rule_node(other) for other in others]
    if content.language is not None:
        tree["language"] = content.language
    return Explanation(tree)


def _derivations(
    content: KBContent, trace: Trace, proofs: Proofs, firings: list[Firing]
) -> list[Tree]:
    """Each derivation that reached a conclusion: its rule and every source it rests on."""
    return [
        {
            "rule": firing.rule_id,
            "sources": sorted(derivation_sources(content, trace.facts, proofs, firing)),
        }
        for firing in firings
    ]


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
            **rule_head(self.content, rule),
            "alternative": firing.conjunction,
            "conditions": [
                _with_departure(self.condition_node(literal, bound), rule, literal)
                for literal in conjunction
            ],
            "citations": citations(self.content, rule),
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
            quoted = citations(self.content, background)
            return {"fact": fact.type, "values": fact.values, "citations": quoted}
        return None


# --- why-not -------------------------------------------------------------------------


def why_not(content: KBContent, trace: Trace, proofs: Proofs, conclusion_id: str) -> WhyNot:
    _check_known(content, conclusion_id)
    builder = WhyNotBuilder(content, facts_by_type(trace.facts))
    rules = [r for r in content.rules.values() if r.then.conclude == conclusion_id]
    tree: Tree = {
        "conclusion": conclusion_id,
        "concluded": conclusion_id in proofs.conclusions,
        "rules": [builder.rule_failure(rule) for rule in sorted(rules, key=lambda r: r.id)],
    }
    if content.language is not None:
        tree["language"] = content.language
    return WhyNot(tree)


def rule_why_not(content: KBContent, trace: Trace, rule_id: str) -> Tree:
    """Why one rule did not fire: every failed condition, traced like `why_not`.

    The tree has the shape of one entry of `why_not(...).to_dict()["rules"]`;
    `failed` is None when the rule did fire.
    """
    builder = WhyNotBuilder(content, facts_by_type(trace.facts))
    tree = builder.rule_failure(content.rules[rule_id])
    return tree if content.language is None else {**tree, "language": content.language}
