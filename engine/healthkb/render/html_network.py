"""The inference network on the report's pages: the whole KB on the index (each node
linked to its page), and on an explanation page the same picture with the proof's
path highlighted (its nodes linked to the proof's steps on that page)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..content.languages.messages import say, word
from .html import esc, href, inline_code, value_text
from .network_svg import MISSING, network_svg, proof_nodes

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent


def _figure(svg: str | None, caption: str) -> str:
    if svg is None:
        return f'<p class="note">{inline_code(MISSING)}</p>'
    return f'<figure class="network">{svg}<figcaption>{caption}</figcaption></figure>'


def site_network(content: KBContent) -> str:
    """The index page's section: every fact type, rule and conclusion, linked."""

    def link(node: str) -> str | None:
        kind, _, name = node.partition(":")
        if kind == "rule":
            return href("rules", name + ".html")
        if kind == "conclusion":
            return f"#conclusion-{name}"
        return f"#fact-{name}"

    lang = content.language
    caption = say(
        lang,
        "From the facts a profile gives (left), through the rules (boxes, with their "
        "version) and the facts they derive, to the conclusions (right). Dashed: draft "
        "or retired rules, which do not run.",
    )
    heading = f"<h2>{say(lang, 'Inference network')}</h2>"
    return heading + _figure(network_svg(content, link), caption)


def explanation_network(tree: dict[str, Any], content: KBContent) -> str:
    """An explanation page's section: the network with the proof's path highlighted."""
    path = proof_nodes(tree)

    def link(node: str) -> str | None:
        kind, _, name = node.partition(":")
        if node not in path or kind == "fact":
            return None
        return f"#{kind}-{name}"

    caption = "The proof's path is drawn in red: the facts it used, its rules, the conclusion."
    return "<h2>In the inference network</h2>" + _figure(network_svg(content, link, path), caption)


def facts_section(content: KBContent) -> str:
    """The fact vocabulary, one anchored entry per fact type (the network links here)."""
    vocabulary = content.vocabulary
    rows = []
    for section, facts in (
        ("input", vocabulary.input),
        ("derived", vocabulary.derived),
        ("background", vocabulary.background),
    ):
        for name in sorted(facts):
            fact = facts[name]
            attributes = ", ".join(
                f"<code>{esc(a)}</code> ({esc(spec.type)})" for a, spec in fact.attributes.items()
            )
            values = (
                f" <code>{esc(value_text(dict(fact.values)))}</code>"
                if hasattr(fact, "values")
                else ""
            )
            rows.append(
                f'<tr id="fact-{esc(name)}"><td><code>{esc(name)}</code></td>'
                f"<td>{esc(word(content.language, section))}</td><td>v{fact.version}</td>"
                f"<td>{esc(fact.description)}{values}</td><td>{attributes}</td></tr>"
            )
    return (
        "<h2>Facts</h2><table><tr><th>fact</th><th>section</th><th>version</th>"
        "<th>meaning</th><th>attributes</th></tr>" + "".join(rows) + "</table>"
    )
