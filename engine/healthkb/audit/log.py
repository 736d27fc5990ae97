"""The audit log: one JSON line per evaluation, chained by sha256 so tampering shows.

Each record holds everything an auditor needs to see why an answer was given without
running anything again: the KB's identity and digest, the package versions, the
validated profile, the conclusions and the proof tree of every conclusion. Each record
carries `previous`, the sha256 of the previous record's line exactly as written (the
first record carries `GENESIS`), and `hash`, the sha256 of its own canonical JSON
without that field. Editing a record breaks its own `hash`; deleting or reordering
records breaks the next record's `previous`.

Appends are serialised by a threading lock and an exclusive `flock` on the log file,
so several threads and several processes can share one log; each record is flushed
and fsynced before `append` returns. A log whose last line is torn (a crash in the
middle of a write), or is not a record as written, is refused for appending until an
auditor has looked at it. What a record holds is built in records.py; reading a log
back and checking its chain is chain.py.

>>> import healthkb, tempfile, pathlib
>>> log = healthkb.AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> result = healthkb.load().evaluate({"symptoms": {"physical_discomfort": True}}, audit=log)
>>> log.find(result.audit_record_id)["result"]["conclusions"][0]["id"]
'stop_and_rest'
>>> log.verify().ok
True
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..results.cds_cards import card_uuid
from . import chain as auditchain
from .chain import (
    FORMAT,
    GENESIS,
    AuditLogError,
    Checked,
    LogProblem,
    Record,
    Verification,
    canonical,
    hash_matches,
    is_feedback,
    is_sequence,
    line_hash,
    parse,
    record_hash,
)
from .checkpoints import (
    DEFAULT_CHECKPOINT_EVERY,
    CheckpointCheck,
    CheckpointSchedule,
    append_checkpoint,
    load_public_key,
    make_checkpoint,
    verify_checkpoints,
)
from .records import Feedback, build_feedback_record, build_record, chain_record, record_body

if TYPE_CHECKING:
    from ..results.result import Result

__all__ = [
    "FORMAT",
    "GENESIS",
    "AuditLog",
    "AuditLogError",
    "Checked",
    "Feedback",
    "LogProblem",
    "Record",
    "UnknownRecordError",
    "Verification",
    "build_feedback_record",
    "build_record",
    "canonical",
    "chain_record",
    "hash_matches",
    "line_hash",
    "record_body",
    "record_hash",
]

_TAIL_BLOCK = 64 * 1024


class UnknownRecordError(AuditLogError):
    """No record (or card) of the log has the id asked for."""


class AuditLog:
    """An append-only, hash-chained JSON-lines log of evaluations.

    Safe to share between threads; several processes may append to the same file.
    Pass it to `KnowledgeBase.evaluate(profile, audit=log)`.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        checkpoint_key: str | Path | Ed25519PrivateKey | None = None,
        checkpoint_every: int | None = DEFAULT_CHECKPOINT_EVERY,
        checkpoint_seconds: float | None = None,
    ) -> None:
        """`checkpoint_key` (an Ed25519 private key, or the path of `audit.key`) makes
        this writer sign a checkpoint after every `checkpoint_every` records it appends
        and at its first append `checkpoint_seconds` or more after its last checkpoint
        (None turns either off); `checkpoint()` signs one now (at shutdown, say)."""
        self.path = Path(path)
        self._lock = threading.Lock()
        self._schedule = (
            None
            if checkpoint_key is None
            else CheckpointSchedule(checkpoint_key, checkpoint_every, checkpoint_seconds)
        )

    def __repr__(self) -> str:
        return f"<AuditLog {self.path}>"

    def append(self, result: Result) -> str:
        """Write the record of `result`, durably, and return its record id."""
        return self._append([lambda sequence, previous: build_record(result, sequence, previous)])[
            0
        ]

    def append_many(self, results: Iterable[Result]) -> list[str]:
        """Write the records of `results` in order with one fsync (a group commit): all
        of them durable when this returns; their record ids, in order."""
        return self.append_bodies([record_body(result) for result in results])

    def append_bodies(self, bodies: list[Record]) -> list[str]:
        """Chain and write record bodies (`record_body`, built wherever the evaluations
        ran) in order, durably, with one fsync; their record ids, in order."""
        return self._append([functools.partial(chain_record, body) for body in bodies])

    def append_feedback(self, feedback: Feedback) -> str:
        """Write the record of feedback on a card, durably, and return its record id."""
        return self._append(
            [lambda sequence, previous: build_feedback_record(feedback, sequence, previous)]
        )[0]

    def _append(self, builds: list[Callable[[int, str], Record]]) -> list[str]:
        """Build and write records in order, chained, with one write and one fsync."""
        if not builds:
            return []
        with self._lock:
            created = not self.path.exists()
            fd = auditchain.open_log(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                sequence, previous = _chain_head(fd, self.path)
                records, lines = [], []
                for offset, build in enumerate(builds):
                    record = build(sequence + offset, previous)
                    line = _line_of(record, self.path)
                    previous = line_hash(line)
                    records.append(record)
                    lines.append(line)
                # One write: a crash leaves every record of the group or a torn last
                # line, which `verify` reports and appending refuses.
                _write_durably(fd, b"".join(line + b"\n" for line in lines), self.path)
                if created:
                    _fsync_folder(self.path.parent)
                for offset, line in enumerate(lines):
                    if self._schedule is not None and self._schedule.record_appended():
                        # Under the log's lock: the checkpoints go in the records' order.
                        self._sign(sequence + offset, line_hash(line))
            finally:
                os.close(fd)  # closing releases the flock
        return [str(record["record"]) for record in records]

    def checkpoint(self, key: str | Path | Ed25519PrivateKey | None = None) -> Record:
        """Sign a checkpoint of the log's last record now, with `key` or the writer's
        `checkpoint_key`, and append it to `LOG.checkpoints`; returns the checkpoint.

        It signs what the log holds: run `verify` (and `verify_checkpoints`) first where
        the log may have been tampered with since the last checkpoint, as the
        `healthkb audit checkpoint` command does."""
        with self._lock:
            if key is not None:
                schedule = CheckpointSchedule(key, None, None)
            elif self._schedule is not None:
                schedule = self._schedule
            else:
                raise AuditLogError(f"{self.path}: no key to sign a checkpoint with")
            fd = auditchain.open_log(self.path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                following, head = _chain_head(fd, self.path)
                if following == 1:
                    raise AuditLogError(f"{self.path}: the log is empty: nothing to checkpoint")
                return self._sign(following - 1, head, schedule)
            finally:
                os.close(fd)

    def verify_checkpoints(self, public_key: str | Path | Ed25519PublicKey) -> CheckpointCheck:
        """Check every checkpoint of the log with `public_key` (or the path of
        `audit.pub`): each signature, and that each signed record is still as signed."""
        if not isinstance(public_key, Ed25519PublicKey):
            public_key = load_public_key(Path(public_key))
        return verify_checkpoints(self.path, public_key)

    def _sign(self, sequence: int, head: str, schedule: CheckpointSchedule | None = None) -> Record:
        schedule = schedule or self._schedule
        assert schedule is not None
        checkpoint = make_checkpoint(schedule.key, sequence, head)
        append_checkpoint(self.path, checkpoint)
        schedule.checkpointed()
        return checkpoint

    def checked(self) -> Iterator[Checked]:
        """Every record with what is wrong with it (its hash, its link, its line ending),
        if anything; raises AuditLogError at a line that is not a record at all."""
        for checked in auditchain.walk(self.path):
            if checked.record is None:
                assert checked.problem is not None
                problem = checked.problem
                raise AuditLogError(
                    f"{self.path}:{problem.line}: {problem.code}: {problem.message} ({_VERIFY})"
                )
            yield checked

    def records(self) -> Iterator[tuple[int, Record]]:
        """(line number, record) for every record; raises AuditLogError at a damaged line."""
        for checked in self.checked():
            assert checked.record is not None
            yield checked.line.number, checked.record

    def locate(self, record_or_card_id: str) -> tuple[Record, str | None]:
        """The record with this id (and None), or the record and the conclusion behind a
        CDS Hooks card with this uuid. A uuid may be given in any of its standard textual
        forms: any case, in braces, or as a `urn:uuid:`."""
        wanted = _uuid_text(record_or_card_id)
        for _, record in self.records():
            if is_feedback(record):
                continue  # only evaluations are shown; feedback names the card it is about
            record_id = str(record["record"])
            if record_id == record_or_card_id or (wanted and wanted == _uuid_text(record_id)):
                return record, None
            conclusion = _card_conclusion(record, wanted) if wanted else None
            if conclusion is not None:
                return record, conclusion
        raise UnknownRecordError(f"{self.path}: no record or card with id {record_or_card_id}")

    def find(self, record_id: str) -> Record:
        """The record with this id (or the record behind a CDS Hooks card with this uuid)."""
        return self.locate(record_id)[0]

    def verify(self) -> Verification:
        """Check every record's own hash and its link to the one before; stop at the first."""
        return auditchain.verify(self.path)


_VERIFY = "run `healthkb audit verify` on it"


def _uuid_text(text: str) -> str | None:
    """A uuid's canonical text (lower case, hyphens), or None if `text` is not a uuid."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def _card_conclusion(record: Record, card: str) -> str | None:
    """The conclusion whose card has this uuid, if it is one of the record's cards."""
    record_id, explanations = str(record["record"]), record["explanations"]
    if _uuid_text(record_id) is None or not isinstance(explanations, dict):
        return None  # not a record healthkb wrote, which verify reports
    return next((c for c in explanations if card_uuid(record_id, c) == card), None)


def _line_of(record: Record, path: Path) -> bytes:
    """The record's line, if it is short enough to be read back."""
    line = canonical(record)
    if len(line) > auditchain.MAX_LINE_BYTES:
        raise AuditLogError(
            f"{path}: the record of this evaluation would be {len(line):,} bytes long, longer "
            f"than a record may be ({auditchain.MAX_LINE_BYTES:,} bytes); not logged"
        )
    return line


def _chain_head(fd: int, path: Path) -> tuple[int, str]:
    """The next sequence number and `previous` hash, read from the log's last line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 1, GENESIS
    last = _last_line(fd, size)
    if last is not None and not last.endswith(b"\n"):
        raise AuditLogError(
            f"{path}: the last line is torn (a write was interrupted); refusing to append "
            f"after it ({_VERIFY})"
        )
    record, why = _last_record(last)
    if record is None or last is None:
        raise AuditLogError(
            f"{path}: the last line is not a record ({why}); refusing to append ({_VERIFY})"
        )
    return record["sequence"] + 1, line_hash(last[:-1])


def _last_record(last: bytes | None) -> tuple[Record | None, str]:
    """The record to append after (the log's last line, newline included), or why not."""
    if last is None:
        return None, f"it is longer than the {auditchain.MAX_LINE_BYTES:,} bytes a record may have"
    line = last[:-1]
    if not line.strip():
        return None, "it is blank"
    if line.endswith(b"\r"):
        return None, "it ends in CRLF: the file was converted to CRLF line endings"
    record, why = parse(line)
    if record is not None and not is_sequence(record.get("sequence")):
        return None, "it has no `sequence`"
    return record, why


def _last_line(fd: int, size: int) -> bytes | None:
    """The file's last line, newline included, read backwards in blocks; None if it is
    longer than a record may be (so a huge line is never read into memory)."""
    end, length = size - 1, 1  # skip the final newline when looking for the one before it
    chunks: list[bytes] = []
    while end > 0:
        start = max(0, end - _TAIL_BLOCK)
        block = os.pread(fd, end - start, start)
        cut = block.rfind(b"\n")
        chunks.append(block[cut + 1 :] if cut >= 0 else block)
        length += len(chunks[-1])
        if length > auditchain.MAX_LINE_BYTES + 1:
            return None
        if cut >= 0:
            break
        end = start
    chunks.reverse()
    return b"".join(chunks) + os.pread(fd, 1, size - 1)


def _write_durably(fd: int, data: bytes, path: Path) -> None:
    """Append `data` and fsync it, or leave the file as it was and raise AuditLogError.

    The caller holds the exclusive lock, so the bytes after `size` are this write's own:
    when the disk is full (ENOSPC) or the write fails half-way, cutting them off keeps
    the last line whole, and appending works again once the disk has room.
    """
    size = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except OSError as error:
        try:
            os.ftruncate(fd, size)
        except OSError as undo:
            raise AuditLogError(
                f"{path}: cannot write the audit record ({error.strerror}), nor cut the "
                f"partial record back off ({undo.strerror}); not logged ({_VERIFY})"
            ) from None
        raise AuditLogError(
            f"{path}: cannot write the audit record ({error.strerror}); not logged, and "
            "the log is as it was before"
        ) from None


def _fsync_folder(folder: Path) -> None:
    """Make a new log's directory entry durable too (a crash must not lose the file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
