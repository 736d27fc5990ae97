"""Input lines a chunk at a time, kept as the bytes they were read as.

`read_lines` (`jsonlines.py`) gives one `Line` object per line: for a batch that is a
Python loop, an object and a slice per line in the process that reads the input, which
with workers is also the one that hands the chunks out and writes every answer. Here a
chunk's lines stay one `bytes` (a `LineBlock`): the reading process finds the chunk's
newlines with `bytes.find` and slices once, the block goes to a worker as one string,
and the lines are cut apart where they are answered (`LineBlock.lines`).

The lines are exactly those `read_lines` gives, numbered alike: split at `\\n`, a line
ending in `\\n` losing its trailing `\\r`s too, the last line of the input kept as it is
when no newline ends it, and a line longer than `MAX_LINE_BYTES` never held (its place
in the block is an empty line, its number in `too_long`, and it is `Line(n, None)`). A
read error is raised as `read_lines` raises it, naming the same line, once the whole
blocks before it are given.

Its fast paths, and why they give the same answer: docs/performance.md,
"What the healthkb process does beside its worker".
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .jsonlines import MAX_LINE_BYTES, BatchInputError, Line

_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class LineBlock:
    """Consecutive input lines: the first one's number, and their bytes as read (each
    line with its newline; the last without when the input ended without one)."""

    first: int
    data: bytes
    too_long: tuple[int, ...] = ()  # the numbers of the lines too long to read

    def __iter__(self) -> Iterator[Line]:
        """The lines, as `read_lines` gives them."""
        pieces = self.data.split(b"\n")
        last = pieces.pop()  # after the last newline: b"", or a line no newline ended
        number = self.first
        too_long = self.too_long
        for piece in pieces:
            yield Line(number, None if too_long and number in too_long else piece.rstrip(b"\r"))
            number += 1
        if last:
            yield Line(number, None if number in too_long else last)


def read_blocks(
    stream: BinaryIO,
    name: str,
    size: int,
    *,
    first: int = 1,
    longest: int = MAX_LINE_BYTES,
    read_size: int = _BLOCK,
) -> Iterator[LineBlock]:
    """Every line of `stream` from line number `first` on, `size` lines a block (the
    last one may be shorter); a line of more than `longest` bytes is too long. Read
    `read_size` bytes at a time at most (what a pipe has written, up to that)."""
    reader = _BlockReader(size, first, longest)
    # What is there, up to read_size: a pipe's lines are answered as they come.
    read = getattr(stream, "read1", stream.read)
    while True:
        try:
            data = read(read_size)
        except (OSError, EOFError, zlib.error) as error:
            raise BatchInputError(
                f"{name}: cannot read line {reader.unread}: {error} "
                "(the lines before it were answered)"
            ) from None
        if not data:
            break
        yield from reader.take(data)
    yield from reader.end()


class _BlockReader:
    """Lines cut from the input as it comes, handed out `size` at a time."""

    def __init__(self, size: int, first: int, longest: int) -> None:
        self.size, self.longest = size, longest
        self.first = first  # the number of the block's first line
        self.count = 0  # lines in the block so far
        self.parts: list[bytes] = []  # the block's bytes so far
        self.too_long: list[int] = []
        self.begun = b""  # a line begun in an earlier read, not ended yet
        self.skipping = False  # inside a line too long to keep, until its newline

    @property
    def unread(self) -> int:
        """The number of the line being read (a line being skipped is its own)."""
        return self.first + self.count - self.skipping

    def take(self, data: bytes) -> Iterator[LineBlock]:
        start = 0
        if self.skipping:
            end = data.find(b"\n")
            if end < 0:
                return
            self.skipping, start = False, end + 1
        elif self.begun:
            end = data.find(b"\n")
            if end < 0:
                self._begin(self.begun + data)
                if self.count == self.size:  # the line, too long, filled the block
                    yield self._block()
                return
            line, self.begun = self.begun + data[: end + 1], b""
            self._add(line if len(line) <= self.longest + 1 else None)
            start = end + 1
            if self.count == self.size:
                yield self._block()
        yield from self._lines(data, start)

    def _lines(self, data: bytes, start: int) -> Iterator[LineBlock]:
        """The lines of `data` from `start`, the part after its last newline begun."""
        kept = position = start  # data[kept:position] is lines to add as they are
        while True:
            end = data.find(b"\n", position)
            if end < 0:
                break
            if end - position > self.longest:
                self.parts.append(data[kept:position])
                self._add(None)
                kept = end + 1
            else:
                self.count += 1
            position = end + 1
            if self.count == self.size:
                self.parts.append(data[kept:position])
                kept = position
                yield self._block()
        self.parts.append(data[kept:position])
        self._begin(data[position:])
        if self.count == self.size:  # the begun line was too long, and filled the block
            yield self._block()

    def _begin(self, rest: bytes) -> None:
        """`rest` begins a line: kept, unless it is too long already."""
        if len(rest) > self.longest:
            self.begun, self.skipping = b"", True
            self._add(None)
        else:
            self.begun = rest

    def _add(self, line: bytes | None) -> None:
        """One more line (None: too long, an empty line stands in its place)."""
        if line is None:
            self.too_long.append(self.first + self.count)
            line = b"\n"
        self.parts.append(line)
        self.count += 1

    def _block(self) -> LineBlock:
        block = LineBlock(self.first, b"".join(self.parts), tuple(self.too_long))
        self.first += self.count
        self.count, self.parts, self.too_long = 0, [], []
        return block

    def end(self) -> Iterator[LineBlock]:
        """The last block, with the last line when no newline ended it."""
        if self.begun:
            self.parts.append(self.begun)
            self.count += 1
            self.begun = b""
        if self.count:
            yield self._block()
