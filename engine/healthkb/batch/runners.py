"""Where the chunks of a batch run: in this process, or on a local process pool (Dask's
runner, `cluster.py`, is built on these and chosen by the command line).

A runner runs `task(*kbs, item)` for every item and yields the results in item order,
reading items only as room frees up. `task` is a module-level function (sent to
workers by name); the KBs are sent to each worker once, as their files and digest
(`KBShipment`), and each worker loads them and checks the digest before any task.

Its fast paths, and why they give the same answer: docs/performance.md,
"Workers start only when the input pays for them".
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from ..errors import HealthKBError
from ..knowledge_base import KnowledgeBase, adopt_shipments, shipped
from ..runtime.pool import READY, Pending, in_order_helping, process_pool
from .forked import ForkedWorker, WorkerGone, can_fork

T = TypeVar("T")
R = TypeVar("R")

Task = Callable[..., R]


class WorkersStopped(HealthKBError):
    """The workers stopped mid-run (a worker process killed, a lost Dask scheduler):
    the message says what happened; the results yielded before it stand."""


class Runner:
    """Runs tasks on the KBs it was given; `map` yields results in input order."""

    def map(self, task: Task[R], items: Iterable[T], *, at_hand: bool = False) -> Iterator[R]:
        """`task` on every item, results in item order. `at_hand`: the items can be read
        ahead without waiting for them (they come from a file, not a pipe still being
        written), so a runner may look ahead to see how many there are."""
        raise NotImplementedError


class LocalRunner(Runner):
    """Every task in this process, one after the other, on the KBs already loaded."""

    def __init__(self, kbs: tuple[KnowledgeBase, ...]) -> None:
        self.kbs = kbs

    def map(self, task: Task[R], items: Iterable[T], *, at_hand: bool = False) -> Iterator[R]:
        for item in items:
            yield task(*self.kbs, item)


class PoolRunner(Runner):
    """Tasks on this process and `workers - 1` local processes. An input of at most
    `alone` items is done here, and no worker starts (it would not be up before this
    process is done). A longer one starts the workers: at once when the items are at
    hand (read ahead: there are more than `alone`), else after this process has done the
    first `alone` (a pipe's length is only known at its end). Meanwhile, and after, this
    process keeps working beside the workers (see `in_order_helping`).

    The workers are forked from this process, KBs loaded, when that is safe
    (`forked.py`: Linux, this process running one thread, and `fork` not turned off);
    else spawned, each loading the shipped KBs once."""

    def __init__(
        self,
        kbs: tuple[KnowledgeBase, ...],
        workers: int,
        alone: int = 0,
        *,
        fork: bool = True,
        alone_forked: int | None = None,
    ) -> None:
        self.kbs = kbs
        self.digests = tuple(kb.digest for kb in kbs)
        self.workers = workers
        self.alone = alone  # with spawned workers
        self.alone_forked = alone if alone_forked is None else alone_forked
        self.fork = fork
        self._shipments = tuple(kb.shipment() for kb in kbs)  # the files as they are now
        self._pool: ProcessPoolExecutor | None = None
        self._forked: list[ForkedWorker] = []

    def map(self, task: Task[R], items: Iterable[T], *, at_hand: bool = False) -> Iterator[R]:
        def here(item: T) -> R:
            return task(*self.kbs, item)

        forking = bool(self._forked) or (self.fork and self._pool is None and can_fork())
        alone = self.alone_forked if forking else self.alone
        iterator = iter(items)
        if at_hand:
            ahead, unread = _read_ahead(iterator, alone)
            if unread is None:  # all there is: done here, before any worker could start
                yield from ahead.done_here(here)
                return
            rest: Iterator[T] = itertools.chain(ahead.items, unread)
        else:
            for item in itertools.islice(iterator, alone):
                yield here(item)
            following = next(iterator, _END)
            if following is _END:
                return
            rest = itertools.chain([following], iterator)
        # Asked again now, just before the fork: the items done here read from a pipe,
        # and a thread may have started meanwhile (spawned workers then).
        forking = forking and (bool(self._forked) or can_fork())
        try:
            if forking:
                # Three chunks each: a worker always finds its next one waiting, this
                # process sending more only between its own chunks. At the end, it takes
                # back the last ones rather than wait (the worker is killed at the end).
                submit = self._forked_submit(task)
                window = 3 * (self.workers - 1)
                yield from in_order_helping(submit, here, rest, READY, window, take_back=True)
            else:
                submit, ready = self._pool_submit(task)
                yield from in_order_helping(submit, here, rest, ready, 2 * (self.workers - 1))
        except (BrokenProcessPool, WorkerGone):
            raise WorkersStopped("a worker process stopped (killed, or out of memory)") from None

    def _pool_submit(self, task: Task[R]) -> tuple[Callable[[Any], Pending[R]], Pending[None]]:
        """Submitting to spawned workers, and what is done once one has loaded the KBs
        (raising what refused them, if one did)."""
        pool = self._started()
        ready = pool.submit(run_shipped, _loaded, self.digests, None)

        def submit(item: Any) -> Pending[R]:
            return pool.submit(run_shipped, task, self.digests, item)

        return submit, ready

    def _forked_submit(self, task: Task[R]) -> Callable[[Any], Pending[R]]:
        """Submitting to forked workers (forked now, the first time), the least busy."""
        while len(self._forked) < self.workers - 1:
            try:
                self._forked.append(ForkedWorker(self.kbs))
            except OSError as error:
                raise WorkersStopped(f"cannot start a worker process: {error}") from None

        def submit(item: Any) -> Pending[R]:
            worker = min(self._forked, key=lambda each: each.in_flight)
            return _AtForked(worker, worker.send(task, item))

        return submit

    @property
    def workers_started(self) -> bool:
        """Whether the worker processes were started (not for an input of `alone` items)."""
        return self._pool is not None or bool(self._forked)

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = process_pool(self.workers - 1, adopt_shipments, self._shipments)
        return self._pool

    def close(self) -> None:
        for worker in self._forked:
            worker.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


class _AtForked(Generic[R]):
    """A task sent to a forked worker, its result not taken yet."""

    def __init__(self, worker: ForkedWorker, number: int) -> None:
        self.worker, self.number = worker, number

    def done(self) -> bool:
        return self.worker.answered(self.number)

    def result(self) -> R:
        return cast(R, self.worker.take(self.number))

    def cancel(self) -> bool:
        return False


_END: Any = object()


@dataclass(frozen=True)
class _Ahead(Generic[T]):
    """Items read ahead, and the error that stopped the reading (raised after them)."""

    items: tuple[T, ...]
    error: Exception | None = None

    def done_here(self, here: Callable[[T], R]) -> Iterator[R]:
        for item in self.items:
            yield here(item)
        if self.error is not None:
            raise self.error


def _read_ahead(iterator: Iterator[T], count: int) -> tuple[_Ahead[T], Iterator[T] | None]:
    """Up to `count` items, and an iterator of the rest if there are more (else None).
    An error reading them is kept, to be raised after the items before it are done."""
    items: list[T] = []
    try:
        for item in itertools.islice(iterator, count):
            items.append(item)
        following = next(iterator, _END)
    except Exception as error:  # an unreadable line: raised in its place, after the rest
        return _Ahead(tuple(items), error), None
    if following is _END:
        return _Ahead(tuple(items)), None
    return _Ahead(tuple(items)), itertools.chain([following], iterator)


def _loaded(*kbs_and_item: Any) -> None:
    """A task that does nothing: done once a worker has loaded the shipped KBs."""


def run_shipped(task: Task[R], digests: tuple[str, ...], item: Any) -> R:
    """In a worker: `task` on the KBs shipped to this process with these digests."""
    return task(*(shipped(digest) for digest in digests), item)


RunnerFactory = Callable[[tuple[KnowledgeBase, ...]], AbstractContextManager[Runner]]
"""What a job is given to run its chunks on: called with the job's KBs, it gives the
runner as a context (closed at the end of the job). `local_runners(N)` runs them in
this process or on N local processes; `cluster.dask_runners(address)` on Dask. The
command line chooses (`cli/batch.py`), so this module never names the Dask one."""


def local_runners(
    workers: int = 1, alone: int = 0, *, fork: bool = True, alone_forked: int | None = None
) -> RunnerFactory:
    """Runners on `workers` local processes (1: this process), this one doing the first
    `alone` items itself before starting the others (`alone_forked` when they are forked,
    if given); forked from this one where that is safe (see `PoolRunner`), unless `fork`
    is False."""
    return functools.partial(
        _local, workers=workers, alone=alone, fork=fork, alone_forked=alone_forked
    )


@contextmanager
def _local(
    kbs: tuple[KnowledgeBase, ...],
    *,
    workers: int,
    alone: int,
    fork: bool,
    alone_forked: int | None,
) -> Iterator[Runner]:
    if workers == 1:
        yield LocalRunner(kbs)
        return
    pool = PoolRunner(kbs, workers, alone, fork=fork, alone_forked=alone_forked)
    try:
        yield pool
    finally:
        pool.close()
