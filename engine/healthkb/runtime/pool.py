"""Running work on worker processes: in input order, with a bounded amount in flight.

`in_order` submits items one by one, keeping at most `window` of them running, and
yields their results in the order the items came, so an input of any length is
evaluated in the memory of `window` items and their results. `process_pool` starts
the workers fresh (spawn): a forked copy of a process that runs threads (a server,
a Dask client, a test runner) may inherit a lock held by one of them and hang, and a
forked worker would hold whatever descriptors this process has open (an output's lock).
Its pipes have room for a chunk's answers in one write (`PIPE_BYTES`),
`reap_resource_tracker` lets a command end with no helper process left behind, and a
worker whose parent is gone (killed outright) ends by itself.

multiprocessing and concurrent.futures' process pool are imported when a pool is first
started (`files/on_demand.py`): `healthkb.load()` and `healthkb evaluate` import this
module but start no worker, and importing them was a twentieth of that start-up.

Its fast paths, and why they give the same answer: docs/performance.md, "Two workers on two cores".
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ..files.on_demand import OnDemand


def _import_multiprocessing() -> ModuleType:
    import multiprocessing
    import multiprocessing.resource_tracker

    return multiprocessing


def _import_process_pools() -> ModuleType:
    from concurrent.futures import process

    return process


if TYPE_CHECKING:
    import multiprocessing
    import multiprocessing.resource_tracker
    from concurrent.futures import process as process_pools
else:
    multiprocessing = OnDemand(_import_multiprocessing)
    process_pools = OnDemand(_import_process_pools)

T = TypeVar("T")
R = TypeVar("R", covariant=True)


class Pending(Protocol[R]):
    """Work submitted somewhere (a local process pool, a Dask cluster), not yet done."""

    def result(self) -> R: ...

    def cancel(self) -> Any: ...

    def done(self) -> bool: ...


class _Ready:
    """Nothing to wait for: workers that are up from the start (forked from this process)."""

    def done(self) -> bool:
        return True

    def result(self) -> None:
        return None

    def cancel(self) -> bool:
        return False


READY: Pending[None] = _Ready()
"""The `ready` of `in_order_helping` when the workers need no time to start."""


def worker_count(workers: Any) -> int:
    """The number of worker processes asked for (None: one per core); refuses nonsense."""
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise TypeError(f"workers must be a whole number or None; got {type(workers).__name__}")
    if workers < 1:
        raise ValueError(f"workers must be at least 1; got {workers}")
    return workers


PIPE_BYTES = 1 << 20
"""Room asked for in each pipe between this process and its workers (Linux's default
limit for a pipe; elsewhere the system's own size stays). A chunk's answers (about
200 kB for 250 lines of the bundled KB) then go into the pipe in one write. In a 64 kB
pipe the worker waited for each part to be read, and this process reads with a thread
that needs the GIL, held meanwhile by the thread answering its own chunk for up to the
5 ms switch interval: the worker stood still about 13 ms a chunk of 45 (issue 23)."""


def process_pool(
    workers: int, initializer: Callable[..., object], initargs: tuple[Any, ...]
) -> process_pools.ProcessPoolExecutor:
    """`workers` fresh processes, each running `initializer(*initargs)` once on start."""
    pool = process_pools.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_watched_start,
        initargs=(os.getpid(), initializer, initargs),
    )
    _widen_pipes(pool)
    return pool


ORPHAN_CHECK_SECONDS = 0.5
"""How often a worker looks whether the process that started it is still there."""


def _watched_start(parent: int, initializer: Callable[..., object], args: tuple[Any, ...]) -> None:
    """A worker's start: a thread that ends the worker once `parent` is gone, then the
    pool's own initializer."""
    watch = threading.Thread(target=_end_when_orphaned, args=(parent,), daemon=True)
    watch.start()
    initializer(*args)


def _end_when_orphaned(parent: int) -> None:
    # When a command is killed outright (SIGKILL: nothing of it runs to stop its pool),
    # its workers would live on for good, blocked on a pipe nobody reads, and keep
    # multiprocessing's resource tracker alive with them. An orphan is adopted by
    # another process, so its parent's pid changes; then it ends, having nobody to
    # answer to.
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(1)


def _widen_pipes(pool: process_pools.ProcessPoolExecutor) -> None:
    """`PIPE_BYTES` of room in the pool's two pipes (its tasks', its results'), where
    the system allows; the queues are the executor's own attributes, so a Python whose
    executor has other ones keeps the default pipes."""
    for queue in (getattr(pool, "_call_queue", None), getattr(pool, "_result_queue", None)):
        reader = getattr(queue, "_reader", None)
        if reader is not None:
            widen_pipe(reader.fileno())


def widen_pipe(descriptor: int) -> None:
    """`PIPE_BYTES` of room in the pipe `descriptor` is an end of, where the system
    allows (Linux; refused above fs/pipe-max-size, or when this user's pipe pages are
    used up: the pipe keeps its size)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(descriptor, set_size, PIPE_BYTES)


def reap_resource_tracker() -> None:
    """Stop and reap the resource tracker, the helper process multiprocessing starts
    beside the first pool of spawned workers, unless a process started through
    multiprocessing still runs.

    For a command about to end. The tracker lives as long as this process and would
    outlive the command by a moment (it notices the end of its parent by itself, and is
    reaped by init); Python 3.13 stops it at exit like this, 3.11 and 3.12 do not.
    Stopped while a pool's worker runs, it would unlink the named semaphores the
    pool's queues need, so it is left alone then; the next pool starts it again.
    """
    if "multiprocessing.resource_tracker" not in sys.modules:
        return  # no pool was started (and multiprocessing is not imported for this)
    if multiprocessing.active_children():
        return
    tracker = multiprocessing.resource_tracker._resource_tracker
    if getattr(tracker, "_pid", None) is not None:  # started by this process
        tracker._stop()  # type: ignore[attr-defined]  # private; what 3.13 calls at exit


class ReadUpToError(Generic[T]):
    """The items, read until one cannot be (an unreadable input): the iteration ends
    there and the error is kept in `error`, so that the items read before it are all
    done and their results given before it is raised (`raise_error`)."""

    def __init__(self, items: Iterable[T]) -> None:
        self._items = iter(items)
        self.error: Exception | None = None

    def __iter__(self) -> ReadUpToError[T]:
        return self

    def __next__(self) -> T:
        if self.error is not None:
            raise StopIteration
        try:
            return next(self._items)
        except StopIteration:
            raise
        except Exception as error:  # raised by `raise_error`, after the items before it
            self.error = error
            raise StopIteration from None

    def raise_error(self) -> None:
        if self.error is not None:
            raise self.error


def in_order(submit: Callable[[T], Pending[R]], items: Iterable[T], window: int) -> Iterator[R]:
    """The results of `submit(item)` for every item, in item order, `window` at a time.

    Items are read from `items` only as room frees up; an exception raised by an item's
    work is raised here, at that item's place, after the results before it, and one
    raised reading the items after the results of all the items read before it.
    """
    running: deque[Pending[R]] = deque()
    reading = ReadUpToError(items)
    try:
        for item in reading:
            running.append(submit(item))
            if len(running) >= window:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()
        reading.raise_error()
    finally:
        for future in running:
            future.cancel()


def in_order_helping(
    submit: Callable[[T], Pending[R]],
    here: Callable[[T], R],
    items: Iterable[T],
    ready: Pending[object],
    window: int,
    *,
    take_back: bool = False,
) -> Iterator[R]:
    """`in_order`, with this process as one more worker.

    An item goes to the workers once they have started (`ready` is done) while fewer
    than `window` of theirs are in flight; otherwise this process does it itself
    (`here`). So an input too small to pay for starting workers is done here before they
    are up, and a large one keeps the workers and this process busy. Results come in item
    order, at most `4 * window` of them waiting for an earlier one. `ready`'s error (a KB
    the workers refused) is raised as soon as it is known, and at the latest at the end;
    an error reading the items after the results of every item read before it.

    With `take_back`, once every item is read this process does not sit waiting for the
    workers' last ones: while the first result to give is not in, it takes back the last
    item still at a worker (not that first one, which a worker is on) and does it here.
    The worker's result for it is never taken: for workers that are killed at the end
    with whatever they are doing (forked ones), not a pool that waits for them.
    """
    waiting: deque[Pending[R]] = deque()
    given: deque[Any] = deque()  # each waiting one's item (kept to take it back)
    sent = 0  # items at the workers, their results not yielded yet
    reading = ReadUpToError(items)
    try:
        for item in reading:
            if sent < window and ready.done():
                ready.result()
                waiting.append(submit(item))
                sent += 1
            else:
                waiting.append(_Done.of(here, item))
            given.append(item if take_back else None)
            # Before reading the next item, which may wait on a pipe for a while.
            while waiting and (waiting[0].done() or len(waiting) > 4 * window):
                head = waiting.popleft()
                given.popleft()
                sent -= not isinstance(head, _Done)
                yield head.result()
        while waiting:
            if take_back and not waiting[0].done() and _took_back(waiting, given, here):
                continue
            given.popleft()
            yield waiting.popleft().result()
        ready.result()
        reading.raise_error()
    finally:
        for pending in waiting:
            pending.cancel()


def _took_back(waiting: deque[Pending[R]], given: deque[Any], here: Callable[[Any], R]) -> bool:
    """Whether the last item still at a worker (after the first waiting) was done here."""
    for index in range(len(waiting) - 1, 0, -1):
        pending = waiting[index]
        if not isinstance(pending, _Done) and not pending.done():
            waiting[index] = _Done.of(here, given[index])
            return True
    return False


class _Done(Generic[R]):
    """An item done here: its result, or the error to raise at its place in the order."""

    def __init__(self, value: R | None, error: BaseException | None) -> None:
        self.value, self.error = value, error

    @classmethod
    def of(cls, work: Callable[[T], R], item: T) -> _Done[R]:
        try:
            return cls(work(item), None)
        except Exception as error:  # raised in order, after the results before it
            return cls(None, error)

    def result(self) -> R:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]  # None only with an error

    def cancel(self) -> bool:
        return False

    def done(self) -> bool:
        return True
