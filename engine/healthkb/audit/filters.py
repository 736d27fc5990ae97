"""The questions auditors ask of a store: records by time, KB release, input and outcome.

`Filters` says which records are wanted; `matches` checks one record against them (the
file store scans the chain with it), and `index_entry` is what a database store indexes
of each record so that it can answer the same filters from its indexes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..results.cds_cards import card_uuid
from .chain import FEEDBACK, Record, is_feedback


@dataclass(frozen=True)
class Filters:
    """Which records an auditor wants; every field given must hold (None: any)."""

    since: str | None = None
    """Records at or after this time (ISO 8601, compared as text in UTC: `2026-12-03`)."""
    until: str | None = None
    """Records before this time (`2026-12-04` ends with 3 December)."""
    kb_version: str | None = None
    digest: str | None = None
    """The KB digest, or its start (`sha256:ab12`)."""
    conclusion: str | None = None
    rule: str | None = None
    input_id: str | None = None
    record: str | None = None
    """The record with this id, or the record behind the CDS Hooks card with this uuid
    (canonical uuid text: lower case, with hyphens)."""

    def is_empty(self) -> bool:
        return all(getattr(self, field.name) is None for field in fields(self))


@dataclass(frozen=True)
class IndexEntry:
    """What a database store indexes of one record."""

    sequence: int
    record_id: str
    time: str
    kind: str
    kb_id: str
    kb_version: str
    kb_digest: str
    input_id: str | None
    conclusions: tuple[str, ...]
    rules: tuple[str, ...]


def index_entry(record: Record) -> IndexEntry:
    """The index of a record as `append` wrote it (a feedback record indexes the
    conclusion of the card it is about)."""
    if is_feedback(record):
        conclusions: tuple[str, ...] = (str(record.get("conclusion", "")),)
        rules: tuple[str, ...] = ()
        kb: dict[str, Any] = {}
        kind = FEEDBACK
    else:
        result = record["result"]
        conclusions = tuple(sorted({str(c["id"]) for c in result["conclusions"]}))
        rules = tuple(sorted({str(f["rule_id"]) for f in result["fired"]}))
        kb, kind = record["kb"], "evaluation"
    input_id = record.get("input_id")
    return IndexEntry(
        sequence=int(record["sequence"]),
        record_id=str(record["record"]),
        time=str(record["time"]),
        kind=kind,
        kb_id=str(kb.get("id", "")),
        kb_version=str(kb.get("version", "")),
        kb_digest=str(kb.get("digest", "")),
        input_id=input_id if isinstance(input_id, str) else None,
        conclusions=conclusions,
        rules=rules,
    )


def matches(record: Record, filters: Filters) -> bool:
    """Whether a record (one that matches its hash) answers the filters."""
    try:
        entry = index_entry(record)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # not a record healthkb wrote: `audit verify` reports it
    checks = (
        filters.since is None or entry.time >= filters.since,
        filters.until is None or entry.time < filters.until,
        filters.kb_version is None or entry.kb_version == filters.kb_version,
        filters.digest is None or entry.kb_digest.startswith(filters.digest),
        filters.conclusion is None or filters.conclusion in entry.conclusions,
        filters.rule is None or filters.rule in entry.rules,
        filters.input_id is None or entry.input_id == filters.input_id,
        filters.record is None or _is_or_gave_card(entry, filters.record),
    )
    return all(checks)


def _is_or_gave_card(entry: IndexEntry, wanted: str) -> bool:
    if entry.record_id == wanted:
        return True
    if entry.kind == FEEDBACK:
        return False
    try:
        return any(card_uuid(entry.record_id, c) == wanted for c in entry.conclusions)
    except ValueError:
        return False  # a record id that is no uuid: not one healthkb wrote
