"""Review dates: which sources are due for review soon, and which are overdue.

`validate` warns `review_warning_days` (kb.yaml, default 30) before a source's
`review_by` date and reports an overdue source as a problem (`review-overdue`);
`release` refuses one unless the release accepts it with a reason. Loading never
refuses an overdue source: answers resting on it say `stale`, and the service goes on
answering. Every function takes "today" as an argument, so tests choose the day.
"""

from __future__ import annotations

import datetime

from ..content.loading.kb_content import KBContent
from ..errors import Problem

OVERDUE = "review-overdue"
DUE_SOON = "review-due-soon"


def review_problems(content: KBContent, today: datetime.date) -> list[Problem]:
    """A problem for each source past its `review_by` date on `today`."""
    return [
        _at(content, source_id, OVERDUE, message, hint)
        for source_id, message, hint in _dated(content, today, overdue=True)
    ]


def review_warnings(content: KBContent, today: datetime.date) -> list[Problem]:
    """A warning for each source whose `review_by` date is within the warning window."""
    return [
        _at(content, source_id, DUE_SOON, message, hint)
        for source_id, message, hint in _dated(content, today, overdue=False)
    ]


def _dated(
    content: KBContent, today: datetime.date, *, overdue: bool
) -> list[tuple[str, str, str]]:
    window = datetime.timedelta(days=content.manifest.review_warning_days)
    found = []
    for source_id, source in sorted(content.sources.items()):
        due = source.review_by
        if due is None:
            continue
        days = (due - today).days
        if overdue and days < 0:
            found.append(
                (
                    source_id,
                    f"source `{source_id}` was due for review on {due.isoformat()} "
                    f"({-days} day(s) ago); answers resting on it are marked stale",
                    "review it against current knowledge, then set `reviewed:` to the day "
                    "and `review_by:` to the next review date",
                )
            )
        elif not overdue and days >= 0 and due - window <= today:
            found.append(
                (
                    source_id,
                    f"source `{source_id}` is due for review on {due.isoformat()} "
                    f"(in {days} day(s))",
                    "review it before then, or answers resting on it will be marked stale",
                )
            )
    return found


def _at(content: KBContent, source_id: str, code: str, message: str, hint: str) -> Problem:
    file, line, column = content.places[("source_review_by", source_id)].rsplit(":", 2)
    return Problem(file, int(line), int(column), code, message, hint)
