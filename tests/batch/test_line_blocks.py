"""Blocks of lines (`line_blocks.read_blocks`) hold exactly the lines `read_lines` gives,
numbered alike, whatever the bytes, the line endings, the lines too long to read and the
sizes the input comes in; and a read error names the same line."""

from __future__ import annotations

import gzip
import io
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthkb.batch import jsonlines
from healthkb.batch.jsonlines import BatchInputError, Line, read_lines
from healthkb.batch.line_blocks import LineBlock, read_blocks

LONGEST = 12  # the longest line kept, in these tests (MAX_LINE_BYTES in a run)


class _Trickle(io.RawIOBase):
    """The bytes given, a few at a time as a pipe might give them."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.at = data, itertools.cycle(sizes or [1 << 20]), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), next(self.sizes), len(self.data) - self.at)
        buffer[:size] = self.data[self.at : self.at + size]
        self.at += size
        return size


def _stream(data: bytes, sizes: list[int]) -> io.BufferedReader:
    return io.BufferedReader(_Trickle(data, sizes), buffer_size=16)


def _by_lines(data: bytes, monkeypatch: pytest.MonkeyPatch) -> list[Line]:
    with monkeypatch.context() as patched:
        patched.setattr(jsonlines, "MAX_LINE_BYTES", LONGEST)
        return list(read_lines(io.BufferedReader(io.BytesIO(data)), "in"))


def _by_blocks(data: bytes, size: int, sizes: list[int], read_size: int = 64) -> list[LineBlock]:
    stream = _stream(data, sizes)
    return list(read_blocks(stream, "in", size, longest=LONGEST, read_size=read_size))


PIECES = [b"{}", b"x" * 5, b"y" * LONGEST, b"z" * (LONGEST + 1), b"w" * 40, b"\r", b"\n", b"\r\n"]


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(PIECES), max_size=40),
    size=st.integers(1, 5),
    sizes=st.lists(st.integers(1, 50), max_size=5),
    read_size=st.integers(1, 70),
)
def test_blocks_hold_the_lines_read_lines_gives(
    pieces: list[bytes], size: int, sizes: list[int], read_size: int
) -> None:
    data = b"".join(pieces)
    with pytest.MonkeyPatch.context() as monkeypatch:
        expected = _by_lines(data, monkeypatch)
    blocks = _by_blocks(data, size, sizes, read_size)
    assert [line for block in blocks for line in block] == expected
    assert all(len(list(block)) == size for block in blocks[:-1])
    assert [block.first for block in blocks] == list(range(1, len(expected) + 1, size))


def test_a_line_too_long_is_never_kept_and_answered_in_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = b"a\n" + b"x" * 1000 + b"\nb\r\r\n" + b"y" * (LONGEST + 1) + b"\nc\r"
    blocks = _by_blocks(data, 2, [7, 300])
    assert (
        [line for block in blocks for line in block]
        == _by_lines(data, monkeypatch)
        == [
            Line(1, b"a"),
            Line(2, None),
            Line(3, b"b"),
            Line(4, None),
            Line(5, b"c\r"),  # no newline ends it: kept as it is
        ]
    )
    assert max(len(block.data) for block in blocks) < 10


def test_blocks_start_at_the_line_given() -> None:
    blocks = list(read_blocks(io.BufferedReader(io.BytesIO(b"a\nb\nc\n")), "in", 2, first=8))
    assert [block.first for block in blocks] == [8, 10]
    assert [line for block in blocks for line in block] == [
        Line(8, b"a"),
        Line(9, b"b"),
        Line(10, b"c"),
    ]


@pytest.mark.parametrize("cut", [10, 30, 200])
def test_a_damaged_gzip_names_the_line_read_lines_names(cut: int) -> None:
    text = b"".join(b'{"id": %d, "profile": {}}\n' % n for n in range(3000))
    broken = gzip.compress(text)[:-cut]

    def error(read: object) -> str:
        with pytest.raises(BatchInputError) as raised:
            for _ in read:  # type: ignore[attr-defined]
                pass
        return str(raised.value)

    by_lines = error(read_lines(gzip.GzipFile(fileobj=io.BytesIO(broken)), "in"))
    by_blocks = error(read_blocks(gzip.GzipFile(fileobj=io.BytesIO(broken)), "in", 250))
    assert by_blocks == by_lines
