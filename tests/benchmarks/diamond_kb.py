"""Diamond-chain KBs: each derived step can be reached by two rules, `steps` steps deep.

`step_1` holds when `start.go` is true (by two rules: one for a level of at least 1, one
for a level of at most 5); each `step_k` after it by two rules on `step_{k-1}`, one of them
also on `start.level`; `chain_end` is concluded from the last step. The KB validates; a
profile with `go: false` reaches nothing, and the why-not of `chain_end` must walk every
step. A search that only skips rules on its current path explains 2^steps paths.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import yaml

SOURCE_ID = "diamond"
QUOTE = "Each step may follow from the one before it."
CONCLUSION = "chain_end"


def diamond_files(steps: int) -> dict[str, str]:
    """The files of a diamond-chain KB of `steps` steps (2 * steps + 1 rules)."""
    source = {
        "id": SOURCE_ID,
        "title": "A chain of steps",
        "publisher": "healthkb tests",
        "author": "healthkb",
        "published": datetime.date(2026, 1, 1),
        "language": "en",
        "text": QUOTE,
    }
    flag = {"type": "bool", "description": "Reached."}
    facts = {
        "input": {
            "start": {
                "description": "Where the chain starts.",
                "attributes": {
                    "go": {"type": "bool", "description": "Start the chain."},
                    "level": {"type": "integer", "min": 0, "max": 10, "description": "Level."},
                },
            }
        },
        "derived": {
            f"step_{k}": {"description": f"Step {k}.", "attributes": {"reached": flag}}
            for k in range(1, steps + 1)
        },
    }
    conclusions = {
        "conclusions": [
            {
                "id": CONCLUSION,
                "kind": "outcome",
                "certainty": "possible",
                "statement": "The end of the chain may be reached.",
                "because": [{"source": SOURCE_ID, "quote": QUOTE}],
            }
        ]
    }
    rules = [rule for k in range(1, steps + 1) for rule in _step_rules(k)]
    rules.append(_rule("end_of_chain", {"fact": f"step_{steps}.reached", "eq": True}, CONCLUSION))
    manifest: dict[str, Any] = {"id": "diamond-kb", "title": "Diamond chain", "version": "1.0.0"}
    manifest["released"] = datetime.date(2026, 1, 1)
    return {
        "kb/kb.yaml": _dump(manifest),
        "kb/facts.yaml": _dump(facts),
        "kb/conclusions.yaml": _dump(conclusions),
        f"kb/sources/{SOURCE_ID}.yaml": _dump(source),
        "rules/chain.yaml": _dump({"rules": rules}),
    }


def _step_rules(k: int) -> list[dict[str, Any]]:
    before = (
        {"fact": "start.go", "eq": True}
        if k == 1
        else {"fact": f"step_{k - 1}.reached", "eq": True}
    )
    return [
        _rule(
            f"step_{k}_high",
            {"all": [before, {"fact": "start.level", "ge": 1}]},
            f"step_{k}",
            ": level at least 1",
        ),
        _rule(
            f"step_{k}_low",
            {"all": [before, {"fact": "start.level", "le": 5}]},
            f"step_{k}",
            ": level at most 5",
        ),
    ]


def _rule(rule_id: str, when: dict[str, Any], target: str, says: str = "") -> dict[str, Any]:
    then: dict[str, Any] = (
        {"conclude": target}
        if target == CONCLUSION
        else {"derive": {"fact": target, "values": {"reached": True}}}
    )
    return {
        "id": rule_id,
        "version": 1,
        "title": f"Rule {rule_id}{says}",
        "status": "active",
        "when": when,
        "then": then,
        "because": [{"source": SOURCE_ID, "quote": QUOTE}],
    }


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_diamond_kb(root: Path, steps: int) -> Path:
    """Write a diamond-chain KB of `steps` steps under `root`; return `root`."""
    for name, text in diamond_files(steps).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


NOTHING_REACHED: dict[str, Any] = {"start": {"go": False, "level": 3}}
