"""The JSON Lines file store: one record per line, its checkpoints in `LOG.checkpoints`.

Appends are serialised by an exclusive `flock` on the log file (with the writer's
threading lock, in log.py), so several threads and processes can share one log; each
group of records is written with one write and fsynced before `append` returns. A log
whose last line is torn (a crash in the middle of a write), or is not a record as
written, is refused for appending until an auditor has looked at it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ..files.regular_file import NotRegularFile, open_regular
from . import chain as auditchain
from .chain import GENESIS, AuditLogError, Line, Record, is_sequence, line_hash, parse, read_lines
from .filters import Filters
from .records import record_line
from .store import Build, Sign, Stored

_TAIL_BLOCK = 64 * 1024
_SUFFIX = ".checkpoints"
_KBS_SUFFIX = ".kbs"
VERIFY_HINT = "run `healthkb audit verify` on it"


def checkpoints_path(log: Path) -> Path:
    """Where the checkpoints of `log` are kept: beside it, `LOG.checkpoints`."""
    return log.with_name(log.name + _SUFFIX)


class FileStore:
    """An audit chain in a JSON Lines file (created by the first append)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def checkpoints_name(self) -> str:
        return str(checkpoints_path(self.path))

    def open(self) -> None:
        if self.path.exists():
            os.close(auditchain.open_log(self.path, os.O_RDWR | os.O_APPEND))
        elif not os.access(self.path.parent, os.W_OK | os.X_OK):
            raise AuditLogError(
                f"{self.path}: cannot create the audit log (its folder is missing or not writable)"
            )

    def close(self) -> None:
        """Nothing is held open between appends."""

    def lines(self) -> Iterator[Line]:
        return read_lines(self.path)

    def append(self, builds: list[Build], sign: Sign) -> list[Record]:
        created = not self.path.exists()
        fd = auditchain.open_log(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            sequence, previous = _chain_head(fd, self.path)
            records, lines = [], []
            for offset, build in enumerate(builds):
                record = build(sequence + offset, previous)
                line = record_line(record, self.name)
                previous = line_hash(line)
                records.append(record)
                lines.append(line)
            # One write: a crash leaves every record of the group or a torn last
            # line, which `verify` reports and appending refuses.
            _write_durably(fd, b"".join(line + b"\n" for line in lines), self.path)
            if created:
                _fsync_folder(self.path.parent)
            for offset, line in enumerate(lines):
                # Under the log's lock: the checkpoints go in the records' order.
                checkpoint = sign(sequence + offset, line_hash(line))
                if checkpoint is not None:
                    append_checkpoint(self.path, checkpoint)
        finally:
            os.close(fd)  # closing releases the flock
        return records

    def sign_head(self, sign: Callable[[int, str], Record]) -> Record:
        fd = auditchain.open_log(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            following, head = _chain_head(fd, self.path)
            if following == 1:
                raise AuditLogError(f"{self.path}: the log is empty: nothing to checkpoint")
            checkpoint = sign(following - 1, head)
            append_checkpoint(self.path, checkpoint)
            return checkpoint
        finally:
            os.close(fd)

    def add_checkpoints(self, checkpoints: list[Record]) -> None:
        fd = auditchain.open_log(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for checkpoint in checkpoints:
                append_checkpoint(self.path, checkpoint)
        finally:
            os.close(fd)

    def checkpoint_lines(self) -> Iterator[tuple[int, bytes]]:
        path = checkpoints_path(self.path)
        try:
            with path.open("rb") as handle:
                lines = handle.read(64 * 1024 * 1024).splitlines()
        except FileNotFoundError:
            return
        except OSError as error:
            raise AuditLogError(f"{path}: cannot read the checkpoints ({error.strerror})") from None
        yield from enumerate(lines, start=1)

    def select(self, filters: Filters) -> Iterator[Stored]:
        # A file has no index: every line is a candidate, checked by the caller.
        for line in read_lines(self.path):
            yield Stored(line.number, line.data)

    def keep_kb(self, digest: str, copy: bytes) -> None:
        # `LOG.kbs`: one KB copy a line, appended under its own lock. Only beside a log
        # records can go to: a refused log (/dev/null, a pipe) gets no `.kbs` beside it.
        self.open()
        path = self.path.with_name(self.path.name + _KBS_SUFFIX)
        created = not os.path.lexists(path)
        try:
            fd = open_regular(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
        except NotRegularFile as refused:
            raise AuditLogError(f"{path}: cannot keep the KB's copy in {refused.kind}") from None
        except OSError as error:
            raise AuditLogError(f"{path}: cannot keep the KB's copy ({error.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _kb_line(path, digest) is None:
                _write_durably(fd, copy + b"\n", path)
        finally:
            os.close(fd)
        if created:
            _fsync_folder(path.parent)

    def kept_kb(self, digest: str) -> bytes | None:
        return _kb_line(self.path.with_name(self.path.name + _KBS_SUFFIX), digest)


def _kb_line(path: Path, digest: str) -> bytes | None:
    """The line of `LOG.kbs` holding the copy of this KB (each starts with its digest)."""
    start = auditchain.canonical({"digest": digest})[:-1] + b","
    try:
        # Opened as a regular file or not at all: a pipe planted there would hang the read.
        with os.fdopen(open_regular(path), "rb") as handle:
            return next((line.rstrip(b"\n") for line in handle if line.startswith(start)), None)
    except FileNotFoundError:
        return None
    except NotRegularFile as refused:
        raise AuditLogError(f"{path}: the KB copies are {refused.kind}, not a file") from None
    except OSError as error:
        raise AuditLogError(f"{path}: cannot read the KB copies ({error.strerror})") from None


def _chain_head(fd: int, path: Path) -> tuple[int, str]:
    """The next sequence number and `previous` hash, read from the log's last line."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 1, GENESIS
    last = _last_line(fd, size)
    if last is not None and not last.endswith(b"\n"):
        raise AuditLogError(
            f"{path}: the last line is torn (a write was interrupted); refusing to append "
            f"after it ({VERIFY_HINT})"
        )
    record, why = _last_record(last)
    if record is None or last is None:
        raise AuditLogError(
            f"{path}: the last line is not a record ({why}); refusing to append ({VERIFY_HINT})"
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
                f"partial record back off ({undo.strerror}); not logged ({VERIFY_HINT})"
            ) from None
        raise AuditLogError(
            f"{path}: cannot write the audit record ({error.strerror}); not logged, and "
            "the log is as it was before"
        ) from None


def _fsync_folder(folder: Path) -> None:
    """Make a new file's directory entry durable too (a crash must not lose the file)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append_checkpoint(log: Path, checkpoint: Record) -> None:
    """Append a checkpoint to the log's checkpoints file, durably (the caller holds the
    log's exclusive lock, so checkpoints go in the order of the records they sign)."""
    path = checkpoints_path(log)
    created = not os.path.lexists(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    except OSError as error:
        raise AuditLogError(f"{path}: cannot open the checkpoints ({error.strerror})") from None
    size = os.fstat(fd).st_size
    try:
        os.write(fd, auditchain.canonical(checkpoint) + b"\n")
        os.fsync(fd)
    except OSError as error:
        os.ftruncate(fd, size)
        raise AuditLogError(f"{path}: cannot write the checkpoint ({error.strerror})") from None
    finally:
        os.close(fd)
    if created:
        _fsync_folder(path.parent)
