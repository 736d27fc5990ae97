"""A result as text, Markdown or JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..content.languages.messages import say, word
from ..results.cds_cards import escape
from ..results.evidence import provenance_line
from ..results.tree_text import governance_lines, standing_lines

if TYPE_CHECKING:
    from ..content.sources import ResolvedCitation
    from ..results.result import ConclusionResult, Result


def result_json(
    result: Result, *, compact: bool = False, record: str | None = None, note: str | None = None
) -> str:
    """The whole result, deterministic: the same input and KB give the same bytes.

    `compact` writes it on one line without spaces: the same JSON, about five times
    faster to write (Python's C encoder does not indent), as the service answers it;
    `record` adds the id of its audit record (the service's answer), `note` why it is
    not in a language the reader asked for (`language_note`).
    """
    data = result.model_dump(mode="json")
    if record is not None:
        data["record"] = record
    if note is not None:
        data["language_note"] = note
    if compact:
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False)


def _stamp(result: Result) -> str:
    return f"{result.kb_id} {result.kb_version} ({result.kb_digest})"


def result_text(result: Result) -> str:
    lang = result.language
    if not result.conclusions:
        lines = [say(lang, "No conclusions: the sources say nothing about this profile.")]
    else:
        lines = []
    lines += [say(lang, "CONFLICT: {message}", message=c.message) for c in result.conflicts]
    if result.conflicts:
        lines.append("")
    for c in result.conclusions:
        kind, certainty = word(lang, c.kind), word(lang, c.certainty)
        lines.append(
            say(lang, "[{kind}, {certainty}] {id}", kind=kind, certainty=certainty, id=c.id)
        )
        lines.append(f"  {c.statement}")
        rule = say(
            lang,
            "rule {id} v{version}: {title}",
            id=c.rule_id,
            version=c.rule_version,
            title=c.rule_title,
        )
        lines.append(f"  {rule}")
        lines += standing_lines({"evidence": c.evidence, "stale": c.stale}, "  ", lang)
        lines += _citation_lines(c.citations, "  ", lang)
        for other in c.also_reached_by:
            also = say(
                lang,
                "also reached by rule {id} v{version}: {title} (resting on {sources})",
                id=other.rule_id,
                version=other.rule_version,
                title=other.rule_title,
                sources=", ".join(other.sources),
            )
            lines.append(f"  {also}")
            lines += _citation_lines(other.citations, "    ", lang)
        lines.append("")
    lines += governance_lines(
        {"sources": result.sources, "disclaimer": result.disclaimer, "language": lang}
    )
    lines.append(say(lang, "knowledge base {stamp}", stamp=_stamp(result)))
    return "\n".join(lines)


def _citation_lines(citations: list[ResolvedCitation], pad: str, lang: str | None) -> list[str]:
    lines = []
    for citation in citations:
        quoted = say(
            lang,
            "source {source} {sentence}: “{quote}”",
            source=citation.source,
            sentence=citation.sentence_anchor,
            quote=citation.quote,
        )
        lines.append(f"{pad}{quoted}")
        if citation.interpretation:
            interpretation = say(lang, "interpretation: {text}", text=citation.interpretation)
            lines.append(f"{pad}  {interpretation}")
    return lines


def result_markdown(result: Result) -> str:
    """The conclusions as Markdown. Text from the KB (statements, titles, quotes,
    interpretations) is escaped: a `<`, `*` or `[` in an article shows as itself, and
    no HTML in a KB reaches the page that renders this. Ids are identifiers; they need
    no escaping."""
    lang = result.language
    lines = ["# " + say(lang, "Conclusions"), ""]
    if not result.conclusions:
        lines += [say(lang, "No conclusions: the sources say nothing about this profile."), ""]
    for conflict in result.conflicts:
        lines += [f"**Conflict:** {escape(conflict.message)}", ""]
    for c in result.conclusions:
        lines += _conclusion_markdown(c, lang)
    if result.sources:
        lines += ["## " + say(lang, "Sources"), ""]
        lines += [
            f"- {escape(provenance_line(s, k, lang))}" for s, k in sorted(result.sources.items())
        ]
        lines.append("")
    if result.disclaimer:
        lines += [f"*{escape(result.disclaimer)}*", ""]
    lines.append(
        say(
            lang,
            "Knowledge base `{id}` {version}, digest `{digest}`",
            id=result.kb_id,
            version=result.kb_version,
            digest=result.kb_digest,
        )
    )
    return "\n".join(lines) + "\n"


def _conclusion_markdown(c: ConclusionResult, lang: str | None) -> list[str]:
    kind, certainty = word(lang, c.kind), word(lang, c.certainty)
    headline = say(lang, "*{kind}, certainty {certainty}*", kind=kind, certainty=certainty)
    stale = " — **stale**: it rests on a source past its review date" if c.stale else ""
    lines = [
        f"## {c.id}",
        "",
        f"{headline} — {escape(c.statement)}",
        "",
        say(
            lang,
            "Rule `{id}` v{version}: {title}",
            id=c.rule_id,
            version=c.rule_version,
            title=escape(c.rule_title),
        ),
        "",
        f"Evidence: {escape(c.evidence.get('level', ''))} ({c.evidence.get('scale')})" + stale,
        "",
    ]
    for citation in c.citations:
        lines.append(
            f"> “{escape(citation.quote)}” — `{citation.source}` {citation.sentence_anchor}"
        )
        lines.append("")
        if citation.interpretation:
            lines += [f"Interpretation: {escape(citation.interpretation)}", ""]
    for other in c.also_reached_by:
        lines += [
            f"Also reached by rule `{other.rule_id}` v{other.rule_version}: "
            f"{escape(other.rule_title)} (resting on "
            + ", ".join(f"`{s}`" for s in other.sources)
            + ")",
            "",
        ]
        for citation in other.citations:
            where = f"`{citation.source}` {citation.sentence_anchor}"
            lines += [f"> “{escape(citation.quote)}” — {where}", ""]
    return lines
