"""Rendering the impact of a release (the JSON data of `healthkb impact`): text, markdown."""

from __future__ import annotations

import json
from typing import Any

_REFUSED_BY = {
    "input": "unreadable",
    "old": "by OLD only",
    "new": "by NEW only",
    "both": "by both KBs",
}
_UNATTRIBUTED = (
    "changed without a rule edit that fired for them (a background fact, a conclusion "
    "or the vocabulary changed)"
)


def impact_json(report: dict[str, Any]) -> str:
    """Indented JSON with sorted keys: the same input and KBs give the same bytes."""
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True)


def impact_text(report: dict[str, Any]) -> str:
    """The report for a reviewer in a terminal."""
    lines = [*_heading(report), ""]
    conclusions = report["conclusions"]
    if conclusions:
        width = max(len("conclusion"), *(len(c) for c in conclusions))
        lines.append(f"{'conclusion':<{width}}  {'gained':>8}  {'lost':>8}")
        for conclusion, counts in conclusions.items():
            lines.append(f"{conclusion:<{width}}  {counts['gained']:>8,}  {counts['lost']:>8,}")
    else:
        lines.append("No profile gains or loses a conclusion.")
    if report["edits"]:
        width = max(len("rule edit"), *(len(e["rule"]) for e in report["edits"]))
        lines += ["", f"{'rule edit':<{width}}  {'change':<8}  {'profiles':>8}  examples"]
        for edit in report["edits"]:
            shown = ", ".join(str(e) for e in edit["examples"])
            lines.append(
                f"{edit['rule']:<{width}}  {edit['change']:<8}  {edit['profiles']:>8,}  {shown}"
            )
    if report["unattributed"]:
        lines += ["", f"{report['unattributed']:,} profiles {_UNATTRIBUTED}."]
    lines += _unreached_lines(report)
    return "\n".join(line.rstrip() for line in lines)


def _unreached_lines(report: dict[str, Any]) -> list[str]:
    """The regions where the KBs are proved to differ that no profile here lies in."""
    unreached = [r for r in report["regions"] if r["profiles"] == 0]
    if not unreached:
        return []
    lines = ["", "Proved to conclude differently, but no profile here lies there:"]
    for region in unreached:
        witness = json.dumps(region["witness"], ensure_ascii=False, sort_keys=True)
        lines += [
            f"  {region['change']} {region['conclusion']} where {region['region']}",
            f"    for example {witness}",
        ]
    return lines


def impact_markdown(report: dict[str, Any]) -> str:
    """The report as markdown, for a release's pull request or notes."""
    old, new = report["old"], report["new"]
    lines = [
        f"## Impact of {new['kb_id']} {new['version']} (was {old['version']})",
        "",
        f"- OLD: {_md(old['label'])}, digest `{old['digest']}`",
        f"- NEW: {_md(new['label'])}, digest `{new['digest']}`",
        f"- {_summary(report)}",
        "",
        "| conclusion | gained | lost |",
        "|---|---:|---:|",
    ]
    lines += [
        f"| `{c}` | {counts['gained']:,} | {counts['lost']:,} |"
        for c, counts in report["conclusions"].items()
    ]
    if not report["conclusions"]:
        lines += ["| (none) | 0 | 0 |"]
    lines += ["", "| rule edit | change | profiles | examples |", "|---|---|---:|---|"]
    lines += [
        f"| `{e['rule']}` | {e['change']} | {e['profiles']:,} | "
        + ", ".join(f"`{_md(str(x))}`" for x in e["examples"])
        + " |"
        for e in report["edits"]
    ]
    if not report["edits"]:
        lines += ["| (none) | | 0 | |"]
    if report["unattributed"]:
        lines += ["", f"{report['unattributed']:,} profiles {_UNATTRIBUTED}."]
    unreached = [r for r in report["regions"] if r["profiles"] == 0]
    if unreached:
        lines += ["", "Proved to conclude differently, but no profile here lies there:", ""]
        lines += [
            f"- {r['change']} `{r['conclusion']}` where {_md(r['region'])}" for r in unreached
        ]
    return "\n".join(lines)


def _heading(report: dict[str, Any]) -> list[str]:
    old, new = report["old"], report["new"]
    return [
        f"OLD: {old['label']}: {old['kb_id']} {old['version']}",
        f"NEW: {new['label']}: {new['kb_id']} {new['version']}",
        _summary(report),
    ]


def _summary(report: dict[str, Any]) -> str:
    text = f"{report['profiles']:,} profiles read, {report['refused']:,} refused"
    by = report["refused_by"]
    if report["refused"]:
        parts = [f"{by[k]:,} {words}" for k, words in _REFUSED_BY.items() if by[k]]
        text += f" ({', '.join(parts)})"
    return f"{text}, {report['changed']:,} changed"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")
