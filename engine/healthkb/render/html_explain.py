"""One self-contained HTML page for an explanation or a why-not.

The proof tree (as `Explanation.to_dict()` / `WhyNot.to_dict()` give it) becomes
nested `<details>` elements; each quoted passage links to the same passage
highlighted in the source text, which the page includes, so it works offline, as an
e-mail attachment or in an archive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..content.languages.messages import say, word
from ..editing.passages import passage_id
from .html import (
    Highlight,
    article_html,
    comparison_text,
    esc,
    inline_code,
    kb_stamp,
    original_html,
    page,
    value_text,
)
from .html_network import explanation_network

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent

Tree = dict[str, Any]


def explanation_page(
    tree: Tree, content: KBContent, profile: Tree | None = None, switch: str = ""
) -> str:
    """The proof of one conclusion, expandable, with its passages highlighted below, in
    the language of the tree (`content` worded in it), `switch` at the top."""
    c = tree["conclusion"]
    kb = tree["kb"]
    lang = tree.get("language")
    anchored: set[str] = set()
    kind, certainty = esc(word(lang, c["kind"])), esc(word(lang, c["certainty"]))
    body = [
        f'<h1 id="conclusion-{esc(c["id"])}">'
        + say(lang, "Why <code>{id}</code>?", id=esc(c["id"]))
        + "</h1>",
        f'<p><span class="badge">{kind}</span><span class="badge">'
        + say(lang, "certainty {certainty}", certainty=certainty)
        + "</span></p>",
        f"<p><strong>{esc(c['statement'])}</strong></p>",
        '<section class="proof"><h2>' + say(lang, "Proof") + "</h2>",
        "<details open><summary>" + say(lang, "source of the statement") + "</summary>",
        _citations(c["citations"], lang),
        _derivations(c, lang),
        "</details>",
        _rule(tree["rule"], anchored, lang),
        *(_also(rule, anchored, lang) for rule in tree.get("also_reached_by", [])),
        "</section>",
        explanation_network(tree, content),
        _profile(profile, lang),
        _sources(tree, content, lang),
    ]
    footer = kb_stamp(kb["id"], kb["version"], kb["digest"], lang)
    title = say(lang, "Why {id}?", id=c["id"])
    return page(title, "\n".join(b for b in body if b), footer, **_language(content, switch))


def why_not_page(
    tree: Tree, content: KBContent, profile: Tree | None = None, switch: str = ""
) -> str:
    """Why a conclusion was not reached: per rule, every failing condition."""
    name = tree["conclusion"]
    lang = tree.get("language")
    declared = content.conclusions.get(name)
    statement = f"<p>{esc(declared.statement)}</p>" if declared is not None else ""
    if tree["concluded"]:
        rules = (
            "<p>"
            + say(lang, "This conclusion was reached; ask for its explanation instead.")
            + "</p>"
        )
    elif not tree["rules"]:
        rules = "<p>" + say(lang, "No rule concludes it.") + "</p>"
    else:
        rules = "\n".join(_rule_failure(rule, lang) for rule in tree["rules"])
    body = [
        "<h1>" + say(lang, "Why not <code>{id}</code>?", id=esc(name)) + "</h1>",
        statement,
        '<section class="proof"><h2>'
        + say(lang, "Rules that could conclude it")
        + f"</h2>{rules}</section>",
        _profile(profile, lang),
        _sources(tree, content, lang),
    ]
    m = content.manifest
    footer = kb_stamp(m.id, content.version, content.digest, lang)
    title = say(lang, "Why not {id}?", id=name)
    return page(title, "\n".join(b for b in body if b), footer, **_language(content, switch))


def _language(content: KBContent, switch: str) -> dict[str, str]:
    """The page's `lang` (the content's wording) and its language switch."""
    return {"lang": content.language or content.default_language, "switch": switch}


# --- proof tree --------------------------------------------------------------------------


def _citations(citations: list[Tree], lang: str | None) -> str:
    parts = []
    for c in citations:
        target = passage_id(c["source"], c["start"], c["end"])
        note = (
            "<br><em>" + say(lang, "interpretation:") + f"</em> {inline_code(c['interpretation'])}"
            if c.get("interpretation")
            else ""
        )
        parts.append(
            f"<blockquote>“{esc(c['quote'])}”<br>"
            f'<a href="#{esc(target)}">{esc(c["source"])} {esc(c["sentence"])}</a>'
            f"{_other_language(c, lang)}{note}</blockquote>"
        )
    return "".join(parts)


def _other_language(citation: Tree, lang: str | None) -> str:
    """The original sentence beside a translated quote (or that the quote is the
    original's), with the original's `lang` so that the browser picks its font."""
    if citation.get("language"):
        said = say(lang, "quoted from the original ({language})", language=citation["language"])
        return f"<br><small>{esc(said)}</small>"
    original = citation.get("original")
    if not original:
        return ""
    said = say(
        lang,
        "original ({language}) {sentence}: “{text}”",
        language=esc(original["language"]),
        sentence=esc(original["sentence"]),
        text=f'<span lang="{esc(original["language"])}">{esc(original["text"])}</span>',
    )
    return f"<br><small>{said}</small>"


def _derivations(conclusion: Tree, lang: str | None) -> str:
    """Which sources each derivation that reached the conclusion rests on (when the
    statement's passages do not say it all)."""
    items = [
        "<li>"
        + say(
            lang,
            "reached by rule {rule}, which rests on {sources}",
            rule=f"<code>{esc(d['rule'])}</code>",
            sources=", ".join(f"<code>{esc(s)}</code>" for s in d["sources"]),
        )
        + "</li>"
        for d in conclusion.get("derivations", [])
    ]
    return f'<ul class="derivations">{"".join(items)}</ul>' if items else ""


def _also(rule: Tree, anchored: set[str], lang: str | None) -> str:
    summary = say(lang, "also reached by")
    return f"<details open><summary>{summary}</summary>{_rule(rule, anchored, lang)}</details>"


def _rule_summary(rule: Tree, lang: str | None) -> str:
    return (
        say(
            lang,
            "rule {id} v{version}: {title}",
            id=f"<code>{esc(rule['id'])}</code>",
            version=esc(rule["version"]),
            title=esc(rule["title"]),
        )
        + f" <small>({esc(rule['file'])})</small>"
    )


def _rule(rule: Tree, anchored: set[str], lang: str | None) -> str:
    # The network's node for a rule links to its first step in the proof.
    anchor = "" if rule["id"] in anchored else f' id="rule-{esc(rule["id"])}"'
    anchored.add(rule["id"])
    conditions = "".join(_condition(c, anchored, lang) for c in rule["conditions"])
    because = say(lang, "because")
    return (
        f"<details open{anchor}><summary>{_rule_summary(rule, lang)}</summary>{conditions}"
        f"<details open><summary>{because}</summary>"
        f"{_citations(rule['citations'], lang)}</details></details>"
    )


def _condition(condition: Tree, anchored: set[str], lang: str | None) -> str:
    test = comparison_text(condition["fact"], condition["op"], condition["value"], lang=lang)
    if condition["negated"]:
        test = f"not ({test})"
    head = say(
        lang,
        "condition {test}: holds, seen {seen} ({origin})",
        test=test,
        seen=esc(value_text(condition["seen"])),
        origin=esc(word(lang, condition["origin"])),
    ).replace(": holds,", ': <span class="holds">holds</span>,')
    support = condition.get("support")
    if not support:
        return f'<div class="leaf">{head}</div>'
    values = esc(value_text(support["values"]))
    fact = f"<code>{esc(support['fact'])}</code>"
    if "rule" in support:
        said = say(lang, "derived fact {fact} {values}", fact=fact, values=values)
        inner = said + _rule(support["rule"], anchored, lang)
    else:
        said = say(lang, "background fact {fact} {values}", fact=fact, values=values)
        inner = said + _citations(support["citations"], lang)
    return f"<details open><summary>{head}</summary>{inner}</details>"


def _rule_failure(rule: Tree, lang: str | None) -> str:
    head = f"{_rule_summary(rule, lang)} <small>[{esc(word(lang, rule['status']))}]</small>"
    failed = rule["failed"]
    fired = say(lang, "fired")
    inner = f'<p class="holds">{fired}</p>' if failed is None else _failure(failed, lang)
    passage = say(lang, "the passage it rests on")
    return (
        f"<details open><summary>{head}</summary>{inner}"
        f"<details open><summary>{passage}</summary>"
        f"{_citations(rule['citations'], lang)}</details></details>"
    )


def _failure(failure: Tree | None, lang: str | None) -> str:
    if failure is None:
        return '<div class="holds">' + say(lang, "(all conditions hold)") + "</div>"
    reason = esc(word(lang, failure.get("reason", "")))
    for key in ("any", "all"):
        if key in failure:
            parts = "".join(_failure(part, lang) for part in failure[key])
            return f"<details open><summary>{reason}</summary>{parts}</details>"
    if "not" in failure:
        said = say(
            lang,
            "condition not ({test}) failed: it holds, seen {seen}",
            test=esc(failure["not"]),
            seen=esc(value_text(failure["seen"])),
        )
        return f'<div class="fails">{said}</div>'
    if "fact" not in failure:
        return f'<div class="fails">{reason}</div>'
    test = comparison_text(failure["fact"], failure["op"], failure["value"], lang=lang)
    head = say(
        lang,
        "condition {test} failed: {reason}, seen {seen}",
        test=test,
        reason=reason,
        seen=esc(value_text(failure["seen"])),
    ).replace(" failed: ", ' <span class="fails">failed</span>: ', 1)
    because = failure.get("because", [])
    if not because:
        return f'<div class="leaf">{head}</div>'
    inner = "".join(_rule_failure(r, lang) for r in because)
    return f"<details open><summary>{head}</summary>{inner}</details>"


def _profile(profile: Tree | None, lang: str | None) -> str:
    if profile is None:
        return ""
    heading, summary = say(lang, "Profile evaluated"), say(lang, "the validated input")
    return (
        f"<h2>{heading}</h2><details><summary>{summary}</summary>"
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


def _sources(tree: Tree, content: KBContent, lang: str | None) -> str:
    cited: dict[str, dict[str, Highlight]] = {}
    for c in tree_citations(tree):
        target = passage_id(c["source"], c["start"], c["end"])
        title = f"{c['source']} {c['sentence']}"
        cited.setdefault(c["source"], {})[target] = Highlight(
            c["start"], c["end"], target, "encoded", title
        )
    if not cited:
        return ""
    parts = ["<h2>" + say(lang, "Sources") + "</h2>"]
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
        parts.append(original_html(source, lang))
        parts.append("</section>")
    return "\n".join(parts)
