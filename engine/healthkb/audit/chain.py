"""Reading an audit log back: its lines, its records, and the checks of its hash chain.

A log is read as bytes, line by line, never trusting it: a line longer than
`MAX_LINE_BYTES` is skipped unread, a line whose JSON nests too deeply to parse is
reported like any other line that is not a record, and every line is checked against
exactly what `AuditLog.append` writes (one canonical JSON object, its own `hash`, the
`previous` hash of the line before it, a `\\n` at the end). `walk` says what is wrong
with each line; `verify` stops at the first problem and says how the chain broke.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeGuard

from ..errors import HealthKBError
from ..files.regular_file import NotRegularFile, open_regular

FORMAT = "healthkb-audit/1"
GENESIS = "sha256:" + "0" * 64
"""The `previous` of the first record: there is no record before it."""

MAX_LINE_BYTES = 16 * 1024 * 1024
"""The longest line read as a record (a record of the bundled KB is about 15 kB).

A longer line is not parsed, nor held in memory: it is reported as not a record.
`AuditLog.append` refuses to write a record longer than this, so every record it
writes can be read back."""

_SKIP_BLOCK = 1024 * 1024

Record = dict[str, Any]
REQUIRED = frozenset(
    {"record", "sequence", "time", "kb", "profile", "result", "explanations", "hash"}
)
FEEDBACK = "feedback"
"""The `kind` of a record of a clinician's feedback on a CDS Hooks card (an evaluation's
record has no `kind`)."""
REQUIRED_FEEDBACK = frozenset({"record", "sequence", "time", "kind", "card", "feedback", "hash"})


def is_feedback(record: Record) -> bool:
    """Whether a record is feedback on a card rather than an evaluation."""
    return record.get("kind") == FEEDBACK


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


def hash_matches(record: Record) -> bool:
    """Whether a record read from a log still matches its own `hash`."""
    try:
        return record.get("hash") == record_hash(record)
    except (RecursionError, UnicodeEncodeError):
        # Nested too deeply to write again, or a lone surrogate (`\\ud800`) that UTF-8
        # cannot hold: `append` never writes such a record, so no hash can match it.
        return False


@dataclass(frozen=True)
class LogProblem:
    """The first thing wrong with a log: where (1-based line), which record, and what."""

    line: int
    record: str | None
    code: str
    message: str

    def __str__(self) -> str:
        which = f" (record {self.record})" if self.record else ""
        # Line 0: a problem of the log as a whole or of its checkpoints (whose message
        # names their own file and line), not of a line of the log.
        where = f"line {self.line}{which}: " if self.line else ""
        return f"{where}{self.code}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record": self.record,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class Line:
    """One line of a log as read: its bytes as written, without the newline."""

    number: int
    data: bytes
    """Empty when the line is longer than MAX_LINE_BYTES (it is not read)."""
    size: int
    """The line's length in bytes, without the newline."""
    torn: bool
    """The file ends in this line, without a newline: a write was interrupted."""


class LineSource(Protocol):
    """Where a chain's lines come from: a JSON Lines file, or a database store (one row
    per record, holding the record's line exactly as it was chained)."""

    @property
    def name(self) -> str:
        """The store as messages name it (a path, or a URL without its password)."""
        ...

    def lines(self) -> Iterator[Line]:
        """Every record's line, in the chain's order, as it was when the read began."""
        ...


def open_log(path: Path, flags: int) -> int:
    """A descriptor of the log, which must be a regular file: a named pipe or a device
    (`/dev/null`) would hang a reader or lose every record; `AuditLogError` otherwise."""
    try:
        return open_regular(path, flags)
    except NotRegularFile as refused:
        raise AuditLogError(
            f"{path}: not-a-file: the audit log is {refused.kind}, not a regular file "
            "(give the name of a regular file; a missing one is created by `evaluate`)"
        ) from None
    except OSError as error:
        if flags & os.O_CREAT:
            raise AuditLogError(f"{path}: cannot open the audit log ({error.strerror})") from None
        if isinstance(error, FileNotFoundError):
            raise AuditLogError(f"{path}: no such audit log") from None
        raise AuditLogError(f"{path}: cannot read the audit log ({error.strerror})") from None


def read_lines(path: Path) -> Iterator[Line]:
    """Every line of the log as it was when it was opened, each read with a bound on its
    length.

    The log's size is taken under a shared lock, which waits for an append in progress
    (appends hold the exclusive lock), and only that many bytes are read: a log being
    written to is read up to its last complete record, never half of one being written.
    The lock is not kept while reading, so a long read never holds writers up.
    """
    with os.fdopen(open_log(path, os.O_RDONLY), "rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        try:
            end = os.fstat(handle.fileno()).st_size
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        number = 0
        while raw := handle.readline(max(0, min(MAX_LINE_BYTES + 1, end - handle.tell()))):
            number += 1
            if raw.endswith(b"\n"):
                yield Line(number, raw[:-1], len(raw) - 1, torn=False)
            elif len(raw) <= MAX_LINE_BYTES:
                yield Line(number, raw, len(raw), torn=True)
            else:
                size, torn = len(raw), True
                while block := handle.readline(max(0, min(_SKIP_BLOCK, end - handle.tell()))):
                    size += len(block)
                    if block.endswith(b"\n"):
                        size, torn = size - 1, False
                        break
                yield Line(number, b"", size, torn)


def parse(data: bytes) -> tuple[Record | None, str]:
    """The JSON object on a line, or None and why the line is not one."""
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, "the line is not a JSON record"
    except RecursionError:
        # A line such as `[[[[…]]]]` nested 100,000 deep: Python's parser gives up.
        return None, "the line's JSON is nested too deeply to read (no record nests this deep)"
    except ValueError:
        # Python refuses to read an integer of more than 4,300 digits (a plain ValueError,
        # not a JSONDecodeError); `append` never writes one.
        return None, "the line's JSON holds a number too long to read (no record holds one)"
    if not isinstance(value, dict):
        return None, "the line is not a JSON record"
    return value, ""


@dataclass(frozen=True)
class Checked:
    """One line as the chain check sees it: its record (if it is one) and its problem."""

    line: Line
    record: Record | None
    """None when the line is not a record at all; the walk stops after it."""
    problem: LogProblem | None
    expected: int
    """The sequence number the record at this line should have."""


def walk(source: LineSource) -> Iterator[Checked]:
    """Every line with what is wrong with it, going on past edited records and broken
    links so that every record's own hash is checked; it stops after a line that is
    not a record, since nothing after it can be placed in the chain."""
    previous, expected, edited = GENESIS, 1, False
    lines = source.lines()
    for line in lines:
        record, problem = _record_of(line, lines)
        if record is None:
            yield Checked(line, None, problem, expected)
            return
        problem = _link_problem(line, record, previous, expected, edited)
        yield Checked(line, record, problem, expected)
        edited = problem is not None and problem.code == "edited-record"
        # A CRLF line links to the next as the line written (without the `\r`), so
        # a converted log reports its line endings and nothing else.
        previous = line_hash(line.data.removesuffix(b"\r"))
        sequence = record["sequence"]
        expected = sequence + 1 if is_sequence(sequence) else expected + 1


def is_sequence(value: Any) -> TypeGuard[int]:
    """Whether a record's `sequence` is a whole number (JSON's `true` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _record_of(line: Line, rest: Iterator[Line]) -> tuple[Record | None, LogProblem | None]:
    """The line's record, or what makes it no record at all."""

    def problem(code: str, message: str, record_id: str | None = None) -> LogProblem:
        return LogProblem(line.number, record_id, code, message)

    if line.torn:
        record, _ = parse(line.data) if line.data else (None, "")
        message = (
            "the last line has no newline: a write was interrupted (a crash?); "
            "the log is refused for appending until it is repaired by hand"
        )
        return None, problem("torn-line", message, _id_of(record))
    if line.size > MAX_LINE_BYTES:
        message = (
            f"the line is {line.size:,} bytes long, longer than a record may be "
            f"({MAX_LINE_BYTES:,} bytes); it was not read"
        )
        return None, problem("malformed-record", message)
    if _blank(line):
        at_end = all(_blank(later) for later in rest)
        if at_end:
            message = "blank line at the end: the log must end with its last record's newline"
        else:
            message = "blank line between records: the log must hold only records"
        return None, problem("blank-line", message)
    record, why = parse(line.data)
    if record is None:
        return None, problem("malformed-record", why)
    missing = (REQUIRED_FEEDBACK if is_feedback(record) else REQUIRED) - set(record)
    if missing:
        fields = ", ".join(f"`{name}`" for name in sorted(missing))
        return None, problem("malformed-record", f"the record lacks {fields}", _id_of(record))
    return record, None


def _blank(line: Line) -> bool:
    return line.size <= MAX_LINE_BYTES and (not line.data or line.data.isspace())


def _id_of(record: Record | None) -> str | None:
    record_id = record.get("record") if record else None
    return record_id if isinstance(record_id, str) else None


def _link_problem(
    line: Line, record: Record, previous: str, expected: int, after_edit: bool
) -> LogProblem | None:
    """What is wrong with a readable record: its hash, its line ending, its link."""
    record_id = _id_of(record)
    if not hash_matches(record):
        message = "its hash does not match its content"
        return LogProblem(line.number, record_id, "edited-record", message)
    if line.data.endswith(b"\r"):
        return LogProblem(line.number, record_id, "crlf-line-ending", _CRLF)
    if record.get("previous") != previous:
        # Editing a record changes its line, so the next link breaks too; that break
        # says nothing new unless the sequence shows a record missing or moved as well.
        if after_edit and record.get("sequence") == expected:
            return None
        return LogProblem(line.number, record_id, "broken-chain", BROKEN)
    return None


_CRLF = (
    "the line ends in CRLF (\\r\\n), not LF (\\n) as written: the file was converted to "
    "CRLF line endings (by an editor or a transfer in text mode?); converting it back to "
    "LF restores it, if nothing else was changed"
)
BROKEN = "its `previous` hash does not match the line before it"


# --- verify --------------------------------------------------------------------------


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


def verify(source: LineSource) -> Verification:
    """Check every record's own hash and its link to the one before; stop at the first."""
    count, head = 0, GENESIS
    for checked in walk(source):
        if checked.problem is not None:
            return Verification(source.name, count, head, explain(source, checked))
        count, head = count + 1, line_hash(checked.line.data)
    return Verification(source.name, count, head, None)


def explain(source: LineSource, checked: Checked) -> LogProblem:
    """A line's problem; for a broken link, with how it broke: the sequence numbers tell
    a deletion, a move, a duplicate or an edit, and only the rest of the log tells a
    deleted record from a moved one."""
    problem, line, expected = checked.problem, checked.line, checked.expected
    assert problem is not None
    if problem.code != "broken-chain" or checked.record is None:
        return problem
    sequence = checked.record.get("sequence")
    if not is_sequence(sequence):
        how = "a record before it was edited, deleted or moved"
    elif sequence < expected:
        same = _first(source, lambda other: other.number < line.number and other.data == line.data)
        if same is not None:
            how = f"duplicated record (same as record {sequence} at line {same})"
        else:
            how = f"it is record {sequence}, found where record {expected} belongs (reordered)"
    elif sequence > expected:
        later = _first(
            source,
            lambda other: (
                other.number > line.number
                and (parse(other.data)[0] or {}).get("sequence") == expected
            ),
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
    return LogProblem(problem.line, problem.record, problem.code, f"{BROKEN}: {how}")


def _first(source: LineSource, matches: Callable[[Line], bool]) -> int | None:
    """The number of the first line of the log that `matches`, if any."""
    return next((line.number for line in source.lines() if matches(line)), None)
