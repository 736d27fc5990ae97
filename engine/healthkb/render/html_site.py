"""The report site's pages: an index, one page per source, one page per rule.

Data in (validated KB content, passage coverage, test-case outcomes), HTML strings
out, keyed by their path inside the site. Links between pages are relative, so the
folder can be opened from disk, copied or archived as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..analysis.findings import Report
from ..content.languages.messages import say, word
from ..content.logic import walk_comparisons
from ..content.model import Citation, is_web_address
from ..content.rule_model import Rule
from ..content.sources import Paragraph
from ..editing.passages import Citer, Passage, passage_id
from ..editing.report_data import ReportData
from .coverage import sentence_counts
from .html import (
    Highlight,
    article_html,
    condition_html,
    esc,
    href,
    inline_code,
    kb_stamp,
    original_html,
    page,
    value_text,
)
from .html_findings import findings_body
from .html_network import facts_section, site_network
from .html_provenance import disclaimer_html, provenance_rows

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent
    from ..editing.cases import CaseOutcome


# Every page of the site says it is one (`<meta name="generator">`), so that writing
# the site again deletes only stale pages it wrote, never a file someone put there.
SITE_GENERATOR = "healthkb report"


def site_pages(data: ReportData) -> dict[str, str]:
    """Every page of the site, keyed by relative path (`index.html`, `rules/x.html`)."""
    pages = {"index.html": index_page(data)}
    for source_id in sorted(data.content.sources):
        pages[f"sources/{source_id}.html"] = source_page(data, source_id)
    for rule_id in sorted(data.content.rules):
        pages[f"rules/{rule_id}.html"] = rule_page(data, rule_id)
    if data.analysis is not None:
        pages["findings.html"] = findings_page(data, data.analysis)
    return pages


def findings_page(data: ReportData, report: Report) -> str:
    lang = data.content.language
    body = findings_body(
        report, data.content.silences, lambda citation: _citation_html(data, citation, ""), lang
    )
    title = say(lang, "{title} — analysis", title=data.content.manifest.title)
    return page(title, f"{_nav('', lang)}\n{body}", _footer(data), SITE_GENERATOR)


def _footer(data: ReportData) -> str:
    m, lang = data.content.manifest, data.content.language
    stamp = kb_stamp(m.id, data.content.version, data.content.digest, lang)
    return say(lang, "Report of {stamp}.", stamp=stamp)


def _nav(up: str, lang: str | None = None) -> str:
    return f'<nav><a href="{up}index.html">{say(lang, "← index")}</a></nav>'


def _citer_link(citer: Citer, up: str, content: KBContent | None = None) -> str:
    if citer.kind == "rule":
        link = f'rule <a href="{up}{href("rules", citer.id + ".html")}">{esc(citer.id)}</a>'
        rule = content.rules.get(citer.id) if content is not None else None
        if rule is not None and rule.status != "active":
            # Only active rules run: a retired or draft rule's quote encodes nothing.
            link += f' <span class="tag">{esc(rule.status)}</span>'
        return link
    anchor = f"{citer.kind}-{citer.id}"
    word = "background fact" if citer.kind == "background" else "conclusion"
    return f'{word} <a href="{up}index.html#{esc(anchor)}">{esc(citer.id)}</a>'


def _citation_html(data: ReportData, citation: Citation, up: str) -> str:
    """A quote, linked to its highlighted passage on the source page."""
    resolved = data.content.citations.resolve(citation)
    target = passage_id(resolved.source, resolved.start, resolved.end)
    link = href("sources", resolved.source + ".html", fragment=target)
    note = (
        f"<br><em>interpretation:</em> {inline_code(resolved.interpretation)}"
        if resolved.interpretation
        else ""
    )
    return (
        f"<blockquote>“{esc(resolved.quote)}”<br>"
        f'<a href="{up}{link}">{esc(resolved.source)} {esc(resolved.sentence_anchor)}</a>{note}'
        "</blockquote>"
    )


def _outcome_html(rule: Rule, up: str, lang: str | None = None) -> str:
    if rule.then.conclude is not None:
        anchor = f"conclusion-{rule.then.conclude}"
        link = f'<a href="{up}index.html#{esc(anchor)}">{esc(rule.then.conclude)}</a>'
        return say(lang, "concludes {conclusion}", conclusion=link)
    assert rule.then.derive is not None
    values = value_text(dict(rule.then.derive.values))
    fact = f"<code>{esc(rule.then.derive.fact)}</code>"
    return say(lang, "derives {fact} {values}", fact=fact, values=esc(values))


def _covering(data: ReportData, rule_id: str) -> list[CaseOutcome]:
    return [o for o in data.cases if any(f.rule_id == rule_id for f in o.result.fired)]


# --- index -----------------------------------------------------------------------------


def index_page(data: ReportData) -> str:
    content, m = data.content, data.content.manifest
    changelog = "".join(
        f"<li>{esc(entry.version)} ({esc(entry.date)})<ul>"
        + "".join(f"<li>{inline_code(change)}</li>" for change in entry.changes)
        + "</ul></li>"
        for entry in m.changelog
    )
    passed = sum(1 for o in data.cases if o.passed)
    body = [
        f"<h1>{esc(m.title)}</h1>",
        "<table>",
        f"<tr><th>knowledge base</th><td><code>{esc(m.id)}</code></td></tr>",
        f"<tr><th>version</th><td>{_version(content)}</td></tr>",
        f"<tr><th>digest</th><td><code>{esc(content.digest)}</code></td></tr>",
        "<tr><th>test cases</th><td>"
        + say(content.language, "{passed} of {cases} pass", passed=passed, cases=len(data.cases))
        + "</td></tr>",
        _analysis_row(data),
        "</table>",
        f"<p>{esc(m.description)}</p>" if m.description else "",
        disclaimer_html(m.disclaimer),
        f"<details><summary>changelog</summary><ul>{changelog}</ul></details>" if changelog else "",
        _sources_table(data),
        site_network(content),
        facts_section(content),
        _rules_table(data),
        _conclusions_section(data),
        _background_section(data),
        _cases_section(data),
    ]
    return page(
        say(content.language, "{title} — report", title=m.title),
        "\n".join(b for b in body if b),
        _footer(data),
        SITE_GENERATOR,
    )


def _analysis_row(data: ReportData) -> str:
    if data.analysis is None:
        return ""
    errors, warnings = len(data.analysis.errors), len(data.analysis.warnings)
    counted = say(
        data.content.language,
        "{errors} error(s), {warnings} warning(s)",
        errors=errors,
        warnings=warnings,
    )
    return f'<tr><th>analysis</th><td><a href="findings.html">{counted}</a></td></tr>'


def _sources_table(data: ReportData) -> str:
    rows = []
    for source_id in data.coverage:
        s = data.content.sources[source_id]
        n = data.sentences.source_summary(source_id)
        rows.append(
            f'<tr><td><a href="{href("sources", source_id + ".html")}">{esc(s.title)}</a>'
            f"<br><code>{esc(source_id)}</code></td><td>{esc(s.publisher)}</td>"
            f"<td>{esc(s.author)}</td><td>{esc(s.published)}</td>"
            f"<td>{n['total']}</td><td>{n['encoded']}</td><td>{n['left_out']}</td>"
            f"<td>{n['partly']}</td><td>{n['untouched']}</td><td>{n['percent']}%</td></tr>"
        )
    total = data.sentences.source_summary()
    return (
        "<h2>Sources</h2><table><tr><th>source</th><th>publisher</th><th>author</th>"
        "<th>published</th><th>sentences</th><th>encoded</th><th>left out</th>"
        "<th>partly encoded</th><th>untouched</th><th>accounted for</th></tr>"
        + "".join(rows)
        + "</table>"
        + f"<p>Sentences of all sources: {esc(sentence_counts(total))}.</p>"
    )


def _rules_table(data: ReportData) -> str:
    rows = []
    for rule_id in sorted(data.content.rules):
        rule = data.content.rules[rule_id]
        rows.append(
            f'<tr><td><a href="{href("rules", rule_id + ".html")}">{esc(rule_id)}</a></td>'
            f"<td>{rule.version}</td><td>{esc(rule.status)}</td><td>{esc(rule.title)}</td>"
            f"<td>{_outcome_html(rule, '')}</td><td>{len(_covering(data, rule_id))}</td></tr>"
        )
    return (
        "<h2>Rules</h2><table><tr><th>rule</th><th>version</th><th>status</th><th>title</th>"
        "<th>outcome</th><th>test cases</th></tr>" + "".join(rows) + "</table>"
    )


def _conclusions_section(data: ReportData) -> str:
    parts = ["<h2>Conclusions</h2>"]
    for conclusion_id in sorted(data.content.conclusions):
        c = data.content.conclusions[conclusion_id]
        rules = sorted(r.id for r in data.content.rules.values() if r.then.conclude == c.id)
        reached = _reached_by(data.content, c.id, rules)
        parts.append(
            f'<section id="conclusion-{esc(c.id)}"><h3><code>{esc(c.id)}</code>'
            f'<span class="badge">{esc(c.kind)}</span>'
            f'<span class="badge">{esc(c.certainty)}</span></h3>'
            f"<p>{esc(c.statement)}</p><p>reached by: {reached or 'no rule'}</p>"
            + "".join(_citation_html(data, citation, "") for citation in c.because)
            + "</section>"
        )
    return "\n".join(parts)


def _reached_by(content: KBContent, conclusion_id: str, rules: list[str]) -> str:
    """The rules that conclude it, each with the sources it cites when they are not all
    the statement's (a second source that speaks about the same conclusion)."""
    statement = {c.source for c in content.conclusions[conclusion_id].because}
    cited = {r: sorted({c.source for c in content.rules[r].because}) for r in rules}
    named = len({s for sources in cited.values() for s in sources} | statement) > 1
    links = []
    for rule_id in rules:
        link = f'<a href="{href("rules", rule_id + ".html")}">{esc(rule_id)}</a>'
        if named:
            link += " (on " + ", ".join(f"<code>{esc(s)}</code>" for s in cited[rule_id]) + ")"
        links.append(link)
    return ", ".join(links)


def _background_section(data: ReportData) -> str:
    background = data.content.vocabulary.background
    if not background:
        return ""
    parts = ["<h2>Background facts</h2>"]
    for name in sorted(background):
        fact = background[name]
        values = value_text(dict(fact.values))
        parts.append(
            f'<section id="background-{esc(name)}"><h3><code>{esc(name)}</code></h3>'
            f"<p>{esc(fact.description)} <code>{esc(values)}</code></p>"
            + "".join(_citation_html(data, citation, "") for citation in fact.because)
            + "</section>"
        )
    return "\n".join(parts)


def _cases_section(data: ReportData) -> str:
    if not data.cases:
        return "<h2>Test cases</h2><p>This knowledge base has no test cases.</p>"
    rows = []
    for outcome in data.cases:
        name = outcome.case.name
        state = (
            '<span class="pass">pass</span>'
            if outcome.passed
            else '<span class="fail">FAIL</span><ul>'
            + "".join(f"<li>{esc(f)}</li>" for f in outcome.failures)
            + "</ul>"
        )
        fired = ", ".join(
            f'<a href="{href("rules", r + ".html")}">{esc(r)}</a>'
            for r in sorted({f.rule_id for f in outcome.result.fired})
        )
        rows.append(
            f'<tr id="case-{esc(name)}"><td><code>{esc(name)}</code><br>'
            f"{esc(outcome.case.description)}</td><td>{esc(outcome.file)}</td>"
            f"<td>{state}</td><td>{fired}</td></tr>"
        )
    return (
        "<h2>Test cases</h2><table><tr><th>case</th><th>file</th><th>result</th>"
        "<th>rules fired</th></tr>" + "".join(rows) + "</table>"
    )


# --- source pages ------------------------------------------------------------------------


def _highlight(passage: Passage) -> Highlight:
    if passage.left_out is not None:
        return Highlight(
            passage.start, passage.end, passage.id, "left-out", f"left out: {passage.left_out}"
        )
    cited = ", ".join(f"{c.kind} {c.id}" for c in passage.cited_by)
    return Highlight(passage.start, passage.end, passage.id, "encoded", f"cited by {cited}")


def _passage_note(passage: Passage, content: KBContent) -> str:
    link = f'<a href="#{esc(passage.id)}">{esc(passage.sentence)}</a>'
    quote = f"“{esc(passage.quote)}”"
    if passage.left_out is not None:
        return (
            f'<li class="left-out-note">{link} {quote} — <strong>left out:</strong> '
            f"{esc(passage.left_out)}</li>"
        )
    citers = "; ".join(
        _citer_link(c, "../", content)
        + (
            f" (<em>interpretation:</em> {inline_code(c.interpretation)})"
            if c.interpretation
            else ""
        )
        for c in passage.cited_by
    )
    return f"<li>{link} {quote} — cited by {citers}</li>"


def _untouched_spans(data: ReportData, source_id: str) -> list[tuple[int, int]]:
    """What coverage counts as untouched: whole sentences and parts of partly encoded ones."""
    sentences = {s.anchor: s for s in data.content.citations.texts[source_id].sentences}
    spans: list[tuple[int, int]] = []
    for item in data.sentences.sentences:
        if item.source != source_id:
            continue
        if item.status == "untouched":
            sentence = sentences[item.anchor]
            spans.append((sentence.start, sentence.end))
        spans += item.untouched_spans
    return spans


def source_page(data: ReportData, source_id: str) -> str:
    source = data.content.sources[source_id]
    cov = data.coverage[source_id]
    text = data.content.citations.texts[source_id]
    passages = cov.passages

    def notes(paragraph: Paragraph) -> str:
        here = [p for p in passages if p.paragraph == paragraph.anchor]
        if not here:
            return ""
        return (
            '<ul class="notes">' + "".join(_passage_note(p, data.content) for p in here) + "</ul>"
        )

    url = ""
    if source.url and is_web_address(source.url):  # checked again: the link is live
        url = f'<tr><th>address</th><td><a href="{esc(source.url)}">{esc(source.url)}</a></td></tr>'
    elif source.url:
        url = f"<tr><th>address</th><td>{esc(source.url)} (not a web address: no link)</td></tr>"
    body = [
        _nav("../", data.content.language),
        f"<h1>{esc(source.title)}</h1>",
        "<table>",
        f"<tr><th>source</th><td><code>{esc(source_id)}</code></td></tr>",
        f"<tr><th>publisher</th><td>{esc(source.publisher)}</td></tr>",
        f"<tr><th>author</th><td>{esc(source.author)}</td></tr>",
        f"<tr><th>published</th><td>{esc(source.published)}</td></tr>",
        url,
        provenance_rows(source),
        f"<tr><th>text sha256</th><td><code>{esc(text.sha256)}</code></td></tr>",
        "</table>",
        f"<p>Sentences: {esc(sentence_counts(data.sentences.source_summary(source_id)))}.</p>",
        '<p class="legend"><span><mark>encoded passage</mark></span>'
        '<span><mark class="left-out">left out</mark></span>'
        '<span><span class="untouched">untouched text</span></span></p>',
        article_html(
            text,
            [_highlight(p) for p in passages],
            untouched=_untouched_spans(data, source_id),
            notes=notes,
        ),
        original_html(source, data.content.language),
    ]
    return page(
        f"{source.title} — source", "\n".join(b for b in body if b), _footer(data), SITE_GENERATOR
    )


# --- rule pages ------------------------------------------------------------------------


def rule_page(data: ReportData, rule_id: str) -> str:
    content = data.content
    lang = content.language
    rule = content.rules[rule_id]
    vocabulary = content.vocabulary
    attributes = {
        f"{name}.{attr}": declared
        for facts in (vocabulary.input, vocabulary.derived, vocabulary.background)
        for name, fact in facts.items()
        for attr, declared in fact.attributes.items()
    }
    derivers = {
        fact_type: sorted(
            r.id
            for r in content.rules.values()
            if r.then.derive is not None and r.then.derive.fact == fact_type
        )
        for fact_type in {c.fact_type for c, _ in walk_comparisons(rule.when, ())}
    }

    def fact_link(fact_type: str) -> str:
        if fact_type in vocabulary.background:
            background = say(lang, "background")
            return (
                f' <em>(<a href="../index.html#background-{esc(fact_type)}">{background}</a>)</em>'
            )
        links = [f'<a href="{href(r + ".html")}">{esc(r)}</a>' for r in derivers.get(fact_type, [])]
        derived = say(lang, "(derived by {rules})", rules=", ".join(links))
        return f" <em>{derived}</em>" if links else ""

    covering = _covering(data, rule_id)
    cases = "".join(
        f'<li><a href="../index.html#case-{esc(o.case.name)}">{esc(o.case.name)}</a> '
        f"({esc(o.file)}) — "
        + (
            f'<span class="pass">{say(lang, "pass")}</span>'
            if o.passed
            else f'<span class="fail">{say(lang, "FAIL")}</span>'
        )
        + "</li>"
        for o in covering
    )
    body = [
        _nav("../", data.content.language),
        f"<h1>{say(lang, 'Rule <code>{id}</code>', id=esc(rule.id))}</h1>",
        f"<p>{esc(rule.title)}</p>",
        "<table>",
        f"<tr><th>version</th><td>{rule.version}</td></tr>",
        f"<tr><th>status</th><td>{esc(word(lang, rule.status))}</td></tr>",
        f"<tr><th>file</th><td><code>{esc(content.rule_files[rule.id])}</code></td></tr>",
        f"<tr><th>outcome</th><td>{_outcome_html(rule, '../', lang)}</td></tr>",
        "</table>",
        f"<p>{esc(rule.description)}</p>" if rule.description else "",
        "<h2>Conditions</h2>",
        f'<div class="conditions">{say(lang, "when")} '
        f"{condition_html(rule.when, attributes, fact_link, lang)}</div>",
        "<h2>Citations</h2>",
        *(_citation_html(data, citation, "../") for citation in rule.because),
        "<h2>Test cases covering this rule</h2>",
        f"<ul>{cases}</ul>" if cases else "<p>No test case makes this rule fire.</p>",
    ]
    return page(
        say(lang, "Rule {id} — report", id=rule.id),
        "\n".join(b for b in body if b),
        _footer(data),
        SITE_GENERATOR,
    )


def _version(content: KBContent) -> str:
    """The version answers are stamped with; a working copy says it is unreleased."""
    m = content.manifest
    if content.unreleased:
        last = f"last release {esc(m.version)} of {esc(m.released)}"
        return f"{esc(content.version)} (unreleased; {last})"
    return f"{esc(m.version)} (released {esc(m.released)})"
