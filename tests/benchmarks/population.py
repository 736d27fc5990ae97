"""A synthetic population of profiles for the seed KB, as batch input (JSON Lines).

Deterministic for a seed; every profile valid, spread over the seed KB's conditions
(running load, diet, goals, discomfort), so that most of its rules fire for some.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

AREAS = ["thighs", "buttocks", "abdomen", "arms", "whole_body"]


def profile(chooser: random.Random) -> dict[str, Any]:
    """One person's profile; facts left out now and then, as real records have gaps."""
    facts: dict[str, Any] = {
        "running": {
            "intensity": chooser.choice(["low", "moderate", "high"]),
            "sessions_per_week": chooser.choice([0, 1, 2, 3, 3, 4, 4, 5, 6, 7]),
            "minutes_per_session": float(chooser.choice([10, 15, 25, 30, 35, 45, 45, 60])),
        },
        "diet": {
            "low_calorie": chooser.random() < 0.7,
            "nutrient_rich": chooser.random() < 0.8,
            "limits_high_fat_high_sugar": chooser.random() < 0.7,
            "frequent_high_calorie_foods": chooser.random() < 0.2,
        },
        "goals": {
            "target_areas": sorted(chooser.sample(AREAS, chooser.randint(0, 2))),
            "weight_management_concern": chooser.random() < 0.5,
        },
        "symptoms": {"physical_discomfort": chooser.random() < 0.15},
    }
    return {name: values for name, values in facts.items() if chooser.random() < 0.9}


def lines(count: int, seed: int = 10) -> Iterator[str]:
    """`count` input lines `{"id": "person-N", "profile": {...}}`, newline-terminated."""
    chooser = random.Random(seed)
    for number in range(1, count + 1):
        line = {"id": f"person-{number}", "profile": profile(chooser)}
        yield json.dumps(line, separators=(",", ":")) + "\n"


def write(path: Path, count: int, seed: int = 10) -> Path:
    """Write a population of `count` profiles to `path` (plain JSON Lines)."""
    with open(path, "w", encoding="utf-8") as file:
        file.writelines(lines(count, seed))
    return path
