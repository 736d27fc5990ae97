"""HTML building blocks shared by the report site and the explain page.

Every page is self-contained: inline CSS, no script, no external asset. Every text
that comes from a KB or a profile goes through `esc` (or `attr` inside attributes),
so a quote containing `<script>` renders as text.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote as url_quote

from ..content.languages.messages import autonym, say, word
from ..content.model import Attribute, Source
from ..content.rule_model import AllCondition, AnyCondition, Comparison, Condition, NotCondition
from ..content.sources import Paragraph, SourceText
from ..results.tree_text import protected_text

CSS = """
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;
color:#1b1b1b}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}h3{font-size:1.05rem}
code,.id{font-family:ui-monospace,monospace;font-size:.92em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
nav{font-size:.9rem;margin-bottom:1rem}
footer{margin-top:3rem;font-size:.85rem;color:#555;border-top:1px solid #ddd;padding-top:.5rem}
.article p{margin:.6rem 0}
.anchor{font-size:.75rem;color:#777;text-decoration:none;margin-right:.4rem;
font-family:ui-monospace,monospace}
mark{background:#fff1a8;padding:0 .1rem;border-radius:2px}
mark mark{background:#ffd75e}
mark.left-out{background:#e4e4e4;color:#555;text-decoration:line-through #999}
mark:target,mark.target{outline:2px solid #d9480f}
.untouched{background:#fde2e2;border-bottom:2px dotted #c92a2a}
.network svg{max-width:100%;height:auto}
.tag{font-size:.8em;padding:0 .3em;border:1px solid #868e96;border-radius:3px;color:#495057}
.notes{font-size:.88rem;margin:.2rem 0 1rem 1.5rem;padding:0;color:#333}
.notes li{margin:.15rem 0}
.legend span{margin-right:1rem}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.6rem;border-left:3px solid #f0c419}
details{margin:.3rem 0 .3rem 1rem}
summary{cursor:pointer}
.holds{color:#2b8a3e}.fails{color:#c92a2a}
.pass{color:#2b8a3e}.fail{color:#c92a2a;font-weight:bold}
.badge{display:inline-block;font-size:.8rem;padding:0 .4rem;border-radius:.6rem;
background:#eef;margin-left:.3rem}
"""

OPERATOR_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "<",
    "le": "≤",
    "gt": ">",
    "ge": "≥",
    "between": "is between",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "contains_any": "contains any of",
}


def esc(value: Any) -> str:
    """Text content, escaped (quotes too, so it is safe inside attributes as well)."""
    return html.escape(str(value), quote=True)


def value_text(value: Any) -> str:
    """A fact value as a reader sees it: JSON, so strings are quoted and lists bracketed
    (a value the audit record protected, in words)."""
    return protected_text(value) or json.dumps(value, ensure_ascii=False, sort_keys=True)


def href(*parts: str, fragment: str | None = None) -> str:
    """A relative link, each path part percent-encoded, escaped for an attribute."""
    path = "/".join(url_quote(p, safe="") for p in parts)
    link = path + ("#" + url_quote(fragment, safe="") if fragment else "")
    return esc(link)


def generator_tag(generator: str) -> str:
    """The `<meta name="generator">` line a page carries: which tool wrote it."""
    return f'<meta name="generator" content="{esc(generator)}">'


CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
"""Every page is self-contained and runs no script: its policy lets the browser load and
run nothing else, so a link or markup that slipped into KB text could do no harm."""


def page(
    title: str,
    body: str,
    footer: str,
    generator: str = "healthkb",
    *,
    lang: str = "en",
    switch: str = "",
) -> str:
    """A complete HTML document with the inline style sheet and its security policy, in
    language `lang` (`<html lang>`), with `switch` (see `language_switch`) first."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{generator_tag(generator)}\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{switch}{body}\n<footer>{footer}</footer>\n</body>\n</html>\n"
    )


def language_switch(current: str, links: Sequence[tuple[str, str]]) -> str:
    """The page's languages, each by its own name: the current one as text, the others
    as links to the same page in them (`links`: (tag, href), href already escaped)."""
    items = [
        f'<span lang="{esc(tag)}">{esc(autonym(tag))}</span>'
        if tag == current
        else f'<a href="{link}" hreflang="{esc(tag)}" lang="{esc(tag)}">{esc(autonym(tag))}</a>'
        for tag, link in links
    ]
    style = "float:right;font-size:.9rem"
    return f'<nav class="languages" style="{style}">{" · ".join(items)}</nav>\n'


def kb_stamp(kb_id: str, version: str, digest: str, lang: str | None = None) -> str:
    """The KB's id, version and digest, in words of language `lang`."""
    return say(
        lang,
        "knowledge base <code>{id}</code> version <code>{version}</code>, "
        "digest <code>{digest}</code>",
        id=esc(kb_id),
        version=esc(version),
        digest=esc(digest),
    )


def original_html(source: Source, lang: str | None) -> str:
    """A translated source's original text (in its own language, for the browser's
    font), or a note that it is not available here; nothing for a source in its own
    language."""
    if source.original is not None:
        tag = esc(source.original.language)
        heading = say(lang, "original text ({language})", language=tag)
        paragraphs = "".join(
            f"<p>{esc(line)}</p>" for line in source.original.text.splitlines() if line.strip()
        )
        return f'<h4>{heading}</h4><div class="article original" lang="{tag}">{paragraphs}</div>'
    if source.translation is None:
        return ""
    note = say(
        lang,
        "The original text ({language}) is not available here: the passages above are the "
        "translation's.",
        language=source.translation.original_language,
    )
    return f'<p class="original"><em>{esc(note)}</em></p>'


# --- source text with highlighted passages -------------------------------------------


@dataclass(frozen=True)
class Highlight:
    """A span to mark: `<mark id=... class=... title=...>` around text[start:end]."""

    start: int
    end: int
    id: str
    css_class: str
    title: str


def article_html(
    text: SourceText,
    highlights: Iterable[Highlight],
    *,
    prefix: str = "",
    untouched: Sequence[tuple[int, int]] = (),
    notes: Callable[[Paragraph], str] | None = None,
) -> str:
    """The text, one `<p id="{prefix}pN">` per paragraph, highlights as nested `<mark>`s.

    Overlapping highlights nest; one that crosses another (or a paragraph break) is
    closed and reopened, and only its first piece carries the id. Text in the
    `untouched` spans (what coverage reports as untouched: whole sentences, or the
    untouched parts of partly encoded ones) is wrapped in `<span class="untouched">`.
    """
    ordered = sorted(highlights, key=lambda h: (h.start, -h.end, h.id))
    opened: set[str] = set()
    parts = ['<div class="article">']
    for paragraph in text.paragraphs:
        anchor = f"{prefix}{paragraph.anchor}"
        parts.append(
            f'<p id="{esc(anchor)}"><a class="anchor" href="#{esc(anchor)}">'
            f"{esc(paragraph.anchor)}</a>"
        )
        parts.append(_paragraph_marks(text.text, paragraph, ordered, opened, untouched))
        parts.append("</p>")
        if notes is not None:
            parts.append(notes(paragraph))
    parts.append("</div>")
    return "\n".join(parts)


def _paragraph_marks(
    text: str,
    paragraph: Paragraph,
    highlights: list[Highlight],
    opened: set[str],
    untouched: Sequence[tuple[int, int]],
) -> str:
    inside = [h for h in highlights if h.start < paragraph.end and paragraph.start < h.end]
    cuts = {paragraph.start, paragraph.end}
    for h in inside:
        cuts |= {max(h.start, paragraph.start), min(h.end, paragraph.end)}
    spans = [(a, b) for a, b in untouched if a < paragraph.end and paragraph.start < b]
    for a, b in spans:
        cuts |= {max(a, paragraph.start), min(b, paragraph.end)}
    bounds = sorted(cuts)
    stack: list[Highlight] = []
    out: list[str] = []
    for a, b in itertools.pairwise(bounds):
        active = [h for h in inside if h.start <= a and b <= h.end]
        keep = 0
        while keep < min(len(stack), len(active)) and stack[keep] is active[keep]:
            keep += 1
        out.append("</mark>" * (len(stack) - keep))
        for h in active[keep:]:
            out.append(_open_mark(h, opened))
        stack = active
        piece = esc(text[a:b])
        if any(x <= a and b <= y for x, y in spans) and text[a:b].strip():
            piece = f'<span class="untouched" title="not encoded, not left out">{piece}</span>'
        out.append(piece)
    out.append("</mark>" * len(stack))
    return "".join(out)


def _open_mark(h: Highlight, opened: set[str]) -> str:
    if h.id in opened:
        return f'<mark class="{esc(h.css_class)} continued" title="{esc(h.title)}">'
    opened.add(h.id)
    return f'<mark id="{esc(h.id)}" class="{esc(h.css_class)}" title="{esc(h.title)}">'


def inline_code(text: str) -> str:
    """Escaped text with its `code spans` (as editors write them in YAML) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(text))


# --- conditions ------------------------------------------------------------------------


def comparison_text(
    fact: str, op: str, value: Any, unit: str | None = None, lang: str | None = None
) -> str:
    """`running.minutes_per_session > 30 minutes`, as escaped HTML (the operator's words
    in language `lang`)."""
    if op == "between":
        shown = say(lang, "{low} and {high}", low=value_text(value[0]), high=value_text(value[1]))
    else:
        shown = value_text(value)
    suffix = f" {esc(unit)}" if unit else ""
    words = word(lang, OPERATOR_WORDS.get(op, op))
    return f"<code>{esc(fact)}</code> {esc(words)} {esc(shown)}{suffix}"


def condition_html(
    condition: Condition,
    attributes: Mapping[str, Attribute],
    fact_link: Callable[[str], str],
    lang: str | None = None,
) -> str:
    """A rule's condition as nested lists: `all of`, `any of`, `not`, comparisons.

    `attributes` maps `fact.attribute` to its declaration (for units); `fact_link`
    gives extra HTML after a comparison (a link to the rules deriving its fact, say);
    the words are in language `lang`.
    """
    if isinstance(condition, Comparison):
        unit = attributes[condition.fact].unit if condition.fact in attributes else None
        test = comparison_text(condition.fact, condition.op, condition.value, unit, lang)
        return f"{test}{fact_link(condition.fact_type)}"
    if isinstance(condition, NotCondition):
        inner = condition_html(condition.not_, attributes, fact_link, lang)
        return f"{say(lang, 'not')}:<ul><li>{inner}</li></ul>"
    label, children = (
        (say(lang, "all of"), condition.all)
        if isinstance(condition, AllCondition)
        else (say(lang, "any of"), condition.any)
        if isinstance(condition, AnyCondition)
        else ("", [])
    )
    items = "".join(f"<li>{condition_html(c, attributes, fact_link, lang)}</li>" for c in children)
    return f"{label}:<ul>{items}</ul>"
