"""Auditors' questions of a store, answered as data: which records, and how many.

`listed` gives one `Listed` row per record that answers the filters (a database store
finds them by its index; each is then read from its line, checked against the filters
and against its own hash). `summarised` counts answers per conclusion, KB release and
day, the answers that concluded nothing, and the feedback clinicians gave on cards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .chain import Record, hash_matches, is_feedback, parse
from .filters import Filters, index_entry
from .log import AuditLog

LISTED_FIELDS = (
    "record",
    "sequence",
    "time",
    "kind",
    "kb_id",
    "kb_version",
    "kb_digest",
    "input_id",
    "conclusions",
    "intact",
)


@dataclass(frozen=True)
class Listed:
    """One record as `audit list` shows it."""

    record: str
    sequence: int
    time: str
    kind: str
    """`evaluation`, or `feedback` on a card."""
    kb_id: str
    kb_version: str
    kb_digest: str
    input_id: str | None
    conclusions: tuple[str, ...]
    intact: bool
    """Whether the record still matches its own hash (`audit verify` says more)."""

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in LISTED_FIELDS}
        data["conclusions"] = list(self.conclusions)
        return data


def listed(log: AuditLog, filters: Filters) -> Iterator[Listed]:
    """Every record of `log` that answers `filters`, in the chain's order."""
    for _, record in log.select(filters):
        entry = index_entry(record)
        yield Listed(
            record=entry.record_id,
            sequence=entry.sequence,
            time=entry.time,
            kind=entry.kind,
            kb_id=entry.kb_id,
            kb_version=entry.kb_version,
            kb_digest=entry.kb_digest,
            input_id=entry.input_id,
            conclusions=_in_result_order(record),
            intact=hash_matches(record),
        )


def digest_counts(log: AuditLog) -> dict[str, int]:
    """KB digest -> the evaluations answered under it, over every record that reads as
    one (a damaged line is `verify`'s to report, not counted here)."""
    counts: Counter[str] = Counter()
    for line in log.store.lines():
        record, _ = parse(line.data)
        kb = record.get("kb") if record is not None else None
        if isinstance(kb, dict) and isinstance(kb.get("digest"), str):
            counts[kb["digest"]] += 1
    return dict(sorted(counts.items()))


def _in_result_order(record: Record) -> tuple[str, ...]:
    if is_feedback(record):
        return (str(record.get("conclusion", "")),)
    return tuple(str(c["id"]) for c in record["result"]["conclusions"])


@dataclass
class Summary:
    """What a store holds, counted: answers per conclusion per KB release per day."""

    answers: int = 0
    answers_without_conclusion: int = 0
    """Answers that concluded nothing: the sources say nothing about the profile."""
    per_day: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(day, KB version, conclusion) -> answers that reached it."""
    answers_per_day: Counter[str] = field(default_factory=Counter)
    releases: Counter[str] = field(default_factory=Counter)
    """KB version -> answers."""
    feedback: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(conclusion, outcome) -> feedback records."""
    edited: int = 0
    """Records that no longer match their hash: not counted."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "answers_without_conclusion": self.answers_without_conclusion,
            "answers_per_day": dict(sorted(self.answers_per_day.items())),
            "releases": dict(sorted(self.releases.items())),
            "conclusions": [
                {"day": day, "kb_version": version, "conclusion": conclusion, "answers": count}
                for (day, version, conclusion), count in sorted(self.per_day.items())
            ],
            "feedback": [
                {"conclusion": conclusion, "outcome": outcome, "count": count}
                for (conclusion, outcome), count in sorted(self.feedback.items())
            ],
            "edited_records_not_counted": self.edited,
        }


def summarised(log: AuditLog, filters: Filters) -> Summary:
    """Count the records of `log` that answer `filters`."""
    summary = Summary()
    for _, record in log.select(filters):
        if not hash_matches(record):
            summary.edited += 1
            continue
        entry = index_entry(record)
        day = entry.time[:10]
        if entry.kind != "evaluation":
            outcome = record.get("feedback", {}).get("outcome", "unknown")
            summary.feedback[(entry.conclusions[0], str(outcome))] += 1
            continue
        summary.answers += 1
        summary.answers_per_day[day] += 1
        summary.releases[entry.kb_version] += 1
        if not entry.conclusions:
            summary.answers_without_conclusion += 1
        for conclusion in entry.conclusions:
            summary.per_day[(day, entry.kb_version, conclusion)] += 1
    return summary
