"""The result of one evaluation: JSON-ready, deterministic, and able to explain itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from .model import KIND_RANK
from .proof import Proofs, choose_proofs
from .runtime import FactRecord, Firing, Trace, canonical_fact
from .sources import ResolvedCitation

if TYPE_CHECKING:
    from .explain import Explanation, WhyNot
    from .knowledge_base import KnowledgeBase


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class FactUsed(_Frozen):
    """A fact a rule used: its type, its values and where it came from."""

    fact: str
    values: dict[str, Any]
    origin: str


class ConclusionResult(_Frozen):
    """One conclusion, with the rule that reached it and the passages it rests on."""

    id: str
    kind: str
    certainty: str
    statement: str
    rule_id: str
    rule_version: int
    rule_title: str
    facts_used: list[FactUsed]
    citations: list[ResolvedCitation]


class DerivedFact(_Frozen):
    """An intermediate fact a rule derived, with the rule that derived it."""

    fact: str
    values: dict[str, Any]
    rule_id: str
    rule_version: int


class FiredRule(_Frozen):
    """One rule firing, for audits: which rule, which alternative, which facts."""

    rule_id: str
    rule_version: int
    alternative: int
    facts_used: list[FactUsed]
    derived: FactUsed | None = None
    concluded: str | None = None


class Result(_Frozen):
    """What the KB concludes for one profile, stamped with the KB's identity."""

    kb_id: str
    kb_version: str
    kb_digest: str
    profile: dict[str, Any]
    conclusions: list[ConclusionResult]
    derived: list[DerivedFact]
    fired: list[FiredRule]

    _kb: KnowledgeBase = PrivateAttr()
    _trace: Trace = PrivateAttr()
    _proofs: Proofs = PrivateAttr()
    # Kept out of model_dump on purpose: the dump must be the same bytes for the same
    # profile and KB, and a record id is random.
    _audit_record_id: str | None = PrivateAttr(default=None)

    @property
    def audit_record_id(self) -> str | None:
        """The id of the audit log record of this evaluation, or None if it was not logged."""
        return self._audit_record_id

    def conclusion(self, conclusion_id: str) -> ConclusionResult | None:
        """The conclusion with this id, or None if it was not reached."""
        return next((c for c in self.conclusions if c.id == conclusion_id), None)

    @property
    def conclusion_ids(self) -> list[str]:
        return [c.id for c in self.conclusions]

    def explain(self, conclusion_id: str) -> Explanation:
        """The proof tree of a conclusion, down to input facts and quoted passages."""
        from .explain import explain

        return explain(self._kb, self, conclusion_id)

    def why_not(self, conclusion_id: str) -> WhyNot:
        """Why a conclusion was not reached: for each rule, the first condition that failed."""
        from .explain import why_not

        return why_not(self._kb, self, conclusion_id)

    def to_cds_cards(self) -> dict[str, Any]:
        """The conclusions as a CDS Hooks 2.0 response: `{"cards": [...]}`, one card each.

        Each card's `uuid` derives from the audit record id when the evaluation was
        logged, and otherwise from the KB digest, the profile and the conclusion.
        """
        from .render.cds_hooks import cds_cards

        sources = {
            source_id: (source.title, source.publisher, source.url)
            for source_id, source in self._kb.content.sources.items()
        }
        explanations = {c.id: self.explain(c.id).to_dict() for c in self.conclusions}
        return cds_cards(self, explanations, sources, self._audit_record_id)


def build_result(kb: KnowledgeBase, profile: dict[str, Any], trace: Trace) -> Result:
    content = kb.content
    proofs = choose_proofs(trace)
    facts = trace.facts

    facts_used: dict[int, FactUsed] = {}  # a fact is often used by several firings

    def fact_used(index: int) -> FactUsed:
        if index not in facts_used:
            facts_used[index] = _fact_used(facts[index])
        return facts_used[index]

    def used(firing: Firing) -> list[FactUsed]:
        return [fact_used(i) for _, i in firing.bound]

    conclusions = []
    for conclusion_id, firing in proofs.conclusions.items():
        declared = content.conclusions[conclusion_id]
        rule = content.rules[firing.rule_id]
        citations = _unique(
            [content.citations.resolve(c) for c in (*declared.because, *rule.because)]
        )
        conclusions.append(
            ConclusionResult(
                id=conclusion_id,
                kind=declared.kind,
                certainty=declared.certainty,
                statement=declared.statement,
                rule_id=rule.id,
                rule_version=rule.version,
                rule_title=rule.title,
                facts_used=used(firing),
                citations=citations,
            )
        )
    conclusions.sort(key=lambda c: (KIND_RANK[c.kind], c.id))
    derived = sorted(
        (
            DerivedFact(
                fact=facts[index].type,
                values=facts[index].values,
                rule_id=firing.rule_id,
                rule_version=content.rules[firing.rule_id].version,
            )
            for index, firing in proofs.facts.items()
        ),
        key=lambda d: (d.fact, canonical_fact(d.fact, d.values)),
    )
    fired = sorted(
        (
            FiredRule(
                rule_id=f.rule_id,
                rule_version=content.rules[f.rule_id].version,
                alternative=f.conjunction,
                facts_used=used(f),
                derived=fact_used(f.derived) if f.derived is not None else None,
                concluded=f.conclusion,
            )
            for f in sorted(_unique_firings(trace.firings), key=proofs.key)
        ),
        key=lambda f: (f.rule_id, f.alternative),
    )
    result = Result(
        kb_id=content.manifest.id,
        kb_version=content.manifest.version,
        kb_digest=content.digest,
        profile=profile,
        conclusions=conclusions,
        derived=derived,
        fired=fired,
    )
    result._kb = kb
    result._trace = trace
    result._proofs = proofs
    return result


def _fact_used(fact: FactRecord) -> FactUsed:
    return FactUsed(fact=fact.type, values=fact.values, origin=fact.origin)


def _unique(citations: list[ResolvedCitation]) -> list[ResolvedCitation]:
    """Each passage once: a bare citation of a passage that is also cited with an
    interpretation adds nothing, so only the interpreted one is kept."""
    interpreted = {(c.source, c.start, c.end) for c in citations if c.interpretation}
    seen = set()
    unique = []
    for citation in citations:
        span = (citation.source, citation.start, citation.end)
        if citation.interpretation is None and span in interpreted:
            continue
        if (*span, citation.interpretation) not in seen:
            seen.add((*span, citation.interpretation))
            unique.append(citation)
    return unique


def _unique_firings(firings: list[Firing]) -> list[Firing]:
    return list({(f.rule_id, f.conjunction, f.bound): f for f in firings}.values())
