"""A chunk's answer lines are written from their parts (the KB's stamp once per chunk,
each distinct conclusion's JSON once: `_PlainAnswers`); they are byte for byte the line
`result_line` writes from the whole answer, whatever the id."""

from __future__ import annotations

import json

from tests.benchmarks.clips_peer import population

import healthkb
from healthkb.batch.answers import Chunk, answer_chunk, result_line
from healthkb.batch.jsonlines import Line

IDS = [7, 2**70, -1, "p-1", "é ü 中文", 'quote " and \\ backslash', "\ud800 lone surrogate", ""]


def test_lines_written_from_parts_are_the_whole_answers_bytes(kb: healthkb.KnowledgeBase) -> None:
    profiles = population(kb.content, 240)
    ids = [IDS[n % len(IDS)] for n in range(len(profiles))]
    lines = tuple(
        Line(n, json.dumps({"id": ids[n - 1], "profile": profile}).encode())
        for n, profile in enumerate(profiles, 1)
    )
    written = answer_chunk(kb, Chunk("lines", lines)).text.splitlines(keepends=True)
    expected = [
        result_line(kb, identifier, kb.conclusions_reached(profile))
        for identifier, profile in zip(ids, profiles, strict=True)
    ]
    assert written == expected
    assert len({line.split(b'"conclusions":')[1] for line in written}) > 10
