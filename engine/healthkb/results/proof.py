"""Choosing one well-founded, order-independent proof for every fact and conclusion.

A fact may be derived by several firings. The proof shown is the one of least depth
(input facts have depth 0; a firing is one deeper than the deepest fact it used),
ties broken by rule id and bound facts, so the choice never depends on the order in
which durable_rules happened to fire rules, and never goes round a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.engine import Firing, Trace


@dataclass(frozen=True)
class Proofs:
    """For each derived fact and each conclusion, the firing that proves it."""

    facts: dict[int, Firing]
    conclusions: dict[str, Firing]
    canonical: dict[int, str]  # fact index -> canonical text, stable across runs

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
    for firing in sorted(trace.firings, key=rank):
        if firing.derived is not None:
            facts.setdefault(firing.derived, firing)
        if firing.conclusion is not None:
            conclusions.setdefault(firing.conclusion, firing)
    return Proofs(facts, conclusions, canonical)
