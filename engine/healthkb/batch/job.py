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

import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ..audit.log import AuditLog
from ..knowledge_base import KnowledgeBase
from .answers import Chunk, ChunkAnswer, answer_chunk
from .jsonlines import (
    STDIO,
    BatchOutputError,
    Output,
    count_lines,
    input_name,
    open_input,
    read_lines,
)
from .line_blocks import LineBlock, read_blocks
from .output_place import (
    OutputPlace,
    move_into_place,
    not_own,
    output_locked,
    output_place,
    refuse_input_as_output,
    refuse_not_a_file,
)
from .resume import Kept, keep_answers
from .runners import Runner, RunnerFactory, WorkersStopped, local_runners

LINES_PER_CHUNK = 250
"""Input lines sent to a worker at a time. Fixed whatever the runner, so that a `.gz`
output (one gzip member per chunk) is the same bytes on one worker, many, or Dask."""

WORKERS_AFTER = 10_000
"""An input of at most this many lines is answered by this process alone, starting no
spawned worker process (about what it answers in the time one takes to start, so a short
input never waits for one). A longer input file starts them at once (its lines are read
ahead to know); a longer pipe once this process has answered that many lines."""

FORKED_WORKERS_AFTER = 1_000
"""The same for workers forked from this process (`forked.py`, on Linux): up within
milliseconds, for a few tens of CPU milliseconds, they pay for themselves from a few
chunks on."""


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
    workers_after: int | None = None,
    on: RunnerFactory | None = None,
    resume: bool = False,
    audit: AuditLog | None = None,
    progress: bool = False,
    lang: str | None = None,
) -> BatchSummary:
    """Answer every line of `input` into `output` (JSON Lines; `-`: standard input or
    output; gzip by content on input, by a `.gz` name on output).

    `workers` processes (1: this one; with more, this one is one of them, and starts
    the others only for an input longer than `workers_after` lines: at once for a file,
    after answering that many lines of a pipe; None: `FORKED_WORKERS_AFTER` or
    `WORKERS_AFTER`, as they are forked or spawned), or the runners `on` gives (Dask's:
    `healthkb.batch.cluster.dask_runners("tcp://host:8786")`). An output file
    is written as `OUTPUT.partial` and renamed to `output` at the end, under a lock
    (`OUTPUT.lock`) held for the whole run (see `output_place`). With `resume`, the
    answers an earlier run left (its partial file, else `output`) are checked against
    the input and the KB and continued after the last complete one. `progress` shows
    a progress bar on standard error. With `lang` (a language of the KB other than its
    default), each answer also carries `"language"` and its conclusions' statements in
    it. Raises `BatchInputError` / `BatchOutputError`
    (and `ClusterError` for Dask) when the input, output or cluster is unusable, and
    `BatchStopped` when the workers stop mid-run; refused lines are answered, not raised.
    """
    runners = on or local_workers(workers, workers_after)
    job = _Job(input, kb, runners, audit, progress, lang)
    if str(output) == STDIO:
        if resume:
            raise BatchOutputError(
                "--resume needs an output file: standard output cannot be resumed"
            )
        return job.run(None)
    place = output_place(output)
    refuse_input_as_output(input, place)
    refuse_not_a_file(place)
    with output_locked(place):
        summary = job.run(place, resume=resume)
        move_into_place(place)
    return summary


def local_workers(workers: int, workers_after: int | None = None) -> RunnerFactory:
    """Runners on `workers` local processes, starting the workers only for an input of
    more than `workers_after` lines (None: the defaults above, as they are forked or
    spawned)."""
    if workers_after is not None:
        return local_runners(workers, alone=chunks_for(workers_after))
    alone, forked = chunks_for(WORKERS_AFTER), chunks_for(FORKED_WORKERS_AFTER)
    return local_runners(workers, alone=alone, alone_forked=forked)


def chunks_for(lines: int) -> int:
    """The chunks that hold `lines` input lines (a part chunk counts)."""
    return -(-lines // LINES_PER_CHUNK)


class BatchStopped(BatchOutputError):
    """The workers stopped mid-run (a lost scheduler, a killed worker process): the
    answers so far are in the partial output, which `--resume` continues."""


@dataclass(frozen=True)
class _Job:
    input: str | Path
    kb: KnowledgeBase
    runners: RunnerFactory
    audit: AuditLog | None
    progress: bool
    lang: str | None = None

    def run(self, place: OutputPlace | None, *, resume: bool = False) -> BatchSummary:
        """Answer the input into `place` (None: standard output)."""
        source = input_name(self.input)
        # The workers first: a cluster that cannot be reached leaves the output's files
        # as they were (no partial file made, no finished output moved to continue it).
        with open_input(self.input) as stream, self.runners((self.kb,)) as run:
            kept = Kept()
            if place is not None and resume:
                lines = read_lines(stream, source)
                kept = keep_answers(place, lines, source, self.kb.digest, self.lang)
            blocks = read_blocks(stream, source, LINES_PER_CHUNK, first=kept.lines + 1)
            if place is None:
                out = Output(STDIO)
            else:
                if place.partial.is_symlink():
                    raise BatchOutputError(not_own(place.partial))
                out = Output(place.partial, append=kept.lines > 0, gzip=place.gzip, no_follow=True)
            with out:
                answered, refused = self._answer(run, blocks, source, out, kept, place)
        return BatchSummary(answered, refused, kept.lines)

    def _answer(
        self,
        run: Runner,
        blocks: Iterator[LineBlock],
        source: str,
        out: Output,
        kept: Kept,
        place: OutputPlace | None,
    ) -> tuple[int, int]:
        bar = _progress_bar(self.input, kept.lines, self.progress)
        refused, answered = kept.refused, kept.lines
        try:
            audit = self.audit is not None
            chunks = (Chunk(source, block, audit, self.lang, out.gzip) for block in blocks)
            for answer in run.map(answer_chunk, chunks, at_hand=_at_hand(self.input)):
                _commit(answer, out, self.audit, self.kb)
                refused += answer.refused
                answered += answer.lines
                bar.update(answer.lines)
        except WorkersStopped as stopped:
            written = f"{stopped}; {answered:,} answers written"
            if place is None:
                raise BatchStopped(written) from None
            raise BatchStopped(
                f"{written}; rerun with --resume (they are in {place.partial})"
            ) from None
        finally:
            bar.close()
        return answered, refused


def _commit(answer: ChunkAnswer, out: Output, audit: AuditLog | None, kb: KnowledgeBase) -> None:
    if audit is not None:
        audit.append_bodies(list(answer.records), kb.content)
    out.write(answer.text, packed=out.gzip)


def _at_hand(input: str | Path) -> bool:
    """Whether the input's lines can be read ahead without waiting for a writer: a file
    (named, or given as standard input), not a pipe or terminal."""
    if str(input) != STDIO:
        return True  # `open_input` opens regular files only
    try:
        return stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor (sys.stdin replaced)
        return False


class ProgressBar(tqdm):  # type: ignore[type-arg]
    """tqdm's bar without the monitor thread every bar starts, shown or not (it only
    hurries a bar whose updates stall; a batch's come with every chunk), so that the
    process runs one thread and can fork its workers (`forked.py`)."""

    monitor_interval = 0


def _progress_bar(input: str | Path, done: int, shown: bool) -> tqdm:  # type: ignore[type-arg]
    total = count_lines(input) if shown else None
    return ProgressBar(
        total=total,
        initial=done,
        unit=" profiles",
        disable=not shown,
        dynamic_ncols=True,
        smoothing=0.1,
    )
