"""`healthkb audit summary`: the counts of a store as text, or one HTML page with SVG bar
charts (answers per day, answers per conclusion and KB release, feedback outcomes)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .html import esc, page

_BAR_HEIGHT, _BAR_GAP, _LABEL_WIDTH, _CHART_WIDTH = 18, 6, 260, 420


def summary_text(summary: dict[str, Any], store: str) -> str:
    """The summary as lines of text."""
    lines = [
        f"{store}: {summary['answers']} answer(s), {summary['answers_without_conclusion']} "
        "with no conclusion"
    ]
    lines += [
        f"  KB {version}: {count} answer(s)" for version, count in summary["releases"].items()
    ]
    lines.append("answers per day:")
    lines += [f"  {day}: {count}" for day, count in summary["answers_per_day"].items()]
    lines.append("conclusions per day and KB release:")
    lines += [
        f"  {row['day']}  {row['kb_version']}  {row['conclusion']}: {row['answers']}"
        for row in summary["conclusions"]
    ]
    if summary["feedback"]:
        lines.append("feedback on cards:")
        lines += [
            f"  {row['conclusion']}: {row['outcome']} {row['count']}" for row in summary["feedback"]
        ]
    if summary["edited_records_not_counted"]:
        lines.append(
            f"{summary['edited_records_not_counted']} record(s) do not match their hash and are "
            "not counted (run `healthkb audit verify`)"
        )
    return "\n".join(lines) + "\n"


def bar_chart(title: str, bars: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG, one labelled bar per (label, count)."""
    height = max(1, len(bars)) * (_BAR_HEIGHT + _BAR_GAP) + _BAR_GAP
    width = _LABEL_WIDTH + _CHART_WIDTH + 60
    most = max((count for _, count in bars), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{esc(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{esc(title)}</title>",
    ]
    for index, (label, count) in enumerate(bars):
        y = _BAR_GAP + index * (_BAR_HEIGHT + _BAR_GAP)
        length = round(_CHART_WIDTH * count / most)
        middle = y + _BAR_HEIGHT - 5
        parts += [
            f'<text x="{_LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'font-size="12">{esc(label)}</text>',
            f'<rect class="bar" x="{_LABEL_WIDTH}" y="{y}" width="{length}" '
            f'height="{_BAR_HEIGHT}" fill="#4a7fb5"><title>{esc(label)}: {count}</title></rect>',
            f'<text x="{_LABEL_WIDTH + length + 6}" y="{middle}" font-size="12">{count}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def summary_html(summary: dict[str, Any], store: str) -> str:
    """One self-contained page: the counts, and a bar chart of each."""
    per_conclusion: Counter[str] = Counter()
    for row in summary["conclusions"]:
        per_conclusion[f"{row['conclusion']} (KB {row['kb_version']})"] += row["answers"]
    feedback = [(f"{r['conclusion']}: {r['outcome']}", r["count"]) for r in summary["feedback"]]
    rows = "".join(
        f"<tr><td>{esc(r['day'])}</td><td>{esc(r['kb_version'])}</td>"
        f"<td>{esc(r['conclusion'])}</td><td>{r['answers']}</td></tr>"
        for r in summary["conclusions"]
    )
    body = (
        f"<h1>Audit summary</h1>\n<p>{esc(store)}: {summary['answers']} answer(s), "
        f"{summary['answers_without_conclusion']} with no conclusion; "
        f"{summary['edited_records_not_counted']} record(s) not counted (edited).</p>\n"
        "<h2>Answers per day</h2>\n"
        + bar_chart("Answers per day", list(summary["answers_per_day"].items()))
        + "\n<h2>Answers per conclusion and KB release</h2>\n"
        + bar_chart("Answers per conclusion and KB release", sorted(per_conclusion.items()))
        + "\n<h2>Feedback on cards</h2>\n"
        + (bar_chart("Feedback on cards", feedback) if feedback else "<p>No feedback.</p>")
        + "\n<h2>Conclusions per day and KB release</h2>\n<table>"
        "<tr><th>day</th><th>KB version</th><th>conclusion</th><th>answers</th></tr>"
        f"{rows}</table>"
    )
    return page("Audit summary", body, f"healthkb audit summary of {esc(store)}")
