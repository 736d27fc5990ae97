"""Knowledge bases of any size for benchmarks: the seed KB plus synthetic rule groups.

Every synthetic group has an input fact type of its own, a derived fact and a
conclusion, so most rules of a large KB test fact types that a running profile never
gives. That is the shape a growing KB has: many articles, each about other facts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEED_RULES = 15
RULES_PER_GROUP = 50
RULES_PER_FILE = 250
SOURCE_ID = "synthetic-benchmark"
QUOTE = "A measure above its threshold may call for this advice."

SOURCE = f"""\
id: {SOURCE_ID}
title: Synthetic benchmark source
publisher: healthkb benchmarks
author: healthkb
published: 2026-01-01
language: en
text: |-
  {QUOTE}
"""


def write_generated_kb(root: Path, rules: int, *, changeable: bool = False) -> Path:
    """Write the seed KB plus synthetic groups to `root`, `rules` rules in all; with
    `changeable`, the synthetic measures are changeable (for what-if benchmarks)."""
    shutil.copytree(ROOT / "kb", root / "kb", ignore=shutil.ignore_patterns("tests", "schemas"))
    shutil.copytree(ROOT / "rules", root / "rules")
    (root / "kb" / "sources" / f"{SOURCE_ID}.yaml").write_text(SOURCE, encoding="utf-8")
    synthetic = max(rules - SEED_RULES, 0)
    groups = [
        range(start, min(start + RULES_PER_GROUP, synthetic))
        for start in range(0, synthetic, RULES_PER_GROUP)
    ]
    _extend_vocabulary(root, len(groups), changeable)
    _extend_conclusions(root, len(groups))
    written = [rule for number, group in enumerate(groups) for rule in _group_rules(number, group)]
    for start in range(0, len(written), RULES_PER_FILE):
        text = yaml.safe_dump({"rules": written[start : start + RULES_PER_FILE]}, sort_keys=False)
        (root / "rules" / f"synthetic_{start // RULES_PER_FILE:04d}.yaml").write_text(text)
    return root


def group_profile(group: int, level: int) -> dict[str, dict[str, object]]:
    """Input facts that make synthetic group `group` derive and conclude."""
    return {f"measure_{group}": {"level": level, "flagged": True}}


def _extend_vocabulary(root: Path, groups: int, changeable: bool = False) -> None:
    path = root / "kb" / "facts.yaml"
    vocabulary = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in range(groups):
        level: dict[str, object] = {
            "type": "integer",
            "min": 0,
            "max": 100,
            "description": "Level.",
        }
        flagged: dict[str, object] = {"type": "bool", "description": "Flagged."}
        if changeable:
            level["changeable"] = flagged["changeable"] = True
        vocabulary["input"][f"measure_{group}"] = {
            "description": f"Synthetic measure {group}.",
            "attributes": {"level": level, "flagged": flagged},
        }
        vocabulary["derived"][f"measure_{group}_state"] = {
            "description": f"State of synthetic measure {group}.",
            "attributes": {
                "state": {"type": "enum", "values": ["high"], "description": "State."},
            },
        }
    path.write_text(yaml.safe_dump(vocabulary, sort_keys=False, allow_unicode=True))


def _extend_conclusions(root: Path, groups: int) -> None:
    path = root / "kb" / "conclusions.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    for group in range(groups):
        content["conclusions"].append(
            {
                "id": f"measure_{group}_advice",
                "kind": "information",
                "certainty": "possible",
                "statement": f"Synthetic measure {group} may call for advice.",
                "because": [{"source": SOURCE_ID, "quote": QUOTE}],
            }
        )
    path.write_text(yaml.safe_dump(content, sort_keys=False, allow_unicode=True))


def _group_rules(group: int, numbers: range) -> list[dict[str, object]]:
    """Half the group derives the measure's state, half concludes from it."""
    fact = f"measure_{group}"
    rules: list[dict[str, object]] = []
    for number in numbers:
        threshold = number % RULES_PER_GROUP
        if number % 2 == 0:
            when: dict[str, object] = {
                "all": [
                    {"fact": f"{fact}.level", "gt": threshold},
                    {"fact": f"{fact}.flagged", "eq": True},
                ]
            }
            then: dict[str, object] = {
                "derive": {"fact": f"{fact}_state", "values": {"state": "high"}}
            }
        else:
            when = {
                "all": [
                    {"fact": f"{fact}_state.state", "eq": "high"},
                    {"fact": f"{fact}.level", "ge": threshold},
                ]
            }
            then = {"conclude": f"{fact}_advice"}
        rules.append(
            {
                "id": f"synthetic_{number:05d}",
                "version": 1,
                # The title states the threshold, as the number check requires.
                "title": f"Synthetic rule {number}: a level "
                + ("more than" if number % 2 == 0 else "at least")
                + f" {threshold}",
                "status": "active",
                "when": when,
                "then": then,
                "because": [{"source": SOURCE_ID, "quote": QUOTE}],
            }
        )
    return rules
