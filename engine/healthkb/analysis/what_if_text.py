"""A what-if as the indented text `healthkb explain --what-if` prints, and how many
proposals one gives: what `Result.what_if` and the command line need to know without
importing the search itself (what_if.py, which `healthkb evaluate` never runs)."""

from __future__ import annotations

import json
from typing import Any

DEFAULT_ALTERNATIVES = 3
"""How many proposals a what-if gives unless asked for another number."""

MAX_ALTERNATIVES = 20
"""The most proposals one what-if may ask for (each is one more optimisation)."""

_STEP = "  "


def _value(value: Any) -> str:
    return "(not given)" if value is None else json.dumps(value, ensure_ascii=False)


def what_if_text(tree: dict[str, Any]) -> str:
    """Each proposal: its changes, its cost, what it reaches and loses, its passages."""
    name = tree["conclusion"]
    verb = "avoid" if tree["avoid"] else "reach"
    if not tree["proposals"]:
        return f"no change of changeable attributes can {verb} {name}"
    lines = [f"what would it take to {verb} {name}?"]
    for number, proposal in enumerate(tree["proposals"], 1):
        if not proposal["changes"]:
            done = "avoided" if tree["avoid"] else "reached"
            lines.append(f"{_STEP}nothing to change: {name} is already {done}")
            continue
        lines.append(f"{_STEP}proposal {number} (cost {proposal['cost']}):")
        pad = _STEP * 2
        for change in proposal["changes"]:
            before, after = _value(change["from"]), _value(change["to"])
            lines.append(f"{pad}change {change['attribute']} from {before} to {after}")
        lines.append(f"{pad}reaches {', '.join(proposal['reaches']) or 'nothing'}")
        if proposal["loses"]:
            lines.append(f"{pad}loses safety advice: {', '.join(proposal['loses'])}")
        for passage in proposal["passages"]:
            how = "fires" if passage["fires"] else "stops"
            lines.append(
                f"{pad}rule {passage['rule']} {how}: source {passage['source']} "
                f"{passage['sentence']} [{passage['start']}:{passage['end']}]: "
                f"“{passage['quote']}”"
            )
    return "\n".join(lines)
