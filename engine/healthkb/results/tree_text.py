"""Indented text for proof trees and why-nots, as `healthkb explain` prints them."""

from __future__ import annotations

import json
from typing import Any

from .evidence import provenance_line

Tree = dict[str, Any]
_STEP = "  "


_PROTECTED = {"drop": "dropped", "hash": "hashed", "encrypt": "encrypted"}


def protected_text(value: Any) -> str | None:
    """How a value the audit record protected (a KB's `personal_data:` policy) reads,
    or None for a value as given: `(encrypted in the audit record)`, a band."""
    if not isinstance(value, dict) or not isinstance(value.get("protected"), str):
        return None
    band = value.get("band")
    if value["protected"] == "generalise" and isinstance(band, list) and len(band) == 2:
        return f"from {band[0]} to under {band[1]} (generalised in the audit record)"
    return f"({_PROTECTED.get(value['protected'], 'protected')} in the audit record)"


def _value(value: Any) -> str:
    return protected_text(value) or json.dumps(value, ensure_ascii=False)


def _citation_lines(citations: list[Tree], depth: int) -> list[str]:
    pad = _STEP * depth
    lines = []
    for c in citations:
        lines.append(
            f"{pad}source {c['source']} {c['sentence']} [{c['start']}:{c['end']}]: “{c['quote']}”"
        )
        if c.get("interpretation"):
            lines.append(f"{pad}{_STEP}interpretation: {c['interpretation']}")
    return lines


def _rule_lines(rule: Tree, depth: int) -> list[str]:
    pad = _STEP * depth
    lines = [f"{pad}rule {rule['id']} v{rule['version']}: {rule['title']}  ({rule['file']})"]
    for condition in rule["conditions"]:
        lines += _condition_lines(condition, depth + 1)
    lines.append(f"{pad}{_STEP}because")
    lines += _citation_lines(rule["citations"], depth + 2)
    return lines


def _condition_lines(condition: Tree, depth: int) -> list[str]:
    pad = _STEP * depth
    test = f"{condition['fact']} {condition['op']} {_value(condition['value'])}"
    if condition["negated"]:
        test = f"not ({test})"
    lines = [
        f"{pad}condition {test}: holds, seen {_value(condition['seen'])} ({condition['origin']})"
    ]
    if condition.get("departure"):
        lines.append(f"{pad}{_STEP}departs from the source, which says “{condition['departure']}”")
    support = condition.get("support")
    if support:
        values = _value(support["values"])
        if "rule" in support:
            lines.append(f"{pad}{_STEP}derived fact {support['fact']} {values}")
            lines += _rule_lines(support["rule"], depth + 2)
        else:
            lines.append(f"{pad}{_STEP}background fact {support['fact']} {values}")
            lines += _citation_lines(support["citations"], depth + 2)
    return lines


def explanation_text(tree: Tree) -> str:
    """The proof tree: conclusion -> rule -> conditions -> derived facts -> citations."""
    c = tree["conclusion"]
    kb = tree["kb"]
    lines = [
        f"conclusion {c['id']} ({c['kind']}, certainty {c['certainty']})",
        f"{_STEP}“{c['statement']}”",
        *standing_lines(c, _STEP),
        f"{_STEP}source of the statement",
        *_citation_lines(c["citations"], 2),
        *derivation_lines(c, _STEP * 2),
        *_rule_lines(tree["rule"], 1),
        *_also_lines(tree),
        *governance_lines(tree),
        f"knowledge base {kb['id']} {kb['version']} {kb['digest']}",
    ]
    return "\n".join(lines)


def derivation_lines(conclusion: Tree, pad: str) -> list[str]:
    """Which sources each derivation that reached a conclusion rests on, when its
    statement's own passages do not say it all (several derivations, or another source)."""
    return [
        f"{pad}reached by rule {d['rule']}, which rests on {', '.join(d['sources'])}"
        for d in conclusion.get("derivations", [])
    ]


def _also_lines(tree: Tree) -> list[str]:
    lines = []
    for rule in tree.get("also_reached_by", []):
        lines.append(f"{_STEP}also reached by")
        lines += _rule_lines(rule, 2)
    return lines


def standing_lines(conclusion: Tree, pad: str) -> list[str]:
    """A conclusion's evidence, and a warning when it rests on a source overdue for review."""
    evidence = conclusion.get("evidence")
    if not evidence:
        return []
    lines = [f"{pad}evidence {evidence['level']} ({evidence['scale']})"]
    if conclusion.get("stale"):
        lines.append(f"{pad}STALE: it rests on a source past its review date")
    return lines


def governance_lines(tree: Tree) -> list[str]:
    """What is known of each source cited, then the disclaimer (results and trees)."""
    sources = tree.get("sources") or {}
    lines = ["sources"] if sources else []
    lines += [f"{_STEP}{provenance_line(s, known)}" for s, known in sorted(sources.items())]
    if tree.get("disclaimer"):
        lines.append(f"disclaimer: {tree['disclaimer']}")
    return lines


def _failure_lines(failure: Tree | None, depth: int) -> list[str]:
    pad = _STEP * depth
    if failure is None:
        return [f"{pad}(all conditions hold)"]
    for key in ("any", "all"):
        if key in failure:
            lines = [f"{pad}{failure['reason']}:"]
            for part in failure[key]:
                lines += _failure_lines(part, depth + 1)
            return lines
    if "not" in failure:
        seen = _value(failure["seen"])
        return [f"{pad}condition not ({failure['not']}) failed: it holds, seen {seen}"]
    if "fact" not in failure:
        return [f"{pad}{failure['reason']}"]
    test = f"{failure['fact']} {failure['op']} {_value(failure['value'])}"
    lines = [f"{pad}condition {test} failed: {failure['reason']}, seen {_value(failure['seen'])}"]
    for rule in failure.get("because", []):
        lines += _rule_failure_lines(rule, depth + 1)
    return lines


def _rule_failure_lines(rule: Tree, depth: int) -> list[str]:
    pad = _STEP * depth
    head = (
        f"{pad}rule {rule['id']} v{rule['version']} ({rule['status']}): {rule['title']}"
        f"  ({rule['file']})"
    )
    if rule["failed"] is None:
        return [head, f"{pad}{_STEP}fired"]
    lines = [
        head,
        *_failure_lines(rule["failed"], depth + 1),
        f"{pad}{_STEP}the passage it rests on",
    ]
    lines += _citation_lines(rule["citations"], depth + 2)
    return lines


def why_not_text(tree: Tree) -> str:
    """For each rule that could conclude it, every condition that failed and why."""
    name = tree["conclusion"]
    if tree["concluded"]:
        return f"conclusion {name} was reached; use explain to see why"
    if not tree["rules"]:
        return f"no rule concludes {name}"
    lines = [f"why not {name}?"]
    for rule in tree["rules"]:
        lines += _rule_failure_lines(rule, 1)
    return "\n".join(lines)


def rule_why_not_text(tree: Tree) -> str:
    """One rule's why-not (see `explain.rule_why_not`), as indented text."""
    return "\n".join(_rule_failure_lines(tree, 0))
