"""Indented text for proof trees and why-nots, as `healthkb explain` prints them.

A tree worded in another language than the KB's default carries it (`"language"`):
the fixed words come from the message catalogue (`content/languages/messages.py`),
the KB's own from its translation; a tree without it reads exactly as before.
"""

from __future__ import annotations

import json
from typing import Any

from ..content.languages.messages import say, word
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


def _citation_lines(citations: list[Tree], depth: int, lang: str | None) -> list[str]:
    pad = _STEP * depth
    lines = []
    for c in citations:
        lines.append(
            pad
            + say(
                lang,
                "source {source} {sentence} [{start}:{end}]: “{quote}”",
                source=c["source"],
                sentence=c["sentence"],
                start=c["start"],
                end=c["end"],
                quote=c["quote"],
            )
        )
        lines += _other_language_lines(c, pad + _STEP, lang)
        if c.get("interpretation"):
            lines.append(
                f"{pad}{_STEP}" + say(lang, "interpretation: {text}", text=c["interpretation"])
            )
    return lines


def _other_language_lines(citation: Tree, pad: str, lang: str | None) -> list[str]:
    """A quote's other language: the original sentence a translated quote renders, or
    that the quote is from the original text."""
    if citation.get("language"):
        said = say(lang, "quoted from the original ({language})", language=citation["language"])
        return [pad + said]
    original = citation.get("original")
    if not original:
        return []
    return [
        pad
        + say(
            lang,
            "original ({language}) {sentence}: “{text}”",
            language=original["language"],
            sentence=original["sentence"],
            text=original["text"],
        )
    ]


def _rule_lines(rule: Tree, depth: int, lang: str | None) -> list[str]:
    pad = _STEP * depth
    head = say(
        lang,
        "rule {id} v{version}: {title}  ({file})",
        id=rule["id"],
        version=rule["version"],
        title=rule["title"],
        file=rule["file"],
    )
    lines = [f"{pad}{head}"]
    for condition in rule["conditions"]:
        lines += _condition_lines(condition, depth + 1, lang)
    lines.append(f"{pad}{_STEP}" + say(lang, "because"))
    lines += _citation_lines(rule["citations"], depth + 2, lang)
    return lines


def _condition_lines(condition: Tree, depth: int, lang: str | None) -> list[str]:
    pad = _STEP * depth
    test = f"{condition['fact']} {condition['op']} {_value(condition['value'])}"
    if condition["negated"]:
        test = f"not ({test})"
    seen = _value(condition["seen"])
    holds = say(
        lang,
        "condition {test}: holds, seen {seen} ({origin})",
        test=test,
        seen=seen,
        origin=word(lang, condition["origin"]),
    )
    lines = [f"{pad}{holds}"]
    if condition.get("departure"):
        departs = say(
            lang, "departs from the source, which says “{words}”", words=condition["departure"]
        )
        lines.append(f"{pad}{_STEP}{departs}")
    support = condition.get("support")
    if support:
        values = _value(support["values"])
        if "rule" in support:
            derived = say(lang, "derived fact {fact} {values}", fact=support["fact"], values=values)
            lines.append(f"{pad}{_STEP}{derived}")
            lines += _rule_lines(support["rule"], depth + 2, lang)
        else:
            background = say(
                lang, "background fact {fact} {values}", fact=support["fact"], values=values
            )
            lines.append(f"{pad}{_STEP}{background}")
            lines += _citation_lines(support["citations"], depth + 2, lang)
    return lines


def explanation_text(tree: Tree) -> str:
    """The proof tree: conclusion -> rule -> conditions -> derived facts -> citations."""
    c = tree["conclusion"]
    kb = tree["kb"]
    lang = tree.get("language")
    lines = [
        say(
            lang,
            "conclusion {id} ({kind}, certainty {certainty})",
            id=c["id"],
            kind=word(lang, c["kind"]),
            certainty=word(lang, c["certainty"]),
        ),
        f"{_STEP}“{c['statement']}”",
        *standing_lines(c, _STEP, lang),
        _STEP + say(lang, "source of the statement"),
        *_citation_lines(c["citations"], 2, lang),
        *derivation_lines(c, _STEP * 2, lang),
        *_rule_lines(tree["rule"], 1, lang),
        *_also_lines(tree, lang),
        *governance_lines(tree),
        say(
            lang,
            "knowledge base {id} {version} {digest}",
            id=kb["id"],
            version=kb["version"],
            digest=kb["digest"],
        ),
    ]
    return "\n".join(lines)


def derivation_lines(conclusion: Tree, pad: str, lang: str | None = None) -> list[str]:
    """Which sources each derivation that reached a conclusion rests on, when its
    statement's own passages do not say it all (several derivations, or another source)."""
    return [
        pad
        + say(
            lang,
            "reached by rule {rule}, which rests on {sources}",
            rule=d["rule"],
            sources=", ".join(d["sources"]),
        )
        for d in conclusion.get("derivations", [])
    ]


def _also_lines(tree: Tree, lang: str | None) -> list[str]:
    lines = []
    for rule in tree.get("also_reached_by", []):
        lines.append(_STEP + say(lang, "also reached by"))
        lines += _rule_lines(rule, 2, lang)
    return lines


def standing_lines(conclusion: Tree, pad: str, lang: str | None = None) -> list[str]:
    """A conclusion's evidence, and a warning when it rests on a source overdue for review."""
    evidence = conclusion.get("evidence")
    if not evidence:
        return []
    lines = [
        pad
        + say(lang, "evidence {level} ({scale})", level=evidence["level"], scale=evidence["scale"])
    ]
    if conclusion.get("stale"):
        lines.append(pad + say(lang, "STALE: it rests on a source past its review date"))
    return lines


def governance_lines(tree: Tree) -> list[str]:
    """What is known of each source cited, then the disclaimer (results and trees)."""
    lang = tree.get("language")
    sources = tree.get("sources") or {}
    lines = [say(lang, "sources")] if sources else []
    lines += [f"{_STEP}{provenance_line(s, known, lang)}" for s, known in sorted(sources.items())]
    if tree.get("disclaimer"):
        lines.append(say(lang, "disclaimer: {text}", text=tree["disclaimer"]))
    return lines


def _failure_lines(failure: Tree | None, depth: int, lang: str | None) -> list[str]:
    pad = _STEP * depth
    if failure is None:
        return [pad + say(lang, "(all conditions hold)")]
    for key in ("any", "all"):
        if key in failure:
            lines = [f"{pad}{word(lang, failure['reason'])}:"]
            for part in failure[key]:
                lines += _failure_lines(part, depth + 1, lang)
            return lines
    if "not" in failure:
        seen = _value(failure["seen"])
        return [
            pad
            + say(
                lang,
                "condition not ({test}) failed: it holds, seen {seen}",
                test=failure["not"],
                seen=seen,
            )
        ]
    if "fact" not in failure:
        return [f"{pad}{word(lang, failure['reason'])}"]
    test = f"{failure['fact']} {failure['op']} {_value(failure['value'])}"
    failed = say(
        lang,
        "condition {test} failed: {reason}, seen {seen}",
        test=test,
        reason=word(lang, failure["reason"]),
        seen=_value(failure["seen"]),
    )
    lines = [f"{pad}{failed}"]
    for rule in failure.get("because", []):
        lines += _rule_failure_lines(rule, depth + 1, lang)
    return lines


def _rule_failure_lines(rule: Tree, depth: int, lang: str | None) -> list[str]:
    pad = _STEP * depth
    head = pad + say(
        lang,
        "rule {id} v{version} ({status}): {title}  ({file})",
        id=rule["id"],
        version=rule["version"],
        status=word(lang, rule["status"]),
        title=rule["title"],
        file=rule["file"],
    )
    if rule["failed"] is None:
        return [head, f"{pad}{_STEP}" + say(lang, "fired")]
    lines = [
        head,
        *_failure_lines(rule["failed"], depth + 1, lang),
        f"{pad}{_STEP}" + say(lang, "the passage it rests on"),
    ]
    lines += _citation_lines(rule["citations"], depth + 2, lang)
    return lines


def why_not_text(tree: Tree) -> str:
    """For each rule that could conclude it, every condition that failed and why."""
    name = tree["conclusion"]
    lang = tree.get("language")
    if tree["concluded"]:
        return say(lang, "conclusion {id} was reached; use explain to see why", id=name)
    if not tree["rules"]:
        return say(lang, "no rule concludes {id}", id=name)
    lines = [say(lang, "why not {id}?", id=name)]
    for rule in tree["rules"]:
        lines += _rule_failure_lines(rule, 1, lang)
    return "\n".join(lines)


def rule_why_not_text(tree: Tree) -> str:
    """One rule's why-not (see `explain.rule_why_not`), as indented text."""
    return "\n".join(_rule_failure_lines(tree, 0, tree.get("language")))
