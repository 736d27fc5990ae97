"""An analysis report as text or JSON: data in, strings out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..analysis.findings import Finding, Report


def witness_text(witness: dict[str, Any]) -> str:
    """A witness on one line, as YAML (and JSON) reads it: paste it into a profile file."""
    return json.dumps(witness, sort_keys=True, ensure_ascii=False)


def warning_line(finding: Finding, place: Callable[[str], str] = str) -> str:
    """A warning finding the way `validate` lists it, after the problems: with its
    witness on the next line, as `analyze` shows it. `place` shows a place (the
    command line shows it from the current folder)."""
    line = (
        f"{place(finding.places[0])}: {finding.kind} (warning): {finding.message} ({finding.hint})"
    )
    if finding.witness is not None:
        line += f"\n  witness: {witness_text(finding.witness)}"
    return line


def finding_text(finding: Finding, place: Callable[[str], str] = str) -> list[str]:
    lines = [
        f"{place(finding.places[0])}: {finding.kind} ({finding.severity}): {finding.message}",
        f"  fix: {finding.hint}",
    ]
    for other, rule in zip(finding.places[1:], finding.rules[1:], strict=False):
        lines.append(f"  see: {place(other)} (rule `{rule}`)")
    if finding.witness is not None:
        lines.append(f"  witness: {witness_text(finding.witness)}")
    return lines


def report_text(report: Report, label: str, place: Callable[[str], str] = str) -> str:
    lines: list[str] = []
    for finding in report.findings:
        lines += finding_text(finding, place)
    stamp = f"{report.kb_id} {report.kb_version} ({label})"
    if not report.findings:
        lines.append(f"ok: {stamp}: no findings")
    else:
        lines.append(f"{stamp}: {len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    return "\n".join(lines)


def report_json(report: Report) -> str:
    """Deterministic: the same KB gives the same bytes."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, sort_keys=True)
