"""The KB as a picture: its inference network, laid out by Graphviz, as inline SVG.

One node per fact type (input, derived, background), rule and conclusion; an edge
from each fact type a rule tests to the rule, and from the rule to the fact it
derives or the conclusion it reaches. A rule's node shows its version; draft and
retired rules are drawn dashed. Each node links where the caller says (its page in
the report site); the nodes and edges of one proof can be highlighted.

The layout is Graphviz's `dot` (Debian's `graphviz` package), run as a program:
drawing a graph well is its job, not ours. Where it is not installed, `network_svg`
returns None and pages say how to get the picture.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..content.logic import walk_comparisons
from ..files.on_demand import OnDemand


def _import_subprocess() -> ModuleType:
    import subprocess

    return subprocess


if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent

if TYPE_CHECKING:
    import subprocess
else:
    # Imported when a page draws the network: `healthkb evaluate` imports this module
    # (with the explanation pages of `healthkb explain`) and draws nothing (start-up).
    subprocess = OnDemand(_import_subprocess)

DOT_TIMEOUT_SECONDS = 60
MISSING = (
    "The picture of the inference network needs Graphviz (`apt-get install graphviz`, "
    "or `brew install graphviz`); install it and build this page again."
)
# Node id -> the link of its node (None: no link).
Links = Callable[[str], str | None]

_FILL = {"input": "#ffffff", "derived": "#e7f0fb", "background": "#eeeeee"}
_CONCLUSION_FILL = {
    "warning": "#fde2e2",
    "outcome": "#fff3bf",
    "recommendation": "#e6fcf5",
    "information": "#f1f3f5",
}
_HIGHLIGHT = "#c92a2a"


@dataclass(frozen=True)
class Network:
    """The nodes (id -> DOT attributes) and edges of a KB's inference network."""

    nodes: dict[str, dict[str, str]]
    edges: tuple[tuple[str, str], ...]


def fact_node(name: str) -> str:
    return f"fact:{name}"


def rule_node(rule_id: str) -> str:
    return f"rule:{rule_id}"


def conclusion_node(conclusion_id: str) -> str:
    return f"conclusion:{conclusion_id}"


def network(content: KBContent) -> Network:
    """The KB's inference network, nodes and edges in a stable order."""
    nodes: dict[str, dict[str, str]] = {}
    vocabulary = content.vocabulary
    for section, facts in (
        ("input", vocabulary.input),
        ("derived", vocabulary.derived),
        ("background", vocabulary.background),
    ):
        for name in sorted(facts):
            nodes[fact_node(name)] = {
                "label": f"{name}\n({section} fact)",
                "shape": "ellipse",
                "fillcolor": _FILL[section],
            }
    edges: set[tuple[str, str]] = set()
    for rule_id, rule in sorted(content.rules.items()):
        node = rule_node(rule_id)
        nodes[node] = {
            "label": f"{rule_id}\nv{rule.version}"
            + ("" if rule.status == "active" else f" ({rule.status})"),
            "shape": "box",
            "fillcolor": "#ffffff",
            "style": "filled" if rule.status == "active" else "filled,dashed",
        }
        for comparison, _ in walk_comparisons(rule.when, ()):
            edges.add((fact_node(comparison.fact_type), node))
        if rule.then.derive is not None:
            edges.add((node, fact_node(rule.then.derive.fact)))
        elif rule.then.conclude is not None:
            edges.add((node, conclusion_node(rule.then.conclude)))
    for conclusion_id, conclusion in sorted(content.conclusions.items()):
        nodes[conclusion_node(conclusion_id)] = {
            "label": f"{conclusion_id}\n({conclusion.kind})",
            "shape": "note",
            "fillcolor": _CONCLUSION_FILL[conclusion.kind],
        }
    return Network(nodes, tuple(sorted(e for e in edges if e[0] in nodes and e[1] in nodes)))


def network_dot(graph: Network, links: Links, highlight: frozenset[str] = frozenset()) -> str:
    """The network in Graphviz's DOT language; `highlight` names the nodes of a proof."""
    lines = [
        "digraph network {",
        '  graph [rankdir=LR, bgcolor="transparent", fontname="Helvetica", nodesep=0.25];',
        '  node [style=filled, fontname="Helvetica", fontsize=11, color="#495057"];',
        '  edge [color="#868e96", arrowsize=0.7];',
    ]
    for node_id, attributes in graph.nodes.items():
        shown = dict(attributes)
        link = links(node_id)
        if link is not None:
            shown["URL"] = link
            shown["tooltip"] = node_id
        shown["id"] = "node-" + re.sub(r"[^A-Za-z0-9_-]", "-", node_id)
        if node_id in highlight:
            shown.update(color=_HIGHLIGHT, penwidth="2.5", fontcolor=_HIGHLIGHT)
        lines.append(f"  {_quoted(node_id)} [{_attributes(shown)}];")
    for tail, head in graph.edges:
        on_path = tail in highlight and head in highlight
        style = f' [color="{_HIGHLIGHT}", penwidth=2.5]' if on_path else ""
        lines.append(f"  {_quoted(tail)} -> {_quoted(head)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _attributes(attributes: dict[str, str]) -> str:
    return ", ".join(f"{key}={_quoted(value)}" for key, value in sorted(attributes.items()))


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def network_svg(
    content: KBContent, links: Links, highlight: frozenset[str] = frozenset()
) -> str | None:
    """The network as an inline `<svg>` element laid out by Graphviz; None without it."""
    dot = shutil.which("dot")
    if dot is None:
        return None
    done = subprocess.run(
        [dot, "-Tsvg"],
        input=network_dot(network(content), links, highlight),
        capture_output=True,
        text=True,
        check=False,
        timeout=DOT_TIMEOUT_SECONDS,
    )
    if done.returncode != 0 or "<svg" not in done.stdout:
        return None
    # Inline in HTML: no XML prolog, doctype or comments naming the program's version.
    svg = done.stdout[done.stdout.index("<svg") :]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S).strip()


def proof_nodes(tree: dict[str, Any]) -> frozenset[str]:
    """The nodes of an explanation's proof: its conclusion, rules and the facts they used."""
    found = {conclusion_node(tree["conclusion"]["id"])}
    tops = [tree["rule"], *tree.get("also_reached_by", [])]
    for rule in (step for top in tops for step in _rules(top)):
        found.add(rule_node(rule["id"]))
        for condition in rule["conditions"]:
            found.add(fact_node(str(condition["fact"]).split(".", 1)[0]))
    return frozenset(found)


def _rules(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield rule
    for condition in rule["conditions"]:
        support = condition.get("support")
        if isinstance(support, dict) and isinstance(support.get("rule"), dict):
            yield from _rules(support["rule"])
