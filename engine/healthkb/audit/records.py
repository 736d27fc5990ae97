"""What one audit record says: an evaluation (or a clinician's feedback), sealed in the chain.

A record body is plain JSON data built where the KB that evaluated the result is (the
explanations need it); `chain_record` gives it its head (format, sequence, id, time,
`previous`) and its own `hash`. Writing records to the file is log.py.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import platform
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import chain as auditchain
from .chain import FEEDBACK, FORMAT, AuditLogError, Record, canonical, record_hash

if TYPE_CHECKING:
    from ..results.result import Result


@dataclass(frozen=True)
class Feedback:
    """What a CDS Hooks client said about a card: accepted or overridden, and why."""

    card: str
    """The card's uuid."""
    evaluation: str
    """The record id of the evaluation that gave the card."""
    conclusion: str
    """The conclusion the card shows."""
    details: dict[str, Any]
    """The feedback as the client sent it (`outcome`, `outcomeTimestamp`, ...)."""


def _versions() -> dict[str, str]:
    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "unknown"

    return {
        "healthkb": version("healthkb"),
        "durable_rules": version("durable_rules"),
        "pydantic": version("pydantic"),
        "python": platform.python_version(),
    }


def build_record(
    result: Result, sequence: int, previous: str, input_id: str | None = None
) -> Record:
    """The record of one evaluation, chained: ready to be written."""
    return chain_record(record_body(result, input_id), sequence, previous)


def record_body(result: Result, input_id: str | None = None) -> Record:
    """What a record says about one evaluation, before its place in a chain is known.

    Built where the KB that evaluated `result` is (the explanations need it), as plain
    JSON data, so a worker process can build it and send it to the one that writes. Its
    record id is chosen here, so that the worker's answer can name its record; with
    `input_id` (the caller's id of the input: a batch line's id, a CDS Hooks
    `hookInstance`, an `X-Request-ID`) the record names the input it answers.
    """
    body: Record = {
        "record": str(uuid.uuid4()),
        "kb": {"id": result.kb_id, "version": result.kb_version, "digest": result.kb_digest},
        "software": _versions(),
        "profile": result.profile,
        "result": result.model_dump(mode="json"),
        "explanations": {c.id: result.explain(c.id).to_dict() for c in result.conclusions},
    }
    if input_id is not None:
        if not recordable_id(input_id):
            raise AuditLogError("the input's id holds a lone surrogate; records are UTF-8 text")
        body["input_id"] = input_id
    plain: Record = json.loads(canonical(body))
    return plain


def recordable_id(value: str) -> bool:
    """Whether a record can hold `value` as an input id: UTF-8 text, so no lone
    surrogate (which JSON's `\\ud800` escape can give)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def chain_record(body: Record, sequence: int, previous: str) -> Record:
    """A record body (`record_body`) placed in the chain: its head and its own hash."""
    return _sealed({**_head(sequence, previous), **body})


def build_feedback_record(feedback: Feedback, sequence: int, previous: str) -> Record:
    """The record of a clinician's feedback on a card, chained like an evaluation's."""
    return _sealed(
        {
            **_head(sequence, previous),
            "kind": FEEDBACK,
            "card": feedback.card,
            "evaluation": feedback.evaluation,
            "conclusion": feedback.conclusion,
            "feedback": feedback.details,
        }
    )


def _head(sequence: int, previous: str) -> Record:
    now = datetime.datetime.now(datetime.UTC)
    return {
        "format": FORMAT,
        "sequence": sequence,
        "record": str(uuid.uuid4()),
        "time": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "previous": previous,
    }


def _sealed(record: Record) -> Record:
    # Round-trip through JSON so the stored record is exactly what a reader will see.
    plain: Record = json.loads(canonical(record))
    plain["hash"] = record_hash(plain)
    return plain


def record_line(record: Record, store: str) -> bytes:
    """The record's line as every store keeps it, if it is short enough to be read back."""
    line = canonical(record)
    limit = auditchain.MAX_LINE_BYTES  # read when called: a test may lower it
    if len(line) > limit:
        raise AuditLogError(
            f"{store}: the record of this evaluation would be {len(line):,} bytes long, longer "
            f"than a record may be ({limit:,} bytes); not logged"
        )
    return line
