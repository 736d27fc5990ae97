"""Where a batch writes its answers: beside the output, renamed into place, under a lock.

The answers of a run on `--out OUT` go to `OUT.partial`, beside OUT (beside the file
OUT links to, when it is a link), which becomes OUT with one rename when the run ends:
OUT is the previous file or the complete new one, never half a run, and an input
given as its own output is refused before anything is opened for writing. A run that
stops (killed, a lost cluster, a full disk) leaves OUT.partial, which `--resume`
continues.

For the whole run, `OUT.lock` is held with an exclusive `flock` and names the run
holding it (process id, host, start time): a second run on the same output is refused
while the first one lives, and a lock left by a killed run is free again (the kernel
releases a `flock` with its process). The lock file is removed when the run ends.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from ..files.regular_file import NotRegularFile, open_regular
from .jsonlines import STDIO, BatchOutputError

NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
"""The lock and the partial file are healthkb's own: a link planted in their place
(`answers.jsonl.partial -> ~/.bashrc`) is refused, never truncated through."""
PARTIAL_SUFFIX = ".partial"
LOCK_SUFFIX = ".lock"
_HOLDER_BYTES = 200


class OutputBusy(BatchOutputError):
    """Another run holds the output's lock: exit 2, naming that run."""


@dataclass(frozen=True)
class OutputPlace:
    """The files of one output: the answers' final place, the partial one, the lock."""

    name: str  # as the user gave it, for messages
    final: Path
    partial: Path
    lock: Path
    gzip: bool


def output_place(name: str | Path) -> OutputPlace:
    """The files of the output `name` (a link is followed: its target is replaced)."""
    given = str(name)
    final = Path(os.path.realpath(given)) if os.path.islink(given) else Path(given)
    return OutputPlace(
        name=given,
        final=final,
        partial=final.with_name(final.name + PARTIAL_SUFFIX),
        lock=final.with_name(final.name + LOCK_SUFFIX),
        gzip=given.endswith(".gz"),
    )


def not_own(path: Path) -> str:
    """Why a link in the place of a lock or partial file is refused."""
    return (
        f"{path}: is a link; healthkb writes only its own file there (remove the link, "
        "or give another --out)"
    )


def refuse_input_as_output(input: str | Path, place: OutputPlace) -> None:
    """BatchOutputError if the output (or its partial file) is the input file itself:
    the same device and inode, whatever links or names lead to them."""
    try:
        read = os.fstat(0) if str(input) == STDIO else os.stat(input)
    except OSError:
        return  # opening the input reports it
    for path in (place.final, place.partial):
        try:
            written = os.stat(path)
        except OSError:
            continue
        if (written.st_dev, written.st_ino) == (read.st_dev, read.st_ino):
            shown = "standard input" if str(input) == STDIO else str(input)
            raise BatchOutputError(
                f"{place.name}: is the input ({shown}) itself; answers written there would "
                "destroy the profiles: give another --out"
            )


def refuse_not_a_file(place: OutputPlace) -> None:
    """BatchOutputError if the output exists and is not a regular file: the answers are
    renamed into its place at the end, which would put a file where a device, a pipe or
    a folder was (`--out /dev/null` run with the rights to write /dev replaced the
    device with the answers). Said before anything is answered, not after the run."""
    try:
        mode = os.stat(place.final).st_mode
    except OSError:
        return  # no output yet: the usual case
    if stat.S_ISREG(mode):
        return
    kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device or a pipe)"
    raise BatchOutputError(
        f"{place.name}: is {kind}; batch writes its answers to a file beside the output "
        "and renames it into place: give a file's path, or - for standard output"
    )


def move_into_place(place: OutputPlace) -> None:
    """The finished partial file becomes the output, with one rename made durable."""
    try:
        os.replace(place.partial, place.final)
    except OSError as error:
        raise BatchOutputError(
            f"cannot rename {place.partial} to {place.name}: {error.strerror or error} "
            f"(the answers are complete in {place.partial})"
        ) from None
    try:
        folder = os.open(place.final.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass  # a file system that cannot sync a folder still renamed the file
    finally:
        os.close(folder)


@contextmanager
def output_locked(place: OutputPlace) -> Iterator[None]:
    """Hold the output's lock for the block; `OutputBusy` if another run holds it."""
    descriptor = _take_lock(place)
    try:
        yield
    finally:
        with suppress(OSError):  # still holding it: a run waiting on it tries again
            os.unlink(place.lock)
        os.close(descriptor)


def _take_lock(place: OutputPlace) -> int:
    for _ in range(10):
        descriptor = _open_lock(place)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(descriptor)
            os.close(descriptor)
            raise OutputBusy(
                f"{place.name}: another healthkb batch is writing it ({holder}; lock "
                f"{place.lock}): wait for it to end, or give another --out"
            ) from None
        if _still_there(descriptor, place.lock):
            os.ftruncate(descriptor, 0)
            os.write(descriptor, _me().encode("utf-8"))
            return descriptor
        os.close(descriptor)  # the run that held it removed it as we took it: again
    raise OutputBusy(f"{place.name}: its lock {place.lock} keeps changing hands; try again")


def _open_lock(place: OutputPlace) -> int:
    try:
        return open_regular(place.lock, os.O_RDWR | os.O_CREAT | NO_FOLLOW, 0o644)
    except NotRegularFile as error:
        raise BatchOutputError(f"{place.lock}: is {error.kind}, not a lock file") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BatchOutputError(not_own(place.lock)) from None
        raise BatchOutputError(
            f"cannot lock {place.name} ({place.lock}): {error.strerror or error}"
        ) from None


def _still_there(descriptor: int, path: Path) -> bool:
    try:
        named = os.stat(path)
    except OSError:
        return False
    held = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _me() -> str:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f"pid {os.getpid()} on {socket.gethostname()}, since {started}"


def _holder(descriptor: int) -> str:
    """What the lock file says of the run holding it (its own words, shortened)."""
    try:
        text = os.pread(descriptor, _HOLDER_BYTES, 0).decode("utf-8", "replace")
    except OSError:
        text = ""
    shown = "".join(c for c in text.strip() if c.isprintable())
    return shown or "a run that has not written its name yet"
