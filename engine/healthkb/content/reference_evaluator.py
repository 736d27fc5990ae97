"""A plain-Python evaluator of the same rule semantics, for checking the engine.

It is deliberately naive: strata in order, and within a stratum every rule is tried
against every fact until nothing new appears. Tests compare it with the durable_rules
path on generated profiles; benchmarks measure both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .loading.kb_content import KBContent
from .logic import FactValues, holds


@dataclass(frozen=True)
class ReferenceResult:
    conclusions: frozenset[str]
    derived: frozenset[str]  # "fact:{json values}"
    fired: frozenset[str]  # rule ids


def evaluate(content: KBContent, profile: dict[str, Any]) -> ReferenceResult:
    """Evaluate a validated profile (plain dict) with the KB's active rules."""
    facts: dict[str, list[FactValues]] = {name: [values] for name, values in profile.items()}
    for name, fact in content.vocabulary.background.items():
        facts.setdefault(name, []).append(dict(fact.values))
    rules = content.active_rules()
    conclusions: set[str] = set()
    derived: set[str] = set()
    fired: set[str] = set()
    for stratum in sorted({content.strata[r.id] for r in rules}):
        layer = [r for r in rules if content.strata[r.id] == stratum]
        changed = True
        while changed:
            changed = False
            for rule in layer:
                if not any(holds(c, facts) for c in content.dnf[rule.id]):
                    continue
                fired.add(rule.id)
                if rule.then.conclude is not None:
                    conclusions.add(rule.then.conclude)
                elif rule.then.derive is not None:
                    values = dict(rule.then.derive.values)
                    key = f"{rule.then.derive.fact}:{json.dumps(values, sort_keys=True)}"
                    if key not in derived:
                        derived.add(key)
                        facts.setdefault(rule.then.derive.fact, []).append(values)
                        changed = True
    return ReferenceResult(frozenset(conclusions), frozenset(derived), frozenset(fired))
