"""Choosing one well-founded, order-independent proof for every fact and conclusion.

A fact may be derived by several firings. The proof shown is the one of least depth
(input facts have depth 0; a firing is one deeper than the deepest fact it used),
ties broken by rule id and bound facts, so the choice never depends on the order in
which durable_rules happened to fire rules, and never goes round a cycle.

A conclusion may be reached by several derivations (two rules, perhaps resting on two
sources): the others are kept in the same order, each distinct firing once, so that an
explanation lists every derivation that reached it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..runtime.engine import Firing, Trace


@dataclass(frozen=True)
class Proofs:
    """For each derived fact and each conclusion, the firing that proves it."""

    facts: dict[int, Firing]
    conclusions: dict[str, Firing]
    canonical: dict[int, str]  # fact index -> canonical text, stable across runs
    also: dict[str, list[Firing]] = field(default_factory=dict)
    """For a conclusion reached by more than one derivation, the other firings, ranked."""

    def key(self, firing: Firing) -> tuple[str, int, tuple[str, ...]]:
        return firing.rule_id, firing.conjunction, tuple(self.canonical[i] for _, i in firing.bound)


def choose_proofs(trace: Trace) -> Proofs:
    canonical = {fact.index: fact.canonical for fact in trace.facts}
    depth = {fact.index: 0 for fact in trace.facts if fact.origin != "derived"}
    changed = True
    while changed:
        changed = False
        for firing in trace.firings:
            if firing.derived is None or not all(i in depth for _, i in firing.bound):
                continue
            candidate = 1 + max((depth[i] for _, i in firing.bound), default=0)
            if candidate < depth.get(firing.derived, candidate + 1):
                depth[firing.derived] = candidate
                changed = True

    def rank(firing: Firing) -> tuple[int, str, int, tuple[str, ...]]:
        firing_depth = max((depth.get(i, 1 << 30) for _, i in firing.bound), default=0)
        bound = tuple(canonical[i] for _, i in firing.bound)
        return firing_depth, firing.rule_id, firing.conjunction, bound

    facts: dict[int, Firing] = {}
    conclusions: dict[str, Firing] = {}
    also: dict[str, list[Firing]] = {}
    for firing in sorted(trace.firings, key=rank):
        if firing.derived is not None:
            facts.setdefault(firing.derived, firing)
        if firing.conclusion is not None:
            first = conclusions.setdefault(firing.conclusion, firing)
            if first is not firing and _distinct(firing, first, also.get(firing.conclusion)):
                also.setdefault(firing.conclusion, []).append(firing)
    return Proofs(facts, conclusions, canonical, also)


def _distinct(firing: Firing, first: Firing, others: list[Firing] | None) -> bool:
    """Whether a firing is another derivation than those kept (a rule may fire twice on
    the same facts)."""
    key = (firing.rule_id, firing.conjunction, firing.bound)
    kept = [first, *(others or [])]
    return all((f.rule_id, f.conjunction, f.bound) != key for f in kept)
