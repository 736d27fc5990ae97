"""Opening a file that must be a regular file, without ever waiting on one that is not.

A plain `open` of a named pipe waits until something writes to it, and a device such
as /dev/zero never ends: a pipe called `rules/x.yaml` or `audit.jsonl` would make a
command hang. So a file is opened without blocking and checked on the open descriptor
(no race between a check and the open); only a regular file is then read or written.

Standard input is the one exception a caller may allow: `healthkb evaluate /dev/stdin`
reads a profile piped in. It is told apart from any other pipe by being the same open
file as the process's descriptor 0, whatever name it was opened by.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
# Opening a terminal must not make it the controlling terminal of the process.
_NOCTTY = getattr(os, "O_NOCTTY", 0)


class NotRegularFile(Exception):
    """The path names a folder, a named pipe, a socket or a device: `kind` says which."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def open_regular(
    path: str | Path, flags: int = os.O_RDONLY, mode: int = 0o644, *, stdin: bool = False
) -> int:
    """A blocking descriptor of the regular file at `path`, opened with `flags`.

    Raises `NotRegularFile` for anything else (standard input too, unless `stdin`), and
    `OSError` when the file cannot be opened at all.
    """
    try:
        descriptor = os.open(path, flags | _NONBLOCK | _NOCTTY, mode)
    except IsADirectoryError:  # opened for writing
        raise NotRegularFile("a folder") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) and not (stdin and is_standard_input(status)):
            raise NotRegularFile(kind(status.st_mode))
        os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


class FileTooLarge(Exception):
    """The regular file holds more than the `limit` bytes its reader accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit:,} bytes")
        self.limit = limit


def read_regular(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at `path`, reading at most `max_bytes` of them.

    Raises `NotRegularFile` (a device such as /dev/zero, a pipe, a folder),
    `FileTooLarge` past `max_bytes`, and `OSError` when it cannot be read at all: a key
    file named by mistake or malice can neither hang the reader nor fill its memory.
    """
    descriptor = open_regular(path)
    with os.fdopen(descriptor, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLarge(max_bytes)
    return data


def is_standard_input(status: os.stat_result) -> bool:
    """Whether `status` is that of the file the process reads as standard input."""
    try:
        standard = os.fstat(0)
    except OSError:  # no standard input at all (descriptor 0 closed)
        return False
    return (status.st_dev, status.st_ino) == (standard.st_dev, standard.st_ino)


def kind(mode: int) -> str:
    """What a file of this mode is, in words: `a folder`, `a named pipe`..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def kind_of(path: str | Path) -> str | None:
    """What is at `path` (following links), or None if nothing is there."""
    try:
        return kind(os.stat(path).st_mode)
    except OSError:
        return None
