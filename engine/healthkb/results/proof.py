"""Choosing one well-founded, order-independent proof for every fact and conclusion.

A fact may be derived by several firings. The proof shown is the one of least depth
(input facts have depth 0; a firing is one deeper than the deepest fact it used),
ties broken by rule id and bound facts, so the choice never depends on the order in
which durable_rules happened to fire rules, and never goes round a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from ..runtime.engine import Firing, Trace


@dataclass(frozen=True)
class Proofs:
    """For each derived fact and each conclusion, the firing that proves it."""

    facts: dict[int, Firing]
    conclusions: dict[str, Firing]
    canonical: dict[int, str]  # fact index -> canonical text, stable across runs

    def key(self, firing: Firing) -> tuple[str, int, tuple[str, ...]]:
        return firing.rule_id, firing.conjunction, tuple(self.canonical[i] for _, i in firing.bound)


NEVER = 1 << 30
"""The depth of a fact no well-founded firing derives (never met on a real trace)."""


def choose_proofs(trace: Trace) -> Proofs:
    canonical = {fact.index: fact.canonical for fact in trace.facts}
    depth = _depths(trace)
    # The least firing by (depth, rule id, conjunction, bound facts) for each fact and
    # each conclusion: a minimum per target, not a sort of every firing. The bound facts'
    # text is only compared between firings of the same rule at the same depth.
    facts: dict[int, tuple[tuple[int, str, int], Firing]] = {}
    conclusions: dict[str, tuple[tuple[int, str, int], Firing]] = {}
    for firing in trace.firings:
        firing_depth = max([depth.get(i, NEVER) for _, i in firing.bound], default=0)
        prefix = (firing_depth, firing.rule_id, firing.conjunction)
        if firing.derived is not None:
            _keep_least(facts, firing.derived, prefix, firing, canonical)
        if firing.conclusion is not None:
            _keep_least(conclusions, firing.conclusion, prefix, firing, canonical)
    return Proofs(
        {index: chosen for index, (_, chosen) in facts.items()},
        {conclusion_id: chosen for conclusion_id, (_, chosen) in conclusions.items()},
        canonical,
    )


def _depths(trace: Trace) -> dict[int, int]:
    """Each fact's depth: 0 for input and background facts, and for a derived fact one
    more than the deepest fact used by its shallowest derivation."""
    depth = {fact.index: 0 for fact in trace.facts if fact.origin != "derived"}
    deriving = [
        (f.derived, [i for _, i in f.bound]) for f in trace.firings if f.derived is not None
    ]
    changed = True
    while changed:
        changed = False
        for derived, bound in deriving:
            if not all(i in depth for i in bound):
                continue
            candidate = 1 + max([depth[i] for i in bound], default=0)
            if candidate < depth.get(derived, candidate + 1):
                depth[derived] = candidate
                changed = True
    return depth


_T = TypeVar("_T")


def _keep_least(
    chosen: dict[_T, tuple[tuple[int, str, int], Firing]],
    target: _T,
    prefix: tuple[int, str, int],
    firing: Firing,
    canonical: dict[int, str],
) -> None:
    """Keep `firing` for `target` if it ranks before the one kept so far (the earlier
    one on a tie, as a stable sort of every firing would)."""
    known = chosen.get(target)
    if known is None or prefix < known[0]:
        chosen[target] = (prefix, firing)
    elif prefix == known[0]:
        text = tuple(canonical[i] for _, i in firing.bound)
        if text < tuple(canonical[i] for _, i in known[1].bound):
            chosen[target] = (prefix, firing)
