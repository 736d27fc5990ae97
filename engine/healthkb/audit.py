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
middle of a write) is refused for appending until an auditor has looked at it.

>>> import healthkb, tempfile, pathlib
>>> log = healthkb.AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audit.jsonl")
>>> result = healthkb.load().evaluate({"symptoms": {"physical_discomfort": True}}, audit=log)
>>> log.find(result.audit_record_id)["result"]["conclusions"][0]["id"]
'stop_and_rest'
>>> log.verify().ok
True
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import importlib.metadata
import json
import os
import platform
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import HealthKBError

if TYPE_CHECKING:
    from .result import Result

FORMAT = "healthkb-audit/1"
GENESIS = "sha256:" + "0" * 64
"""The `previous` of the first record: there is no record before it."""

_TAIL_BLOCK = 64 * 1024

Record = dict[str, Any]


class AuditLogError(HealthKBError):
    """The audit log cannot be read or appended to (missing, torn, damaged)."""


def line_hash(line: bytes) -> str:
    """The sha256 of one record's line as written (without its newline)."""
    return "sha256:" + hashlib.sha256(line).hexdigest()


def canonical(record: Record) -> bytes:
    """The one way a record is written: sorted keys, no spaces, UTF-8, one line."""
    text = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def record_hash(record: Record) -> str:
    """The sha256 of a record's canonical JSON without its own `hash` field."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return "sha256:" + hashlib.sha256(canonical(body)).hexdigest()


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


def build_record(result: Result, sequence: int, previous: str) -> Record:
    """The record of one evaluation (without `hash`), ready to be chained and written."""
    now = datetime.datetime.now(datetime.UTC)
    record: Record = {
        "format": FORMAT,
        "sequence": sequence,
        "record": str(uuid.uuid4()),
        "time": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "previous": previous,
        "kb": {"id": result.kb_id, "version": result.kb_version, "digest": result.kb_digest},
        "software": _versions(),
        "profile": result.profile,
        "result": result.model_dump(mode="json"),
        "explanations": {c.id: result.explain(c.id).to_dict() for c in result.conclusions},
    }
    # Round-trip through JSON so the stored record is exactly what a reader will see.
    plain: Record = json.loads(canonical(record))
    plain["hash"] = record_hash(plain)
    return plain


@dataclass(frozen=True)
class LogProblem:
    """The first thing wrong with a log: where (1-based line), which record, and what."""

    line: int
    record: str | None
    code: str
    message: str

    def __str__(self) -> str:
        which = f" (record {self.record})" if self.record else ""
        return f"line {self.line}{which}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record": self.record,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class Verification:
    """What `verify` found: how many records are sound, the head hash, the first problem."""

    path: str
    records: int
    head: str
    problem: LogProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "log": self.path,
            "ok": self.ok,
            "records": self.records,
            "head": self.head,
            "problem": self.problem.to_dict() if self.problem else None,
        }


class AuditLog:
    """An append-only, hash-chained JSON-lines log of evaluations.

    Safe to share between threads; several processes may append to the same file.
    Pass it to `KnowledgeBase.evaluate(profile, audit=log)`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<AuditLog {self.path}>"

    def append(self, result: Result) -> str:
        """Write the record of `result`, durably, and return its record id."""
        with self._lock:
            created = not self.path.exists()
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            except OSError as error:
                reason = error.strerror
                raise AuditLogError(f"{self.path}: cannot open the audit log ({reason})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                sequence, previous = _chain_head(fd, self.path)
                record = build_record(result, sequence, previous)
                _write_all(fd, canonical(record) + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the flock
            if created:
                _fsync_folder(self.path.parent)
        record_id: str = record["record"]
        return record_id

    def records(self) -> Iterator[tuple[int, Record]]:
        """(line number, record) for every record; raises AuditLogError at a damaged line."""
        for number, line, torn in _lines(self.path):
            if torn:
                raise AuditLogError(f"{self.path}:{number}: the last line is torn ({_VERIFY})")
            record = _parse(line)
            missing = _REQUIRED - set(record or {})
            if record is None or missing:
                what = f"missing {', '.join(sorted(missing))}" if record else "not JSON"
                raise AuditLogError(f"{self.path}:{number}: not a record ({what}; {_VERIFY})")
            yield number, record

    def find(self, record_id: str) -> Record:
        """The record with this id (or the record behind a CDS Hooks card with this uuid)."""
        from .render.cds_hooks import card_uuid

        for _, record in self.records():
            if record.get("record") == record_id:
                return record
            try:
                cards = {card_uuid(str(record["record"]), c) for c in record["explanations"]}
            except ValueError:  # not a uuid: an edited record, which verify reports
                continue
            if record_id in cards:
                return record
        raise AuditLogError(f"{self.path}: no record or card with id {record_id}")

    def verify(self) -> Verification:
        """Check every record's own hash and its link to the one before; stop at the first."""
        previous, count, expected = GENESIS, 0, 1
        lines = _lines(self.path)
        for number, line, torn in lines:
            problem = _check_line(number, line, torn, previous, expected)
            if problem is not None and problem.code == "broken-chain":
                # Only the rest of the log tells a deleted record from a moved one.
                problem = _explain_gap(problem, _parse(line) or {}, expected, lines)
            if problem is not None:
                return Verification(str(self.path), count, previous, problem)
            previous, count, expected = line_hash(line), count + 1, expected + 1
        return Verification(str(self.path), count, previous, None)


_VERIFY = "run `healthkb audit verify` on it"
_REQUIRED = {"record", "sequence", "time", "kb", "profile", "result", "explanations", "hash"}


def _check_line(
    number: int, line: bytes, torn: bool, previous: str, expected: int
) -> LogProblem | None:
    record = _parse(line)
    record_id = record.get("record") if record else None
    record_id = record_id if isinstance(record_id, str) else None
    if torn:
        return LogProblem(
            number,
            record_id,
            "torn-line",
            "the last line has no newline: a write was interrupted (a crash?); "
            "the log is refused for appending until it is repaired by hand",
        )
    if record is None:
        return LogProblem(number, None, "malformed-record", "the line is not a JSON record")
    missing = _REQUIRED - set(record)
    if missing:
        fields = ", ".join(f"`{name}`" for name in sorted(missing))
        return LogProblem(number, record_id, "malformed-record", f"the record lacks {fields}")
    if record.get("hash") != record_hash(record):
        return LogProblem(number, record_id, "edited-record", "its hash does not match its content")
    if record.get("previous") != previous:
        return LogProblem(number, record_id, "broken-chain", _BROKEN)
    return None


_BROKEN = "its `previous` hash does not match the line before it"


def _explain_gap(
    problem: LogProblem,
    record: Record,
    expected: int,
    rest: Iterator[tuple[int, bytes, bool]],
) -> LogProblem:
    """Say how the chain broke: the sequence numbers tell an edit, a deletion, a move."""
    sequence = record.get("sequence")
    if not isinstance(sequence, int):
        how = "a record before it was edited, deleted or moved"
    elif sequence < expected:
        how = f"it is record {sequence}, found where record {expected} belongs (reordered)"
    elif sequence > expected:
        later = next(
            (n for n, line, _ in rest if (_parse(line) or {}).get("sequence") == expected), None
        )
        if later is not None:
            how = (
                f"it is record {sequence}, found where record {expected} belongs; "
                f"record {expected} is at line {later} (reordered)"
            )
        elif sequence == expected + 1:
            how = f"record {expected} is missing (deleted)"
        else:
            how = f"records {expected} to {sequence - 1} are missing (deleted)"
    else:
        how = "the record before it was edited or replaced"
    return LogProblem(problem.line, problem.record, problem.code, f"{_BROKEN}: {how}")


def _parse(line: bytes) -> Record | None:
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without newline, torn) for every line of the log."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise AuditLogError(f"{path}: no such audit log") from None
    except OSError as error:
        raise AuditLogError(f"{path}: cannot read the audit log ({error.strerror})") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            torn = not raw.endswith(b"\n")
            yield number, raw.rstrip(b"\n"), torn


def _chain_head(fd: int, path: Path) -> tuple[int, str]:
    """The next sequence number and `previous` hash, read from the log's last line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 1, GENESIS
    last = _last_line(fd, size)
    if not last.endswith(b"\n"):
        raise AuditLogError(
            f"{path}: the last line is torn (a write was interrupted); refusing to append "
            f"after it ({_VERIFY})"
        )
    line = last[:-1]
    record = _parse(line)
    if record is None or not isinstance(record.get("sequence"), int):
        raise AuditLogError(
            f"{path}: the last line is not a record; refusing to append ({_VERIFY})"
        )
    return record["sequence"] + 1, line_hash(line)


def _last_line(fd: int, size: int) -> bytes:
    """The file's last line, newline included, read backwards in blocks."""
    end = size - 1  # skip the final newline when looking for the one before it
    chunks: list[bytes] = []
    while end > 0:
        start = max(0, end - _TAIL_BLOCK)
        block = os.pread(fd, end - start, start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            chunks.append(block[cut + 1 :])
            break
        chunks.append(block)
        end = start
    chunks.reverse()
    return b"".join(chunks) + os.pread(fd, 1, size - 1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


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
