"""Test-case reports (see `editing/case_explanations.py`) as the text `healthkb test` prints."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ..results.tree_text import explanation_text, rule_why_not_text, why_not_text

Report = dict[str, Any]
_PAD = "    "


def cases_text(report: Report, place: Callable[[str], str] = str) -> str:
    """One line per case; under a failing case, expected, got and each mismatch explained.
    `place` shows a case's place (the command line shows it from the current folder)."""
    lines: list[str] = []
    for case in report["cases"]:
        status = "PASS" if case["passed"] else "FAIL"
        where = place(f"{case['file']}:{case['line']}")
        lines.append(f"{status} {case['name']}  ({where})")
        if not case["passed"]:
            lines += _failure_lines(case)
    summary, kb = report["summary"], report["kb"]
    lines.append(
        f"{summary['passed']} passed, {summary['failed']} failed"
        f"  (knowledge base {kb['id']} {kb['version']})"
    )
    return "\n".join(lines)


def cases_json(report: Report) -> str:
    """The report as indented, key-sorted JSON."""
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True)


def _failure_lines(case: Report) -> list[str]:
    expected, got = case["expected"], case["got"]
    lines = ["  expected:"]
    for key, value in expected.items():
        lines.append(f"{_PAD}{key}: {_listing(value)}")
    lines.append("  got:")
    lines.append(f"{_PAD}conclusions: {_listing(got['conclusions'])}")
    lines.append(f"{_PAD}derived: {_listing(got['derived'])}")
    if "fired_rules" in expected:
        lines.append(f"{_PAD}fired_rules: {_listing(got['fired_rules'])}")
    shown: set[str] = set()
    for mismatch in case["mismatches"]:
        lines.append(f"  - {mismatch['message']}")
        reason = _reason(mismatch).splitlines()
        # One root cause often explains several mismatches (a rule that did not fire,
        # its derived fact, the conclusion); print each explanation once.
        stripped = {line.strip() for line in reason}
        if reason and stripped <= shown:
            lines.append(f"{_PAD}(explained above)")
            continue
        shown |= stripped
        lines += [f"{_PAD}{line}" for line in reason]
    return lines


def _listing(value: Any) -> str:
    if isinstance(value, list):
        if not value:
            return "(none)"
        return ", ".join(_item(v) for v in value)
    return json.dumps(value, ensure_ascii=False)


def _item(value: Any) -> str:
    if isinstance(value, dict) and "fact" in value:
        values = json.dumps(value["values"], ensure_ascii=False, sort_keys=True)
        return f"{value['fact']} {values}"
    return str(value)


def _reason(mismatch: Report) -> str:
    if "why_not" in mismatch:
        return why_not_text(mismatch["why_not"])
    if "explanation" in mismatch:
        return explanation_text(mismatch["explanation"])
    if "why_not_rules" in mismatch:
        rules = mismatch["why_not_rules"]
        if not rules:
            return "no rule derives such a fact"
        return "\n".join(rule_why_not_text(rule) for rule in rules)
    firings = mismatch.get("facts_used", [])
    return "\n".join(
        "fired on " + ", ".join(_item(used) for used in facts) for facts in firings if facts
    )
