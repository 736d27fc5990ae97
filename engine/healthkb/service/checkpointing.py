"""A worker's signed checkpoints of the audit log: when it stops, and when it goes idle.

A writer with a checkpoint key signs after every `--checkpoint-every` records and at
its first append `--checkpoint-seconds` after its last checkpoint; the records it
appended since then would stay unsigned, and could be cut or rewritten unseen, if the
worker then stopped or stopped being called. So each worker also signs when it shuts
down (SIGTERM, Ctrl-C), and, with `--checkpoint-seconds T`, on a timer every T seconds
whenever records have waited unsigned that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..audit.log import AuditLog
from ..errors import HealthKBError

log = logging.getLogger("healthkb.service")


def signing_lifespan(
    audit: AuditLog | None,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The app's lifespan: a timer signing idle records while it runs, a last checkpoint
    when it stops (nothing without an audit log or a key)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        seconds = audit.checkpoint_seconds if audit is not None else None
        timer = asyncio.create_task(_sign_when_idle(audit, seconds)) if audit and seconds else None
        try:
            yield
        finally:
            if timer is not None:
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
            if audit is not None:
                await run_in_threadpool(_sign, audit, False)

    return lifespan


async def _sign_when_idle(audit: AuditLog, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds / 2)  # records wait at most 1.5 x `seconds`
        await run_in_threadpool(_sign, audit, True)


def _sign(audit: AuditLog, overdue_only: bool) -> None:
    try:
        checkpoint = audit.checkpoint_pending(overdue_only=overdue_only)
    except HealthKBError as error:  # the log's own problem: for the operator, in one line
        log.error("could not sign a checkpoint of the audit log: %s", error)
        return
    if checkpoint is not None:
        log.info("signed a checkpoint of the audit log at record %s", checkpoint["sequence"])
