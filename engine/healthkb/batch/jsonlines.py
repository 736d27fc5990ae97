"""JSON Lines in and out: files, standard input and output, gzip; one line at a time.

Input is read as bytes, a line at a time, so an input of any size streams; a line
longer than `MAX_LINE_BYTES` is skipped unread (and answered as too long), never held
in memory. Gzip input is recognised by its first bytes, whatever its name. Output is
written a chunk of complete lines at a time, with one write each, so the file only
ever holds complete lines; a `.gz` output is written as one gzip member per chunk
(a gzip file may hold any number of members), so an interrupted run leaves complete
members, each of complete lines, which `--resume` keeps.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, cast

from ..errors import HealthKBError
from ..files.regular_file import NotRegularFile, open_regular

STDIO = "-"
MAX_LINE_BYTES = 1024 * 1024
"""The longest input line read (a profile is a few hundred bytes)."""

WRITE_BACK_BYTES = 8 * 1024 * 1024
"""How much output is written before the disk is asked to start writing it (`Output`)."""

_GZIP_MAGIC = b"\x1f\x8b"
_ADVISE = getattr(os, "posix_fadvise", None)  # not on every system
_DONT_NEED = getattr(os, "POSIX_FADV_DONTNEED", 0)
_BLOCK = 1024 * 1024


class BatchInputError(HealthKBError):
    """The input cannot be read (missing, not a file, a damaged gzip stream): exit 2."""


class BatchOutputError(HealthKBError):
    """The output cannot be written, or cannot be resumed: exit 2."""


class Line(NamedTuple):
    """One input line: its 1-based number, and its bytes (None: too long to read). A
    named tuple, made a hundred thousand times a run."""

    number: int
    data: bytes | None


def input_name(name: str | Path) -> str:
    """How messages name an input: its path, or `<stdin>`."""
    return "<stdin>" if str(name) == STDIO else str(name)


def open_input(name: str | Path) -> BinaryIO:
    """The input's bytes, decompressed if it is gzip; `-` is standard input."""
    if str(name) == STDIO:
        raw: BinaryIO = sys.stdin.buffer
    else:
        try:
            raw = os.fdopen(open_regular(name), "rb")
        except NotRegularFile as error:
            raise BatchInputError(f"{name}: is {error.kind}, not a file of JSON lines") from None
        except OSError as error:
            raise BatchInputError(f"cannot read {name}: {error.strerror or error}") from None
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(cast(Any, raw))
    if buffered.peek(2)[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def read_lines(stream: BinaryIO, name: str) -> Iterator[Line]:
    """Every line of `stream`, numbered from 1, without its line ending."""
    number = 0
    while True:
        try:
            data = stream.readline(MAX_LINE_BYTES + 1)
            if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
                _skip_rest_of_line(stream)
                number += 1
                yield Line(number, None)
                continue
        except (OSError, EOFError, zlib.error) as error:
            raise BatchInputError(
                f"{name}: cannot read line {number + 1}: {error} "
                "(the lines before it were answered)"
            ) from None
        if not data:
            return
        number += 1
        yield Line(number, data.rstrip(b"\r\n") if data.endswith(b"\n") else data)


def _skip_rest_of_line(stream: BinaryIO) -> None:
    while (block := stream.readline(_BLOCK)) and not block.endswith(b"\n"):
        pass


def count_lines(name: str | Path) -> int | None:
    """Lines of a plain regular input file (for a progress bar's total), else None."""
    if str(name) == STDIO:
        return None
    try:
        with open(name, "rb") as file:
            if file.read(2) == _GZIP_MAGIC:
                return None
            file.seek(0)
            count, last = 0, b"\n"
            while block := file.read(_BLOCK):
                count += block.count(b"\n")
                last = block[-1:]
            return count + (last != b"\n")
    except OSError:
        return None


def pack(lines: bytes) -> bytes:
    """Complete lines as the gzip member a `.gz` output holds them in (the same bytes
    wherever it is made: no time or name in its header)."""
    return gzip.compress(lines, mtime=0)


class Output:
    """Where answers go: a file (plain, or gzip by its `.gz` name) or standard output.

    `write` takes complete lines and writes them with one system call (for gzip, as one
    member), so the file never holds a partial line unless the machine itself stops.

    A file is made durable with one `fsync` at `close`. So that this last step, which
    nothing runs beside, does not wait for the whole output to reach the disk (50 ms
    for 100,000 answers), the disk is asked to start writing every `WRITE_BACK_BYTES`
    as they are written (`posix_fadvise` DONTNEED, which starts the write-back without
    waiting for it): the `fsync` then finds little left to do.
    """

    def __init__(
        self,
        name: str | Path,
        *,
        append: bool = False,
        gzip: bool | None = None,
        no_follow: bool = False,
    ) -> None:
        self.name = str(name)
        self.gzip = self.name.endswith(".gz") if gzip is None else gzip
        self._fd: int | None = None
        self._written = self._synced = 0  # the file's size, and up to where it is written back
        if self.name == STDIO:
            return
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        if no_follow:  # a file of healthkb's own, never written through a link
            flags |= getattr(os, "O_NOFOLLOW", 0)
        try:
            self._fd = open_regular(self.name, flags)
            self._written = self._synced = os.fstat(self._fd).st_size
        except NotRegularFile as error:
            raise BatchOutputError(f"{self.name}: is {error.kind}, not a file to write") from None
        except OSError as error:
            raise BatchOutputError(f"cannot write {self.name}: {error.strerror or error}") from None

    def write(self, lines: bytes, *, packed: bool = False) -> None:
        """Write complete lines (compressed here for a gzip output), or with `packed`
        the gzip member `pack` made of them."""
        if not lines:
            return
        data = pack(lines) if self.gzip and not packed else lines
        try:
            if self._fd is None:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
                return
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as error:
            raise BatchOutputError(f"cannot write {self.name}: {error.strerror or error}") from None
        self._written += len(data)
        if self._written - self._synced >= WRITE_BACK_BYTES and _ADVISE is not None:
            with contextlib.suppress(OSError):  # advice only; `close` syncs whatever
                _ADVISE(self._fd, self._synced, self._written - self._synced, _DONT_NEED)
            self._synced = self._written

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> Output:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
