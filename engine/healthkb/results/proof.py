"""Choosing one well-founded, order-independent proof for every fact and conclusion.

A fact may be derived by several firings. The proof shown is the one of least depth
(input facts have depth 0; a firing is one deeper than the deepest fact it used),
ties broken by rule id and bound facts, so the choice never depends on the order in
which durable_rules happened to fire rules, and never goes round a cycle.

A conclusion may be reached by several derivations (two rules, perhaps resting on two
sources): the others are kept in the same order, each distinct firing once, so that an
explanation lists every derivation that reached it.

Its fast paths, and why they give the same answer: docs/performance.md,
"Proofs, and what a result builds when read".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..runtime.engine import Firing, FiringRecord, Trace

_Rank = tuple[int, str, int]  # depth, rule id, conjunction: a firing's rank before its facts


@dataclass(frozen=True)
class Proofs:
    """For each derived fact and each conclusion, the firing that proves it."""

    facts: dict[int, Firing]
    conclusions: dict[str, Firing]
    canonical: list[str]  # each fact's canonical text, by index: stable across runs
    reaching: dict[str, list[tuple[_Rank, FiringRecord]]] = field(default_factory=dict)
    """Every firing that reached each conclusion, with its rank, in firing order (kept
    by `choose_proofs(..., others=True)`, for `also`; plain tuples: see `FiringRecord`)."""

    def key(self, firing: Firing) -> tuple[str, int, tuple[str, ...]]:
        return firing.rule_id, firing.conjunction, tuple(self.canonical[i] for _, i in firing.bound)

    @cached_property
    def also(self) -> dict[str, list[Firing]]:
        """For a conclusion reached by more than one derivation, the other firings, ranked.

        Worked out when first read (an explanation, or a result's `also_reached_by`): on
        a large KB a conclusion may be reached by dozens of firings, and ranking them
        all costs more than choosing the proofs."""
        canonical = self.canonical
        also: dict[str, list[Firing]] = {}
        for conclusion_id, reaching in self.reaching.items():
            if len(reaching) < 2:
                continue
            # A stable sort: on a tie the earlier firing comes first, as `choose_proofs`
            # kept it, so the first is the conclusion's proof.
            ranked = sorted(reaching, key=lambda c: (c[0], _bound_text(c[1], canonical)))
            kept = [ranked[0][1]]
            for _, firing in ranked[1:]:
                # A rule may fire twice on the same facts: one derivation.
                if all(firing[:3] != other[:3] for other in kept):
                    kept.append(firing)
            if len(kept) > 1:
                also[conclusion_id] = [Firing._make(firing) for firing in kept[1:]]
        return also


NEVER = 1 << 30
"""The depth of a fact no well-founded firing derives (never met on a real trace)."""


def choose_proofs(trace: Trace, *, others: bool = True) -> Proofs:
    """The proof of every fact and conclusion; with `others`, also what ranks every other
    derivation of each conclusion (`Proofs.also`), which only a full result shows.

    A firing ranks by (depth, rule id, conjunction, bound facts' text). Each fact's and
    each conclusion's proof is the least firing that derives it: a minimum, not a sort
    of every firing, and the bound facts' text is only compared between firings of the
    same rule at the same depth. Only a conclusion's own firings are sorted, to list the
    others in order, and only when they are read (`Proofs.also`).
    """
    canonical = [fact.canonical for fact in trace.facts]  # a fact's index is its place
    depth = _depths(trace)
    facts: dict[int, tuple[_Rank, FiringRecord]] = {}
    least: dict[str, tuple[_Rank, FiringRecord]] = {}
    reaching: dict[str, list[tuple[_Rank, FiringRecord]]] = {}
    for firing in trace.records:
        rule_id, conjunction, bound, conclusion, derived = firing
        rank = (max([depth[i] for _, i in bound], default=0), rule_id, conjunction)
        # Kept if it ranks before the one kept so far (the earlier one on a tie, as a
        # stable sort of every firing would); the bound facts' text only on a tie.
        if derived is not None:
            known = facts.get(derived)
            if (
                known is None
                or rank < known[0]
                or (rank == known[0] and _before(firing, known[1], canonical))
            ):
                facts[derived] = (rank, firing)
        if conclusion is not None:
            known = least.get(conclusion)
            if (
                known is None
                or rank < known[0]
                or (rank == known[0] and _before(firing, known[1], canonical))
            ):
                least[conclusion] = (rank, firing)
            if others:
                reaching.setdefault(conclusion, []).append((rank, firing))
    return Proofs(
        {index: Firing._make(chosen) for index, (_, chosen) in facts.items()},
        {conclusion_id: Firing._make(chosen) for conclusion_id, (_, chosen) in least.items()},
        canonical,
        reaching,
    )


def _depths(trace: Trace) -> list[int]:
    """Each fact's depth, by index: 0 for input and background facts, and for a derived
    fact one more than the deepest fact used by its shallowest derivation (`NEVER` for
    a fact no well-founded firing derives).

    The firings are walked in the order they fired, so every fact a firing used already
    has a depth when it is met; unless a later derivation lowers a depth some firing
    already used, one walk gives the fixpoint, and only then is it walked again.
    """
    depth = [NEVER if fact.origin == "derived" else 0 for fact in trace.facts]
    deriving = [
        (derived, bound) for _, _, bound, _, derived in trace.records if derived is not None
    ]
    changed = True
    while changed:
        lowered = skipped = added = False
        for derived, bound in deriving:
            used = max([depth[i] for _, i in bound], default=0)
            if used >= NEVER:
                skipped = True  # used a fact not derived yet (not on a real trace)
                continue
            known = depth[derived]
            if known == NEVER:
                depth[derived] = used + 1
                added = True
            elif used + 1 < known:
                depth[derived] = used + 1
                lowered = True
        changed = lowered or (skipped and added)
    return depth


def _bound_text(firing: FiringRecord, canonical: list[str]) -> tuple[str, ...]:
    return tuple(canonical[i] for _, i in firing[2])


def _before(firing: FiringRecord, other: FiringRecord, canonical: list[str]) -> bool:
    """Whether `firing` ranks before `other`, a firing of the same rank, by bound facts."""
    return _bound_text(firing, canonical) < _bound_text(other, canonical)
