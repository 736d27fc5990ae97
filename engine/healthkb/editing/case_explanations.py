"""Test-case outcomes as a JSON-ready report, with the explanation of every difference.

A failing case carries what was expected, what came out, and for each unmet
expectation the reason in the KB's own terms: the why-not of a missing conclusion,
the proof of an unexpected one, the why-not of each rule that could have derived a
missing fact or that was expected to fire. `render/cases.py` turns the report into
text; `--format json` prints it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .cases import CaseOutcome, Expectation, Mismatch

if TYPE_CHECKING:
    from ..knowledge_base import KnowledgeBase
    from ..results.result import Result

Report = dict[str, Any]


def case_report(kb: KnowledgeBase, outcomes: list[CaseOutcome]) -> Report:
    """The whole run: the KB's identity, one entry per case (in run order), a summary."""
    passed = sum(1 for o in outcomes if o.passed)
    return {
        "kb": {"id": kb.id, "version": kb.version, "digest": kb.digest},
        "cases": [case_entry(kb, o) for o in outcomes],
        "summary": {"total": len(outcomes), "passed": passed, "failed": len(outcomes) - passed},
    }


def case_entry(kb: KnowledgeBase, outcome: CaseOutcome) -> Report:
    """One case: where it is, whether it passed, expected and got, each mismatch explained."""
    return {
        "name": outcome.case.name,
        "file": outcome.file,
        "line": outcome.line,
        "passed": outcome.passed,
        "expected": expected(outcome.case.expect),
        "got": got(outcome.result),
        "mismatches": [_mismatch(kb, outcome.result, m) for m in outcome.mismatches],
    }


def expected(expect: Expectation) -> Report:
    """The expectations a case states (keys it leaves out are omitted)."""
    out: Report = {}
    if expect.conclusions:
        out["conclusions"] = list(expect.conclusions)
    if expect.no_conclusions:
        out["no_conclusions"] = list(expect.no_conclusions)
    if expect.derived:
        out["derived"] = [{"fact": d.fact, "values": dict(d.values)} for d in expect.derived]
    if expect.fired_rules is not None:
        out["fired_rules"] = sorted(expect.fired_rules)
    if expect.only_these_conclusions:
        out["only_these_conclusions"] = True
    return out


def got(result: Result) -> Report:
    """What came out: conclusions (in the result's order), derived facts, rules that fired."""
    return {
        "conclusions": result.conclusion_ids,
        "derived": [{"fact": d.fact, "values": d.values} for d in result.derived],
        "fired_rules": sorted({f.rule_id for f in result.fired}),
    }


def _mismatch(kb: KnowledgeBase, result: Result, mismatch: Mismatch) -> Report:
    entry: Report = {
        "kind": mismatch.kind,
        "subject": mismatch.subject,
        "message": mismatch.message,
    }
    if mismatch.kind == "missing-conclusion":
        entry["why_not"] = result.why_not(mismatch.subject).to_dict()
    elif mismatch.kind == "unexpected-conclusion":
        entry["explanation"] = result.explain(mismatch.subject).to_dict()
    elif mismatch.kind == "missing-derived":
        entry["why_not_rules"] = [
            result.rule_why_not(rule_id)
            for rule_id in _producers(kb, mismatch.subject, mismatch.values or {})
        ]
    elif mismatch.kind == "missing-rule":
        entry["why_not_rules"] = [result.rule_why_not(mismatch.subject)]
    else:  # unexpected-rule: show what made it fire
        entry["facts_used"] = [
            [used.model_dump(mode="json") for used in firing.facts_used]
            for firing in result.fired
            if firing.rule_id == mismatch.subject
        ]
    return entry


def _producers(kb: KnowledgeBase, fact: str, values: Mapping[str, Any]) -> list[str]:
    """The rules that derive this fact with these values, sorted by id."""
    return sorted(
        rule.id
        for rule in kb.content.rules.values()
        if rule.then.derive is not None
        and rule.then.derive.fact == fact
        and all(rule.then.derive.values.get(k) == v for k, v in values.items())
    )
