"""The batch job: a file of profiles in, a file of answers out, in input order.

Importable for schedulers (cron, Airflow): `run_batch("people.jsonl.gz",
"answers.jsonl.gz", healthkb.load("path/to/kb"), workers=4)` returns a `BatchSummary`
(lines answered, refused).

The input is read a chunk of lines at a time, the chunks go to the runner (this
process, a local pool, or a Dask cluster) with a bounded number in flight, and their
answers are written in input order as they come back: memory does not grow with the
input. With an audit log, each chunk's records are appended with one fsync before its
answers are written, so every answer in the output has its record (a run resumed
after a kill may log the chunk it was answering a second time).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..audit.log import AuditLog
from ..knowledge_base import KnowledgeBase
from .answers import Chunk, ChunkAnswer, answer_chunk
from .jsonlines import Line, Output, count_lines, input_name, open_input, read_lines
from .resume import Kept, keep_answers
from .runners import runner

LINES_PER_CHUNK = 250
"""Input lines sent to a worker at a time. Fixed whatever the runner, so that a `.gz`
output (one gzip member per chunk) is the same bytes on one worker, many, or Dask."""


@dataclass(frozen=True)
class BatchSummary:
    """What a batch run did: lines answered (kept from an earlier run included), how
    many of them were refused, and how many were kept from an earlier run."""

    lines: int
    refused: int
    resumed: int = 0

    @property
    def evaluated(self) -> int:
        return self.lines - self.refused


def run_batch(
    input: str | Path,
    output: str | Path,
    kb: KnowledgeBase,
    *,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    audit: AuditLog | None = None,
    progress: bool = False,
) -> BatchSummary:
    """Answer every line of `input` into `output` (JSON Lines; `-`: standard input or
    output; gzip by content on input, by a `.gz` name on output).

    `workers` processes (1: this one), or the Dask scheduler at `dask`. With `resume`,
    an existing `output` is checked against the input and the KB and continued after
    its last complete answer. `progress` shows a progress bar on standard error.
    Raises `BatchInputError` / `BatchOutputError` (and `ClusterError` for Dask) when
    the input, output or cluster is unusable; refused lines are answered, not raised.
    """
    source = input_name(input)
    stream = open_input(input)
    try:
        lines = read_lines(stream, source)
        kept = keep_answers(str(output), lines, source, kb.digest) if resume else Kept()
        with Output(output, append=kept.lines > 0) as out, runner((kb,), workers, dask) as run:
            bar = _progress_bar(input, kept.lines, progress)
            refused = kept.refused
            answered = kept.lines
            try:
                chunks = _chunks(lines, source, audit is not None)
                for answer in run.map(answer_chunk, chunks):
                    _commit(answer, out, audit)
                    refused += answer.refused
                    answered += answer.lines
                    bar.update(answer.lines)
            finally:
                bar.close()
    finally:
        stream.close()
    return BatchSummary(answered, refused, kept.lines)


def _commit(answer: ChunkAnswer, out: Output, audit: AuditLog | None) -> None:
    if audit is not None:
        audit.append_bodies(list(answer.records))
    out.write(answer.text)


def _chunks(lines: Iterator[Line], source: str, audit: bool) -> Iterator[Chunk]:
    while batch := tuple(itertools.islice(lines, LINES_PER_CHUNK)):
        yield Chunk(source, batch, audit)


def _progress_bar(input: str | Path, done: int, shown: bool) -> tqdm:  # type: ignore[type-arg]
    total = count_lines(input) if shown else None
    return tqdm(
        total=total,
        initial=done,
        unit=" profiles",
        disable=not shown,
        dynamic_ncols=True,
        smoothing=0.1,
    )
