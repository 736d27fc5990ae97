"""The result of one evaluation: JSON-ready, deterministic, and able to explain itself."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import combinations
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from ..analysis.what_if_text import DEFAULT_ALTERNATIVES
from ..content.model import KIND_RANK, Conclusion
from ..content.sources import ResolvedCitation
from ..content.strict_model import empty_list
from ..errors import HealthKBError, check_conclusion_id, did_you_mean
from ..files.on_demand import OnDemand
from ..runtime.engine import Firing, Trace
from .cds_cards import cds_cards
from .deferred import DeferredModel, defer
from .evidence import derivation_sources, provenance
from .evidence import standing as evidence_standing
from .proof import Proofs, choose_proofs


def _import_what_if() -> ModuleType:
    from ..analysis import what_if

    return what_if


def _import_explain() -> ModuleType:
    from . import explain

    return explain


# The what-if search (analysis/, with z3 behind it) and the proofs and why-nots
# (explain.py) are imported by the first `Result.what_if` or `Result.explain`, not by
# every program that evaluates (docs/performance.md, "Start-up, fourth pass").
if TYPE_CHECKING:
    from ..analysis import what_if as what_if_search
    from ..analysis.what_if import WhatIf
    from ..content.loading.kb_content import KBContent
    from . import explain as explaining
    from .explain import Explanation, Tree, WhyNot
else:
    what_if_search = OnDemand(_import_what_if)
    explaining = OnDemand(_import_explain)


# The private attributes that tie a result to its KB's content and its evaluation (not
# pickled): what explanations are built from.
_ATTACHMENT = ("_content", "_trace", "_proofs")


class _Frozen(BaseModel):
    # Built when first validated or dumped, as DeferredModel (results/deferred.py).
    model_config = ConfigDict(frozen=True, defer_build=True)


class FactUsed(_Frozen):
    """A fact a rule used: its type, its values and where it came from."""

    fact: str
    values: dict[str, Any]
    origin: str


class Derivation(_Frozen):
    """Another derivation that reached a conclusion: its rule, the facts that rule used,
    the rule's own passages, and every source the derivation rests on."""

    rule_id: str
    rule_version: int
    rule_title: str
    facts_used: list[FactUsed]
    citations: list[ResolvedCitation]
    sources: list[str]
    """Every source the derivation rests on (its rule's, those of the rules that derived
    the facts it used, its background facts'), sorted."""


class ConclusionResult(DeferredModel):
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
    evidence: dict[str, str] = Field(default_factory=dict)
    """The evidence of the derivation that reached it: `{"level", "scale"}`."""
    stale: bool = False
    """Whether it rests on a source past its review date; in the JSON only when true."""
    also_reached_by: list[Derivation] = Field(default_factory=empty_list)
    """The other derivations that reached it (a second rule, perhaps on a second source),
    in the order of the proofs; in the JSON only when there are some."""

    @model_serializer(mode="wrap")
    def _without_fresh(self, handler: SerializerFunctionWrapHandler) -> Any:
        self._materialise()
        data = handler(self)
        if isinstance(data, dict):
            for name in ("stale", "also_reached_by"):
                if not data.get(name):
                    data.pop(name, None)
        return data


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


class Conflict(_Frozen):
    """Two conclusions declared exclusive (`excludes`) that one profile reached.

    A defect of the KB, which `healthkb analyze` reports before release; should a KB
    that was never analysed reach them, the result says so instead of presenting both
    as guidance.
    """

    conclusions: list[str]
    rules: list[str]
    message: str


class Result(DeferredModel):
    """What the KB concludes for one profile, stamped with the KB's identity.

    A result is data: it pickles (so a worker process can return it), copies, and
    round-trips through `model_dump` / `model_validate`. Explaining needs the KB that
    evaluated it, which stays in its process: a result that was pickled or rebuilt from
    its data is *detached*, and `explain`, `why_not` and `to_cds_cards` raise
    `HealthKBError` saying so. Evaluate its profile again (`kb.evaluate(result.profile)`
    with a KB whose digest is `result.kb_digest` gives the same result) to explain it.
    A `copy.deepcopy` in the same process stays attached.
    """

    kb_id: str
    kb_version: str
    kb_digest: str
    profile: dict[str, Any]
    conclusions: list[ConclusionResult]
    derived: list[DerivedFact]
    fired: list[FiredRule]
    conflicts: list[Conflict] = Field(default_factory=empty_list)
    """Excluded conclusions reached together; in the JSON only when there are some."""
    sources: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """What is known of each source the conclusions rest on (see results/evidence.py)."""
    disclaimer: str | None = None
    """The KB's disclaimer, shown with every answer; in the JSON only when it has one."""
    language: str | None = None
    """The language the answer's wording is in, when another than the KB's default was
    asked for (`lang=`); in the JSON only then, so an answer in the default language
    reads as it always did."""

    _content: KBContent = PrivateAttr()
    _trace: Trace = PrivateAttr()
    _proofs: Proofs = PrivateAttr()
    # Kept out of model_dump on purpose: the dump must be the same bytes for the same
    # profile and KB, and a record id is random.
    _audit_record_id: str | None = PrivateAttr(default=None)

    @model_serializer(mode="wrap")
    def _without_empty_conflicts(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Results of a sound KB stay byte for byte what they were before `conflicts`.
        self._materialise()
        data = handler(self)
        if isinstance(data, dict):
            for name in ("conflicts", "disclaimer", "language"):
                if not data.get(name):
                    data.pop(name, None)
        return data

    def __getstate__(self) -> dict[Any, Any]:
        # Pickled as data: the KB (a compiled rule engine with locks) stays in its
        # process, and the trace is only useful next to it.
        state: dict[Any, Any] = super().__getstate__()
        private = state.get("__pydantic_private__") or {}
        state["__pydantic_private__"] = {
            name: value for name, value in private.items() if name not in _ATTACHMENT
        }
        return state

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Result:
        # The data is copied; the KB, trace and proofs are never changed once built,
        # so the copy shares them and can still explain itself.
        data = {name: copy.deepcopy(getattr(self, name), memo) for name in type(self).model_fields}
        twin = type(self).model_construct(set(self.model_fields_set), **data)
        for name, value in (self.__pydantic_private__ or {}).items():
            setattr(twin, name, value)
        return twin

    def __eq__(self, other: object) -> bool:
        # Equal as data: a pickled or rebuilt copy equals the result it came from.
        if not isinstance(other, Result):
            return NotImplemented
        self._materialise()
        other._materialise()
        return self.__dict__ == other.__dict__

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Result:
        """A copy; with `update` changing any field, a *detached* one.

        The KB, trace and proofs explain the data they built: a copy whose data differs
        (another profile, other conclusions, another KB stamp) would be explained by
        them under false pretences, so it cannot explain itself.
        """
        twin = super().model_copy(update=update, deep=deep)
        if update and any(getattr(self, name, None) != value for name, value in update.items()):
            private = twin.__pydantic_private__ or {}
            twin.__pydantic_private__ = {
                name: value for name, value in private.items() if name not in _ATTACHMENT
            }
        return twin

    def _evaluated_by(self) -> KBContent:
        """The content of the KB that evaluated this result, which explanations walk."""
        content: KBContent | None = (self.__pydantic_private__ or {}).get("_content")
        if content is None:
            raise HealthKBError(
                "this Result is detached from the knowledge base that evaluated it (it was "
                "pickled, rebuilt from its data, or copied with changed data), so it cannot "
                "explain itself; evaluate its profile again: kb.evaluate(result.profile), "
                f"with a KB whose digest is {self.kb_digest}"
            )
        stamp = (self.kb_id, self.kb_version, self.kb_digest)
        kb = (content.manifest.id, content.version, content.digest)
        if stamp != kb:
            # Only reachable by writing past the frozen model (object.__setattr__).
            raise HealthKBError(
                f"this Result says it comes from {' '.join(stamp)}, but the knowledge base "
                f"that evaluated it is {' '.join(kb)}; it cannot explain "
                "itself: evaluate its profile again"
            )
        return content

    @property
    def audit_record_id(self) -> str | None:
        """The id of the audit log record of this evaluation, or None if it was not logged."""
        return self._audit_record_id

    def conclusion(self, conclusion_id: str) -> ConclusionResult | None:
        """The conclusion with this id, or None if it was not reached."""
        check_conclusion_id(conclusion_id)
        return next((c for c in self.conclusions if c.id == conclusion_id), None)

    @property
    def conclusion_ids(self) -> list[str]:
        return [c.id for c in self.conclusions]

    def explain(self, conclusion_id: str) -> Explanation:
        """The proof tree of a conclusion, down to input facts and quoted passages."""
        overdue = frozenset(s for s, known in self.sources.items() if known.get("stale"))
        return explaining.explain(
            self._evaluated_by(), self._trace, self._proofs, conclusion_id, overdue
        )

    def why_not(self, conclusion_id: str) -> WhyNot:
        """Why a conclusion was not reached: for each rule, every condition that failed."""
        return explaining.why_not(self._evaluated_by(), self._trace, self._proofs, conclusion_id)

    def rule_why_not(self, rule_id: str) -> Tree:
        """Why one rule did not fire: every failed condition, traced like `why_not`.

        The tree has the shape of one entry of `why_not(...).to_dict()["rules"]`;
        `failed` is None when the rule did fire. Raises `HealthKBError` for a rule id
        the KB does not have.
        """
        content = self._evaluated_by()
        if rule_id not in content.rules:
            raise HealthKBError(
                f"unknown rule `{rule_id}` ({did_you_mean(rule_id, content.rules)})"
            )
        return explaining.rule_why_not(content, self._trace, rule_id)

    def what_if(
        self,
        conclusion_id: str,
        *,
        avoid: bool = False,
        alternatives: int = DEFAULT_ALTERNATIVES,
    ) -> WhatIf:
        """The smallest changes to this profile that reach the conclusion (with `avoid`,
        that stop it): up to `alternatives` proposals, cheapest first, each confirmed by
        evaluating the changed profile. Only attributes the vocabulary marks `changeable`
        change; no proposal is an answer too ("no change reaches it")."""
        content = self._evaluated_by()
        return what_if_search.what_if(
            content, self.profile, conclusion_id, avoid=avoid, alternatives=alternatives
        )

    def to_cds_cards(self) -> dict[str, Any]:
        """The conclusions as a CDS Hooks 2.0 response: `{"cards": [...]}`, one card each.

        Each card's `uuid` derives from the audit record id when the evaluation was
        logged, and otherwise from the KB digest, the profile and the conclusion.
        """
        sources = {
            source_id: (source.title, source.publisher, source.url)
            for source_id, source in self._evaluated_by().sources.items()
        }
        explanations = {c.id: self.explain(c.id).to_dict() for c in self.conclusions}
        return cds_cards(
            self.conclusion_ids, self.profile, explanations, sources, self._audit_record_id
        )


Cited = dict[tuple[str, str], list[ResolvedCitation]]


@dataclass(frozen=True)
class Reached:
    """A conclusion reached, the rule (and rule version) of its proof, and the evidence
    level and staleness of that derivation (as `ConclusionResult`'s `evidence` and
    `stale`)."""

    id: str
    kind: str
    certainty: str
    rule_id: str
    rule_version: int
    evidence_level: str = ""
    stale: bool = False


def conclusions_reached(
    content: KBContent, trace: Trace, overdue: frozenset[str] = frozenset()
) -> list[Reached]:
    """The conclusions of an evaluation as `build_result` orders them, without the rest
    of a result (facts used, citations, derived facts, firings). `overdue`: the sources
    past their review date today."""
    reached = []
    proofs = choose_proofs(trace, others=False)
    for conclusion_id, firing in proofs.conclusions.items():
        declared = content.conclusions[conclusion_id]
        version = content.rules[firing.rule_id].version
        standing = evidence_standing(content, trace.facts, proofs, conclusion_id, overdue)
        reached.append(
            Reached(
                conclusion_id,
                declared.kind,
                declared.certainty,
                firing.rule_id,
                version,
                standing.level,
                standing.stale,
            )
        )
    reached.sort(key=lambda c: (KIND_RANK[c.kind], c.id))
    return reached


def build_result(
    content: KBContent,
    profile: dict[str, Any],
    trace: Trace,
    cited: Cited | None = None,
    overdue: frozenset[str] = frozenset(),
) -> Result:
    """The result of an evaluation. `cited`: the citations of each (conclusion, rule)
    pair, filled as they are met; pass the same dict for every result of one KB.
    `overdue`: the sources past their review date today (see `overdue_sources`)."""
    build = _ResultBuilder(content, trace, choose_proofs(trace), {} if cited is None else cited)
    conclusions = build.conclusions(overdue)

    def the_rest() -> dict[str, Any]:
        # Built when first read (deferred.py): on a large KB, most of a result's cost.
        for conclusion in conclusions:
            conclusion._materialise()  # its other derivations add the sources they rest on
        return {
            "derived": build.derived(),
            "fired": build.fired(),
            "sources": {
                source_id: provenance(content.sources[source_id], stale=source_id in overdue)
                for source_id in sorted(build.sources)
            },
        }

    return defer(
        Result,
        the_rest,
        _private={"_content": content, "_trace": trace, "_proofs": build.proofs},
        kb_id=content.manifest.id,
        kb_version=content.version,
        kb_digest=content.digest,
        profile=dict(profile),
        conclusions=conclusions,
        conflicts=_conflicts(content.conclusions, conclusions),
        disclaimer=content.manifest.disclaimer,
        language=content.language,
    )


class _ResultBuilder:
    """The parts of one result, from a trace and its chosen proofs (models built trusted:
    the engine made them, so they are not validated again)."""

    def __init__(self, content: KBContent, trace: Trace, proofs: Proofs, cited: Cited) -> None:
        self.content, self.trace, self.proofs, self.cited = content, trace, proofs, cited
        self.facts = trace.facts
        self.rules = content.rules
        self._facts_used: dict[int, FactUsed] = {}  # a fact is often used by several firings
        self.sources: set[str] = set()
        """Every source the conclusions' derivations cite (filled by `conclusions`)."""

    def fact_used(self, index: int) -> FactUsed:
        used = self._facts_used.get(index)
        if used is None:
            fact = self.facts[index]
            used = self._facts_used[index] = _trusted(
                FactUsed, fact=fact.type, values=fact.values, origin=fact.origin
            )
        return used

    def used(self, firing: Firing) -> list[FactUsed]:
        return [self.fact_used(i) for _, i in firing.bound]

    def conclusions(self, overdue: frozenset[str]) -> list[ConclusionResult]:
        conclusions = []
        for conclusion_id, firing in self.proofs.conclusions.items():
            declared = self.content.conclusions[conclusion_id]
            rule = self.rules[firing.rule_id]
            citations = self.cited.get((conclusion_id, rule.id))
            if citations is None:
                resolve = self.content.citations.resolve
                citations = self.cited[conclusion_id, rule.id] = _unique(
                    [resolve(c) for c in (*declared.because, *rule.because)]
                )
            standing = evidence_standing(
                self.content, self.facts, self.proofs, conclusion_id, overdue
            )
            self.sources |= standing.sources
            conclusions.append(
                defer(
                    ConclusionResult,
                    self.other_derivations(conclusion_id),
                    id=conclusion_id,
                    kind=declared.kind,
                    certainty=declared.certainty,
                    statement=declared.statement,
                    rule_id=rule.id,
                    rule_version=rule.version,
                    rule_title=rule.title,
                    facts_used=self.used(firing),
                    citations=list(citations),
                    evidence=standing.evidence(),
                    stale=standing.stale,
                )
            )
        conclusions.sort(key=lambda c: (KIND_RANK[c.kind], c.id))
        return conclusions

    def other_derivations(self, conclusion_id: str) -> Callable[[], dict[str, Any]]:
        """What builds a conclusion's `also_reached_by` when it is first read."""
        return lambda: {
            "also_reached_by": [self.derivation(f) for f in self.proofs.also.get(conclusion_id, ())]
        }

    def derivation(self, firing: Firing) -> Derivation:
        """Another derivation of a conclusion, with the sources it rests on."""
        rule = self.rules[firing.rule_id]
        sources = derivation_sources(self.content, self.facts, self.proofs, firing)
        self.sources |= sources
        resolve = self.content.citations.resolve
        return _trusted(
            Derivation,
            rule_id=rule.id,
            rule_version=rule.version,
            rule_title=rule.title,
            facts_used=self.used(firing),
            citations=_unique([resolve(c) for c in rule.because]),
            sources=sorted(sources),
        )

    def derived(self) -> list[DerivedFact]:
        facts = self.facts
        return [
            _trusted(
                DerivedFact,
                fact=facts[index].type,
                values=facts[index].values,
                rule_id=firing.rule_id,
                rule_version=self.rules[firing.rule_id].version,
            )
            for index, firing in sorted(
                self.proofs.facts.items(),
                key=lambda item: (facts[item[0]].type, facts[item[0]].canonical),
            )
        ]

    def fired(self) -> list[FiredRule]:
        # By rule and alternative (`proofs.key` begins with them), then bound facts.
        return [
            _trusted(
                FiredRule,
                rule_id=f.rule_id,
                rule_version=self.rules[f.rule_id].version,
                alternative=f.conjunction,
                facts_used=self.used(f),
                derived=self.fact_used(f.derived) if f.derived is not None else None,
                concluded=f.conclusion,
            )
            for f in sorted(_unique_firings(self.trace.firings), key=self.proofs.key)
        ]


_M = TypeVar("_M", bound=BaseModel)


def _trusted(model: type[_M], _private: dict[str, Any] | None = None, **values: Any) -> _M:
    """An instance of `model` from values that need no validation (validate once: they
    come from content validated when the KB loaded, or from the validated profile).

    What pydantic's `model_construct` does for a model without defaults left out or
    extra fields, without its per-field bookkeeping, which made it no faster than
    validating. Every field is given, and every private attribute in `_private`.
    """
    instance = model.__new__(model)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", _private)
    return instance


_set = object.__setattr__


def _conflicts(
    declared: Mapping[str, Conclusion], reached: list[ConclusionResult]
) -> list[Conflict]:
    """Each pair of reached conclusions that one of them excludes (either way)."""
    by_id = {c.id: c for c in reached}
    found = []
    for first, second in combinations(sorted(by_id), 2):
        if second in declared[first].excludes or first in declared[second].excludes:
            rules = [by_id[first].rule_id, by_id[second].rule_id]
            found.append(
                Conflict(
                    conclusions=[first, second],
                    rules=rules,
                    message=f"the knowledge base reached both `{first}` (rule `{rules[0]}`) "
                    f"and `{second}` (rule `{rules[1]}`), which exclude each other: neither "
                    "is reliable guidance for this profile (a defect of the KB; `healthkb "
                    "analyze` reports it)",
                )
            )
    return found


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
