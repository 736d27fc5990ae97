"""Resuming a batch: keep the complete answers an interrupted run wrote, check they fit.

What an interrupted run left is its partial output (`OUT.partial`, see
`output_place`), or OUT itself for a run that finished. It holds complete lines
(plain) or complete gzip members (`.gz`) followed, at worst, by a torn tail. Each
complete answer is checked against the input line at its place, read in step: the
same id (or, for a refused line, the same line number), and for an evaluated one the
digest of the KB used now, after its own `answer_digest` (an answer edited since it
was written). Any mismatch means the output was written for another input or another
KB, or changed since, and nothing is resumed. The torn tail is cut off; the run goes
on from the next input line.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files.json_reader import strict_loads
from .answer_digest import KEY, intact
from .jsonlines import BatchOutputError, Line
from .output_place import OutputPlace, not_own

_BLOCK = 1024 * 1024
_START_AFRESH = "run without --resume to start afresh"


@dataclass(frozen=True)
class Kept:
    """What an earlier run wrote that is kept: answers, refusals among them, bytes."""

    lines: int = 0
    refused: int = 0
    size: int = 0


def keep_answers(
    place: OutputPlace, lines: Iterator[Line], source: str, digest: str, lang: str | None = None
) -> Kept:
    """Check the complete answers an earlier run left for `place` against the input,
    reading one input line per answer from `lines`, and cut off a torn tail; the answers
    kept are then in `place.partial`, which the run continues. What an earlier run left
    is its partial file (a torn run), else the output itself (a finished run).
    Each kept result must be in language `lang` (None: the KB's default), as the run
    continues. Raises BatchOutputError on a mismatch, leaving the files as they were."""
    path = place.partial if os.path.lexists(place.partial) else place.final
    if path == place.partial and path.is_symlink():
        raise BatchOutputError(not_own(path))
    if not os.path.lexists(path):
        return Kept()
    if not path.is_file():
        raise BatchOutputError(f"{path}: not a file; cannot resume it")
    shown = str(path) if path == place.partial else place.name
    answers = _gzip_answers(path) if place.gzip else _plain_answers(path)
    count = refused = size = 0
    for answer, end in answers:
        count += 1
        if not intact(answer):
            raise BatchOutputError(
                f"{shown}: answer {count} does not match its {KEY}: it was changed after "
                f"healthkb wrote it (or by a healthkb without answer digests); {_START_AFRESH}"
            )
        line = next(lines, None)
        if line is None:
            raise BatchOutputError(
                f"{shown}: has more answers than {source} has lines ({count - 1}): it was "
                f"written for another input; {_START_AFRESH}"
            )
        refused += _check(answer, line, shown, source, (digest, lang))
        size = end
    if size < path.stat().st_size:
        os.truncate(path, size)
    if path != place.partial:
        os.replace(path, place.partial)  # continued there, renamed back at the end
    return Kept(count, refused, size)


def _check(
    answer: bytes, line: Line, output: str, source: str, wanted_kb: tuple[str, str | None]
) -> int:
    """1 if the answer is a refusal, 0 if a result; BatchOutputError if it does not fit
    (`wanted_kb`: the KB digest and language the run answers with)."""
    digest, lang = wanted_kb
    where = f"{output}: answer {line.number}"
    try:
        data = json.loads(answer)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not ("error" in data or "kb_digest" in data):
        raise BatchOutputError(f"{where} is not an answer healthkb wrote; {_START_AFRESH}")
    wanted = _id_of(line)
    if data.get("id") != wanted:
        raise BatchOutputError(
            f"{where} is for id {json.dumps(data.get('id'))}, but line {line.number} of "
            f"{source} has id {json.dumps(wanted)}: the output was written for another "
            f"input; {_START_AFRESH}"
        )
    if "error" in data:
        if data.get("line") != line.number:
            raise BatchOutputError(f"{where} names line {data.get('line')}; {_START_AFRESH}")
        return 1
    if data["kb_digest"] != digest:
        raise BatchOutputError(
            f"{where} was evaluated with the KB {data['kb_digest']}, not this one ({digest}); "
            f"{_START_AFRESH}, or use that KB"
        )
    if data.get("language") != lang:
        worded = data.get("language") or "the KB's default language"
        asked = "without --lang" if lang is None else f"with --lang {lang}"
        raise BatchOutputError(
            f"{where} is worded in {worded}, but this run is {asked}; {_START_AFRESH}, "
            "or resume in that language"
        )
    return 0


def _id_of(line: Line) -> Any:
    """The id an answer to this input line carries (None: the line has no usable id)."""
    if line.data is None:
        return None
    try:
        # As the line was read to be answered (`answers.read_line`): a key given twice,
        # NaN or Infinity is refused there, and the refusal carries no id.
        data = strict_loads(line.data)
    except (ValueError, RecursionError):  # StrictJSONError among them
        return None
    identifier = data.get("id") if isinstance(data, dict) else None
    if isinstance(identifier, bool) or not isinstance(identifier, str | int):
        return None
    return identifier


def _plain_answers(path: Path) -> Iterator[tuple[bytes, int]]:
    """Each complete line, and the file offset just after it."""
    with open(path, "rb") as file:
        offset = 0
        for line in file:
            if not line.endswith(b"\n"):
                return
            offset += len(line)
            yield line, offset


def _gzip_answers(path: Path) -> Iterator[tuple[bytes, int]]:
    """Each line of each complete gzip member, and the offset just after its member.

    A member's lines are kept only once the member is complete (its checksum read):
    only then is it certain they are the lines written.
    """
    with open(path, "rb") as file:
        offset = 0  # where the member being read starts
        pending = b""
        while True:
            decompressor = zlib.decompressobj(wbits=31)
            data = bytearray()
            while not decompressor.eof:
                block = pending or file.read(_BLOCK)
                pending = b""
                if not block:
                    return  # a torn member (or none): stop before it
                try:
                    data += decompressor.decompress(block)
                except zlib.error as error:
                    raise BatchOutputError(
                        f"{path}: not gzip as healthkb writes it ({error})"
                    ) from None
                offset += len(block) - len(decompressor.unused_data)
                pending = decompressor.unused_data
            *lines, rest = bytes(data).split(b"\n")
            if rest:
                raise BatchOutputError(f"{path}: a gzip member ends inside a line")
            for line in lines:
                yield line + b"\n", offset
