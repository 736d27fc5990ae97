"""Walking why-not trees in their JSON form."""

from __future__ import annotations

from typing import Any


def rule_nodes(tree: Any) -> list[dict[str, Any]]:
    """Every rule node of a why-not tree, in the order they are shown."""
    found = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "status" in node and "failed" in node:
                found.append(node)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found
