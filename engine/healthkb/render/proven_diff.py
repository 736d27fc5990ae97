"""What `healthkb diff OLD NEW --prove` prints: the differences in behaviour, proved."""

from __future__ import annotations

import json
from typing import Any


def proven_diff_json(tree: dict[str, Any]) -> str:
    """`{"unchanged": BOOL, "differences": [...]}`, indented, keys sorted."""
    return json.dumps(tree, indent=2, ensure_ascii=False, sort_keys=True)


def proven_diff_text(tree: dict[str, Any], old: str, new: str) -> str:
    """Each conclusion gained or lost, where (the region's conditions) and a witness."""
    head = f"OLD: {old}\nNEW: {new}"
    if tree["unchanged"]:
        return f"{head}\nproven unchanged in behaviour: no valid profile concludes differently"
    count = len(tree["differences"])
    lines = [head, f"proven over every valid profile: {count} region(s) conclude differently"]
    for difference in tree["differences"]:
        lines.append(f"  {difference['change']} {difference['conclusion']} where")
        lines.append(f"    {difference['region']}")
        witness = json.dumps(difference["witness"], ensure_ascii=False, sort_keys=True)
        lines.append(f"    for example {witness}")
    for more in tree.get("more_regions", []):
        lines.append(f"  ({more}: more regions than shown)")
    return "\n".join(lines)
