"""Release gates: what a release refuses to ship without a word.

A release says "this is the guidance, as tested and as the sources say". So it refuses
(every item listed at once) failing test cases, active rules no test case exercises,
source sentences neither encoded nor left out with a reason, sources past their review
date (`review-overdue`: answers resting on them would go out `stale`), and the
analysis's open warnings (`redundant`, `gap`, `silence-contradicted`), unless the editor
accepts each
kind by its code with a reason (`--accept CODE=REASON`). What was accepted is written
in the changelog entry, so that the release says what it ships.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..analysis.findings import Finding
from ..content.loading.kb_content import KBContent
from ..errors import Problem
from .cases import CaseOutcome
from .coverage import rule_coverage, sentence_coverage
from .review_dates import OVERDUE

FAILING_TEST_CASE = "failing-test-case"
RULE_NOT_EXERCISED = "rule-not-exercised"
SENTENCE_NOT_ENCODED = "sentence-not-encoded"
REVIEW_OVERDUE = OVERDUE
GATE_CODES = (
    FAILING_TEST_CASE,
    RULE_NOT_EXERCISED,
    SENTENCE_NOT_ENCODED,
    REVIEW_OVERDUE,
    "redundant",
    "gap",
    "silence-contradicted",
)
_ACCEPT = re.compile(r"^(?P<code>[a-z]+(?:-[a-z]+)*)=(?P<reason>.*\S.*)$", re.DOTALL)


@dataclass(frozen=True)
class GateItem:
    """One thing a release would ship unchecked: its code and what it is, in words."""

    code: str
    what: str

    def __str__(self) -> str:
        return f"{self.code}: {self.what}"


def parse_acceptance(text: str) -> tuple[str, str]:
    """`CODE=REASON` as (code, reason); ValueError naming the codes when it is not one."""
    match = _ACCEPT.match(text)
    if match is None or match.group("code") not in GATE_CODES:
        raise ValueError(
            f"--accept {text!r}: expected CODE=REASON, CODE one of {', '.join(GATE_CODES)}"
        )
    return match.group("code"), match.group("reason").strip()


def gate_items(
    content: KBContent,
    outcomes: Sequence[CaseOutcome],
    warnings: Iterable[Finding],
    overdue: Iterable[Problem] = (),
) -> list[GateItem]:
    """Everything the release would ship unchecked, in the order of GATE_CODES
    (`overdue`: the `review-overdue` problems of `validate`)."""
    items = [
        GateItem(FAILING_TEST_CASE, f"test case `{o.case.name}` fails ({o.file}:{o.line})")
        for o in outcomes
        if not o.passed
    ]
    items += [
        GateItem(RULE_NOT_EXERCISED, f"no test case exercises rule `{r.rule}` ({r.file})")
        for r in rule_coverage(content, outcomes)
        if r.status == "active" and not r.cases
    ]
    items += [
        GateItem(
            SENTENCE_NOT_ENCODED,
            f"source `{s.source}` {s.anchor} (“{s.text}”) is neither encoded nor left out "
            "with a reason",
        )
        for s in sentence_coverage(content)
        if s.status in ("untouched", "partly")
    ]
    items += [GateItem(REVIEW_OVERDUE, f"{p.file}:{p.line}: {p.message}") for p in overdue]
    items += [GateItem(f.kind, f"{f.places[0]}: {f.message}") for f in warnings]
    order = {code: i for i, code in enumerate(GATE_CODES)}
    return sorted(items, key=lambda item: order.get(item.code, len(order)))


def refused_and_accepted(
    items: Sequence[GateItem], accepted: Mapping[str, str]
) -> tuple[list[GateItem], list[GateItem]]:
    """The items no acceptance covers, and those it does."""
    return (
        [item for item in items if item.code not in accepted],
        [item for item in items if item.code in accepted],
    )


def accepted_lines(items: Sequence[GateItem], accepted: Mapping[str, str]) -> list[str]:
    """The changelog lines of what was accepted: one per code, with its reason."""
    lines = []
    for code in GATE_CODES:
        listed = [item.what for item in items if item.code == code]
        if listed:
            lines.append(f"Accepted `{code}` because {accepted[code]}; " + "; ".join(listed) + ".")
    return lines
