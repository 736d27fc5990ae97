"""The report site's findings page: what `healthkb analyze` proved, and the silences.

Each finding with its kind, severity, message, the rules (linked to their pages) and
conclusions involved, its places, and its witness profile or, for a gap, its region.
The declared silences follow, with their reasons and passages, so that a reviewer
sees where the KB concludes nothing on purpose.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from ..analysis.findings import Finding, Report
from ..content.languages.messages import say
from ..content.model import Citation
from ..content.silence_model import Silence
from .html import esc, href

CitationHtml = Callable[[Citation], str]


def findings_body(
    report: Report, silences: dict[str, Silence], cite: CitationHtml, lang: str | None = None
) -> str:
    """The page's body (between the navigation and the footer), its sentences in
    language `lang`."""
    errors, warnings = len(report.errors), len(report.warnings)
    summary = (
        say(
            lang,
            "No findings: no profile reaches two excluded conclusions or two values of a "
            "single-valued attribute, every active rule can fire, no rule is redundant, and "
            "every profile without an outcome is covered by a declared silence.",
        )
        if not report.findings
        else say(
            lang, "{errors} error(s), {warnings} warning(s).", errors=errors, warnings=warnings
        )
    )
    proved = say(
        lang,
        "Proved for every profile the fact vocabulary allows (<code>healthkb analyze</code>). "
        "Each witness is a profile that shows its finding when evaluated.",
    )
    body = [
        f"<h1>{say(lang, 'Analysis')}</h1>",
        f"<p>{proved}</p>",
        f"<p>{summary}</p>",
        *(_finding_html(finding) for finding in report.findings),
        f"<h2>{say(lang, 'Intended silences')}</h2>",
        _silences_html(silences, cite, lang),
    ]
    return "\n".join(body)


def _finding_html(finding: Finding) -> str:
    rules = ", ".join(
        f'<a href="{href("rules", rule + ".html")}">{esc(rule)}</a>' for rule in finding.rules
    )
    rows = [
        f"<tr><th>severity</th><td>{esc(finding.severity)}</td></tr>",
        f"<tr><th>where</th><td>{'<br>'.join(f'<code>{esc(p)}</code>' for p in finding.places)}"
        "</td></tr>",
    ]
    if rules:
        rows.append(f"<tr><th>rules</th><td>{rules}</td></tr>")
    if finding.conclusions:
        listed = ", ".join(
            f'<a href="index.html#conclusion-{esc(c)}">{esc(c)}</a>' for c in finding.conclusions
        )
        rows.append(f"<tr><th>conclusions</th><td>{listed}</td></tr>")
    if finding.fact:
        rows.append(f"<tr><th>fact</th><td><code>{esc(finding.fact)}</code></td></tr>")
    for attribute, condition in (finding.region or {}).items():
        rows.append(
            f"<tr><th>region</th><td><code>{esc(attribute)}</code> {esc(condition)}</td></tr>"
        )
    if finding.witness is not None:
        witness = json.dumps(finding.witness, sort_keys=True, indent=2, ensure_ascii=False)
        rows.append(f"<tr><th>witness</th><td><pre>{esc(witness)}</pre></td></tr>")
    return (
        f"<section><h2>{esc(finding.kind)}</h2><p>{esc(finding.message)}</p>"
        f"<p><em>fix:</em> {esc(finding.hint)}</p><table>{''.join(rows)}</table></section>"
    )


def _silences_html(silences: dict[str, Silence], cite: CitationHtml, lang: str | None) -> str:
    if not silences:
        return f"<p>{say(lang, 'None declared (<code>kb/silences.yaml</code>).')}</p>"
    parts = []
    for silence_id, silence in sorted(silences.items()):
        about = ", ".join(
            f'<a href="index.html#conclusion-{esc(c)}">{esc(c)}</a>' for c in silence.about
        )
        parts.append(
            f'<section id="silence-{esc(silence_id)}"><h3><code>{esc(silence_id)}</code></h3>'
            f"<p>{say(lang, 'About {conclusions}.', conclusions=about)} {esc(silence.reason)}</p>"
            + "".join(cite(citation) for citation in silence.because)
            + "</section>"
        )
    return "\n".join(parts)
