"""Coverage (see `editing/coverage.py`) as the text `healthkb coverage` prints, or as JSON."""

from __future__ import annotations

import json
from typing import Any

Report = dict[str, Any]
_LABEL = {
    "encoded": "encoded",
    "left_out": "left out",
    "partly": "PARTLY",
    "untouched": "UNTOUCHED",
}
_INDENT = " " * 21
_SHOWN_CASES = 4


def coverage_text(report: Report) -> str:
    """Sentences source by source, then rules, then each source's and the total figures."""
    lines: list[str] = []
    source = None
    for sentence in report["sentences"]:
        if sentence["source"] != source:
            source = sentence["source"]
            lines.append(f"source {source}")
        lines += _sentence_lines(sentence)
    lines.append("rules")
    width = max((len(r["rule"]) for r in report["rules"]), default=0)
    for rule in report["rules"]:
        lines.append(f"  {rule['rule'].ljust(width)}  {_rule_state(rule)}")
    sources = report["summary"]["sources"]
    lines.append("sources")
    width = max((len(name) for name in sources), default=0)
    for name, counts in sources.items():
        lines.append(f"  {name.ljust(width)}  {sentence_counts(counts)}")
    lines += summary_lines(report)
    for translation in report.get("translations", ()):
        lines += translation_lines(translation)
    return "\n".join(lines)


def translation_lines(translation: Report) -> list[str]:
    """`translation zh-Hans: 58 of 60 wordings (96.7%)`, then each one missing."""
    head = (
        f"translation {translation['language']}: {translation['translated']} of "
        f"{translation['total']} wordings ({translation['percent']}%)"
    )
    return [head, *(f"  missing {key}" for key in translation["missing"])]


def sentence_counts(s: Report) -> str:
    """`22 of 23 accounted for (95.7%): 14 encoded, 8 left out, 1 untouched`."""
    accounted = s["encoded"] + s["left_out"]
    partly = f"{s['partly']} partly encoded, " if s["partly"] else ""
    return (
        f"{accounted} of {s['total']} accounted for ({s['percent']}%): {s['encoded']} "
        f"encoded, {s['left_out']} left out, {partly}{s['untouched']} untouched"
    )


def summary_lines(report: Report) -> list[str]:
    """The two closing lines: sentences accounted for, active rules exercised."""
    s, r = report["summary"]["sentences"], report["summary"]["rules"]
    not_counted = f"; {r['not_counted']} draft or retired not counted" if r["not_counted"] else ""
    return [
        f"sentences: {sentence_counts(s)}",
        f"rules: {r['exercised']} of {r['total']} active rules exercised by a test case "
        f"({r['percent']}%){not_counted}",
    ]


def coverage_json(report: Report) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True)


def _sentence_lines(sentence: Report) -> list[str]:
    head = f"  {sentence['anchor']:<7} {_LABEL[sentence['status']]:<9}  “{sentence['text']}”"
    lines = [head]
    for key, label in (
        ("rules", "by rules"),
        ("conclusions", "by conclusions"),
        ("background", "by background facts"),
    ):
        if sentence[key]:
            lines.append(f"{_INDENT}{label} {', '.join(sentence[key])}")
    for part in sentence["untouched_parts"]:
        lines.append(f"{_INDENT}untouched: “{part}”")
    if sentence["status"] == "left_out" or (sentence["reason"] and sentence["status"] == "partly"):
        lines.append(f"{_INDENT}reason: {sentence['reason']}")
    if sentence["inactive_rules"]:
        names = ", ".join(sentence["inactive_rules"])
        lines.append(f"{_INDENT}also cited by draft or retired rules (not counted): {names}")
    return lines


def _rule_state(rule: Report) -> str:
    if rule["status"] != "active":
        return f"{rule['status']}, not counted (only active rules run)"
    cases = rule["cases"]
    if not cases:
        return "NOT EXERCISED by any test case"
    shown = ", ".join(cases[:_SHOWN_CASES])
    more = f", and {len(cases) - _SHOWN_CASES} more" if len(cases) > _SHOWN_CASES else ""
    noun = "case" if len(cases) == 1 else "cases"
    return f"exercised by {len(cases)} {noun}: {shown}{more}"
