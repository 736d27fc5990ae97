"""One self-contained HTML page for an explanation or a why-not.

The proof tree (as `Explanation.to_dict()` / `WhyNot.to_dict()` give it) becomes
nested `<details>` elements; each quoted passage links to the same passage
highlighted in the source text, which the page includes, so it works offline, as an
e-mail attachment or in an archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..editing.passages import passage_id
from .html import (
    Highlight,
    article_html,
    comparison_text,
    esc,
    inline_code,
    kb_stamp,
    page,
    value_text,
)
from .html_network import explanation_network

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent

Tree = dict[str, Any]


def explanation_page(tree: Tree, content: KBContent, profile: Tree | None = None) -> str:
    """The proof of one conclusion, expandable, with its passages highlighted below."""
    c = tree["conclusion"]
    kb = tree["kb"]
    anchored: set[str] = set()
    body = [
        f'<h1 id="conclusion-{esc(c["id"])}">Why <code>{esc(c["id"])}</code>?</h1>',
        f'<p><span class="badge">{esc(c["kind"])}</span>'
        f'<span class="badge">certainty {esc(c["certainty"])}</span></p>',
        f"<p><strong>{esc(c['statement'])}</strong></p>",
        '<section class="proof"><h2>Proof</h2>',
        "<details open><summary>source of the statement</summary>",
        _citations(c["citations"]),
        _derivations(c),
        "</details>",
        _rule(tree["rule"], anchored),
        *(_also(rule, anchored) for rule in tree.get("also_reached_by", [])),
        "</section>",
        explanation_network(tree, content),
        _profile(profile),
        _sources(tree, content),
    ]
    footer = kb_stamp(kb["id"], kb["version"], kb["digest"])
    return page(f"Why {c['id']}?", "\n".join(b for b in body if b), footer)


def why_not_page(tree: Tree, content: KBContent, profile: Tree | None = None) -> str:
    """Why a conclusion was not reached: per rule, every failing condition."""
    name = tree["conclusion"]
    declared = content.conclusions.get(name)
    statement = f"<p>{esc(declared.statement)}</p>" if declared is not None else ""
    if tree["concluded"]:
        rules = "<p>This conclusion was reached; ask for its explanation instead.</p>"
    elif not tree["rules"]:
        rules = "<p>No rule concludes it.</p>"
    else:
        rules = "\n".join(_rule_failure(rule) for rule in tree["rules"])
    body = [
        f"<h1>Why not <code>{esc(name)}</code>?</h1>",
        statement,
        f'<section class="proof"><h2>Rules that could conclude it</h2>{rules}</section>',
        _profile(profile),
        _sources(tree, content),
    ]
    m = content.manifest
    footer = kb_stamp(m.id, content.version, content.digest)
    return page(f"Why not {name}?", "\n".join(b for b in body if b), footer)


# --- proof tree --------------------------------------------------------------------------


def _citations(citations: list[Tree]) -> str:
    parts = []
    for c in citations:
        target = passage_id(c["source"], c["start"], c["end"])
        note = (
            f"<br><em>interpretation:</em> {inline_code(c['interpretation'])}"
            if c.get("interpretation")
            else ""
        )
        parts.append(
            f"<blockquote>“{esc(c['quote'])}”<br>"
            f'<a href="#{esc(target)}">{esc(c["source"])} {esc(c["sentence"])}</a>'
            f"{note}</blockquote>"
        )
    return "".join(parts)


def _derivations(conclusion: Tree) -> str:
    """Which sources each derivation that reached the conclusion rests on (when the
    statement's passages do not say it all)."""
    items = [
        f"<li>reached by rule <code>{esc(d['rule'])}</code>, which rests on "
        + ", ".join(f"<code>{esc(s)}</code>" for s in d["sources"])
        + "</li>"
        for d in conclusion.get("derivations", [])
    ]
    return f'<ul class="derivations">{"".join(items)}</ul>' if items else ""


def _also(rule: Tree, anchored: set[str]) -> str:
    return f"<details open><summary>also reached by</summary>{_rule(rule, anchored)}</details>"


def _rule_summary(rule: Tree) -> str:
    return (
        f"rule <code>{esc(rule['id'])}</code> v{esc(rule['version'])}: {esc(rule['title'])} "
        f"<small>({esc(rule['file'])})</small>"
    )


def _rule(rule: Tree, anchored: set[str]) -> str:
    # The network's node for a rule links to its first step in the proof.
    anchor = "" if rule["id"] in anchored else f' id="rule-{esc(rule["id"])}"'
    anchored.add(rule["id"])
    conditions = "".join(_condition(c, anchored) for c in rule["conditions"])
    return (
        f"<details open{anchor}><summary>{_rule_summary(rule)}</summary>{conditions}"
        f"<details open><summary>because</summary>{_citations(rule['citations'])}</details>"
        "</details>"
    )


def _condition(condition: Tree, anchored: set[str]) -> str:
    test = comparison_text(condition["fact"], condition["op"], condition["value"])
    if condition["negated"]:
        test = f"not ({test})"
    head = (
        f'condition {test}: <span class="holds">holds</span>, seen '
        f"{esc(value_text(condition['seen']))} ({esc(condition['origin'])})"
    )
    support = condition.get("support")
    if not support:
        return f'<div class="leaf">{head}</div>'
    values = esc(value_text(support["values"]))
    if "rule" in support:
        inner = f"derived fact <code>{esc(support['fact'])}</code> {values}" + _rule(
            support["rule"], anchored
        )
    else:
        inner = f"background fact <code>{esc(support['fact'])}</code> {values}" + _citations(
            support["citations"]
        )
    return f"<details open><summary>{head}</summary>{inner}</details>"


def _rule_failure(rule: Tree) -> str:
    head = f"{_rule_summary(rule)} <small>[{esc(rule['status'])}]</small>"
    failed = rule["failed"]
    inner = '<p class="holds">fired</p>' if failed is None else _failure(failed)
    return (
        f"<details open><summary>{head}</summary>{inner}"
        f"<details open><summary>the passage it rests on</summary>"
        f"{_citations(rule['citations'])}</details></details>"
    )


def _failure(failure: Tree | None) -> str:
    if failure is None:
        return '<div class="holds">(all conditions hold)</div>'
    for key in ("any", "all"):
        if key in failure:
            parts = "".join(_failure(part) for part in failure[key])
            return f"<details open><summary>{esc(failure['reason'])}</summary>{parts}</details>"
    if "not" in failure:
        seen = esc(value_text(failure["seen"]))
        return (
            f'<div class="fails">condition not ({esc(failure["not"])}) failed: '
            f"it holds, seen {seen}</div>"
        )
    if "fact" not in failure:
        return f'<div class="fails">{esc(failure["reason"])}</div>'
    test = comparison_text(failure["fact"], failure["op"], failure["value"])
    head = (
        f'condition {test} <span class="fails">failed</span>: {esc(failure["reason"])}, '
        f"seen {esc(value_text(failure['seen']))}"
    )
    because = failure.get("because", [])
    if not because:
        return f'<div class="leaf">{head}</div>'
    inner = "".join(_rule_failure(r) for r in because)
    return f"<details open><summary>{head}</summary>{inner}</details>"


def _profile(profile: Tree | None) -> str:
    if profile is None:
        return ""
    return (
        "<h2>Profile evaluated</h2><details><summary>the validated input</summary>"
        f"<pre>{esc(value_text(profile))}</pre></details>"
    )


# --- the cited passages, in their sources -----------------------------------------------


def tree_citations(tree: Any) -> Iterator[Tree]:
    """Every citation anywhere in a proof or why-not tree, in tree order."""
    if isinstance(tree, dict):
        if {"source", "quote", "start", "end"} <= tree.keys():
            yield tree
            return
        for value in tree.values():
            yield from tree_citations(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from tree_citations(item)


def _sources(tree: Tree, content: KBContent) -> str:
    cited: dict[str, dict[str, Highlight]] = {}
    for c in tree_citations(tree):
        target = passage_id(c["source"], c["start"], c["end"])
        title = f"{c['source']} {c['sentence']}"
        cited.setdefault(c["source"], {})[target] = Highlight(
            c["start"], c["end"], target, "encoded", title
        )
    if not cited:
        return ""
    parts = ["<h2>Sources</h2>"]
    for source_id in sorted(cited):
        source = content.sources[source_id]
        parts.append(
            f'<section class="source"><h3>{esc(source.title)}</h3>'
            f"<p><code>{esc(source_id)}</code> — {esc(source.publisher)}, "
            f"{esc(source.author)}, {esc(source.published)}</p>"
        )
        parts.append(
            article_html(
                content.citations.texts[source_id],
                cited[source_id].values(),
                prefix=f"{source_id}-",
            )
        )
        parts.append("</section>")
    return "\n".join(parts)
