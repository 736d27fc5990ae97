"""Running a batch on an existing Dask distributed cluster (`healthkb[dask]`).

The KBs go to every worker once, as a worker plugin holding their files and digests:
each worker loads them when it starts the plugin (also a worker that joins later) and
refuses a digest mismatch, which `register_plugin` reports here. Chunks of the input
then go to the workers a few at a time (`CHUNKS_PER_TASK` per task), at most two tasks
per worker thread in flight, their results taken in input order: the same task
function on the same chunks as a local run, so the same bytes.

Every worker needs healthkb installed (the same version: a different one may load the
KB to another digest, which is refused).
"""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError
from contextlib import contextmanager
from typing import Any, TypeVar

from distributed import Client
from distributed.diagnostics.plugin import WorkerPlugin

from ..errors import HealthKBError
from ..knowledge_base import KnowledgeBase, adopt_shipments, shipped
from ..runtime.pool import ReadUpToError, in_order
from ..runtime.shipment import KBShipment
from .runners import Runner, RunnerFactory, Task, WorkersStopped, run_shipped

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_SECONDS = 20
WORKERS_TIMEOUT_SECONDS = 60
_CLIENT_LOGGERS = (
    "distributed.client",
    "distributed.core",
    "distributed.comm",
    "distributed.batched",
)
CHUNKS_PER_TASK = 4
"""Chunks answered by one Dask task: a task costs the scheduler, the client and the
worker a few milliseconds of messages, so it carries ~1,000 lines (the chunks, and so
the output bytes, stay the same as a local run's)."""


class ClusterError(HealthKBError):
    """The Dask cluster cannot be reached, has no workers, or refused the KB."""


class ShipKnowledgeBases(WorkerPlugin):
    """Loads the shipped KBs into each worker process, once, when the worker takes it."""

    def __init__(self, shipments: tuple[KBShipment, ...]) -> None:
        self.shipments = shipments

    def setup(self, worker: Any) -> None:
        adopt_shipments(*self.shipments)
        for shipment in self.shipments:
            shipped(shipment.digest)  # a refused KB is reported to the client, now


class DaskRunner(Runner):
    """Tasks on the workers of the cluster a client is connected to."""

    def __init__(self, client: Client, kbs: tuple[KnowledgeBase, ...]) -> None:
        self.client = client
        self.digests = tuple(kb.digest for kb in kbs)
        self.threads = max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]

    def map(self, task: Task[R], items: Iterable[T], *, at_hand: bool = False) -> Iterator[R]:
        def submit(group: tuple[T, ...]) -> Any:
            return self.client.submit(run_shipped_group, task, self.digests, group, pure=False)

        # An unreadable item ends the last group: the groups before it, and the items
        # read into that one, are answered before its error is raised.
        reading = ReadUpToError(items)
        groups = iter(lambda: tuple(itertools.islice(reading, CHUNKS_PER_TASK)), ())
        try:
            for answers in in_order(submit, groups, window=2 * self.threads):
                yield from answers
        except (CancelledError, OSError) as error:
            # The client cancels every pending task when it loses the scheduler (and
            # a closed connection is an OSError): the results so far stand.
            raise WorkersStopped(_why_stopped(error)) from None
        reading.raise_error()


def _why_stopped(error: BaseException) -> str:
    if isinstance(error, OSError) or "scheduler-connection-lost" in str(error):
        return "lost the Dask scheduler"
    reason = str(error).partition("reason: ")[2].split(".")[0] or "no reason given"
    return f"the Dask cluster cancelled a task ({reason})"


def run_shipped_group(task: Task[R], digests: tuple[str, ...], group: tuple[Any, ...]) -> list[R]:
    """In a Dask worker: `task` on each item of the group, in order."""
    return [run_shipped(task, digests, item) for item in group]


def dask_runners(address: str) -> RunnerFactory:
    """Runners on the Dask scheduler at `address` (`tcp://host:8786`)."""
    return functools.partial(dask_runner, address=address)


@contextmanager
def dask_runner(kbs: tuple[KnowledgeBase, ...], *, address: str) -> Iterator[Runner]:
    """A runner on the Dask scheduler at `address` (`tcp://host:8786`), its workers
    holding `kbs`; the client is closed on exit, the cluster left running."""
    with _client_log_quiet():
        client = _connect(address)
        try:
            yield _ready(client, kbs, address)
        finally:
            client.close()  # type: ignore[no-untyped-call]


@contextmanager
def _client_log_quiet() -> Iterator[None]:
    """The Dask client's own log muted for the run: when the scheduler goes away it logs
    the traceback of every reconnection attempt, where healthkb says it in one line.
    (Errors that matter reach healthkb as exceptions; the levels are restored after.)"""
    loggers = [logging.getLogger(name) for name in _CLIENT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _ready(client: Client, kbs: tuple[KnowledgeBase, ...], address: str) -> DaskRunner:
    """The runner on `client`, once a worker joined and every worker holds `kbs`."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_SECONDS)
    except TimeoutError:
        raise ClusterError(
            f"no Dask worker joined the scheduler at {address} within "
            f"{WORKERS_TIMEOUT_SECONDS} s; start some with `dask worker {address}`"
        ) from None
    shipments = tuple(kb.shipment() for kb in kbs)
    # Named by the digests: the same KBs registered again replace, not add up.
    name = "healthkb-kbs-" + "-".join(kb.digest.removeprefix("sha256:")[:16] for kb in kbs)
    try:
        client.register_plugin(ShipKnowledgeBases(shipments), name=name)
    except HealthKBError as error:
        raise ClusterError(f"a Dask worker refused the KB: {error}") from None
    return DaskRunner(client, kbs)


def _connect(address: str) -> Client:
    try:
        return Client(  # type: ignore[no-untyped-call]
            address, timeout=CONNECT_TIMEOUT_SECONDS, set_as_default=False
        )
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address}: {error} "
            "(start one with `dask scheduler`, and give the address it prints)"
        ) from None
