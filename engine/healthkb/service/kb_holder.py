"""The KB a worker answers with, swapped whole when a new release is published, and
`POST /kb/reload`, which asks for that.

Every endpoint reads `KBHolder.kb` once, when its request starts, and uses that KB to
the end: a request in flight finishes on the release it started with, and the next one
gets the new release. A KB is immutable, so swapping is replacing one reference.

`WorkerReloader` is each worker's side of service/reload.py: it polls the shared state
file (a `stat` every `POLL_SECONDS`), and when a new generation is published it loads
that generation's files on a thread (the event loop keeps answering with the old KB),
checks that their digest is the published one, and swaps; or keeps the old KB and says
why, in the log and in its report (`GET /kb`).

`POST /kb/reload` needs a token with the `healthkb:admin` scope when authentication is
on (`--auth-jwks`); without authentication it is open only to a service that listens on
loopback alone (the operator's own machine, or behind a proxy that must not pass it on),
and refused (403) otherwise: anyone who can reach the service could not make it reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..errors import HealthKBError
from ..knowledge_base import KnowledgeBase
from .openapi import responses
from .problems import ServiceProblem
from .reload import (
    ReloadFolder,
    ReloadOutcome,
    WorkerReport,
    describe,
    request_reload,
    wait_for_workers,
)
from .settings import Settings

log = logging.getLogger("healthkb.service")

POLL_SECONDS = 0.1
ADMIN_SCOPE = "healthkb:admin"
RELOAD_PATH = "/kb/reload"


@dataclass(frozen=True)
class Serving:
    """A KB and the reload generation it was published as (0: the one started with)."""

    kb: KnowledgeBase
    generation: int


class KBHolder:
    """One worker's current KB (see the module docstring)."""

    def __init__(self, kb: KnowledgeBase, generation: int = 0) -> None:
        self._serving = Serving(kb, generation)

    @property
    def serving(self) -> Serving:
        return self._serving

    @property
    def kb(self) -> KnowledgeBase:
        return self._serving.kb

    def swap(self, kb: KnowledgeBase, generation: int) -> None:
        self._serving = Serving(kb, generation)


class WorkerReloader:
    """Swaps in each generation the service publishes (see the module docstring)."""

    def __init__(self, holder: KBHolder, folder: ReloadFolder) -> None:
        self.holder = holder
        self.folder = folder
        self._seen: tuple[int, int, int] | None = None
        self._failure: str | None = None
        self._tried = holder.serving.generation

    async def run(self) -> None:
        """Poll for new generations until cancelled (when the worker stops)."""
        self.report()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.check()
            except Exception:  # keep polling, and serving, whatever happened
                log.exception("worker %d: checking for a new release failed", os.getpid())

    async def check(self) -> None:
        stamp = self.folder.stamp()
        if stamp == self._seen:
            return
        self._seen = stamp
        state = self.folder.read()
        if state.generation <= self.holder.serving.generation:
            return
        self._tried = state.generation
        try:
            kb = await run_in_threadpool(self.folder.load, state.generation)
        except (HealthKBError, OSError) as error:
            self._failure = str(error).split(":\n", 1)[0]
            old = self.holder.kb
            log.error(
                "worker %d: cannot swap in generation %d (%s), still serving %s (%s): %s",
                os.getpid(),
                state.generation,
                state.version,
                old.version,
                old.digest,
                self._failure,
            )
        else:
            self._failure = None
            self.holder.swap(kb, state.generation)
            log.info(
                "worker %d: now serving %s (%s), generation %d",
                os.getpid(),
                kb.version,
                kb.digest,
                state.generation,
            )
        self.report()

    def report(self) -> None:
        serving = self.holder.serving
        self.folder.report(
            WorkerReport(
                os.getpid(),
                serving.generation,
                serving.kb.version,
                serving.kb.digest,
                self._tried,
                self._failure,
            )
        )


def reloading_lifespan(
    reloader: WorkerReloader | None,
    inner: Callable[[Any], AbstractAsyncContextManager[None]],
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """`inner` (the app's other lifespan), with the reloader polling while the app runs."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        task = asyncio.create_task(reloader.run()) if reloader is not None else None
        try:
            async with inner(app):
                yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan


class Reloading(Protocol):
    """What the reload route needs of the service (service/app.py's `Service`)."""

    settings: Settings
    holder: KBHolder
    reload_folder: ReloadFolder | None

    def authenticate(self, request: Request) -> Awaitable[dict[str, Any] | None]: ...


def reload_info(service: Reloading) -> dict[str, Any] | None:
    """`GET /kb`'s `reload`: the generation this worker serves, the release published
    last, the last refused reload (why), and what every worker serves."""
    if service.reload_folder is None:
        return None
    state = service.reload_folder.read()
    published = state.to_dict()
    refused = published.pop("refused")
    return {
        "generation": service.holder.serving.generation,
        "published": published,
        "refused": refused,
        "workers": [report.to_dict() for report in service.reload_folder.reports()],
    }


def add_reload_route(app: FastAPI, service: Reloading) -> None:
    """Register POST /kb/reload (see the module docstring)."""

    @app.post(
        RELOAD_PATH,
        responses=responses("ReloadAnswer", (401, 403, 409, 422)),
        summary="Swap in the release now in the KB's folder, in every worker",
    )
    async def reload(request: Request) -> Any:
        await _authorize(service, request)
        folder, settings = service.reload_folder, service.settings
        if folder is None:
            raise ServiceProblem(
                409,
                "reload-unavailable",
                "Reload unavailable",
                "this app was not started by `healthkb serve`, which shares reloads between "
                "its workers; load the KB again and make a new app",
            )
        outcome = await run_in_threadpool(
            request_reload,
            folder,
            settings.kb_root,
            settings.require_signed,
            "POST /kb/reload",
            settings.can_hash,
        )
        if outcome.outcome == "reloaded":
            outcome = await run_in_threadpool(wait_for_workers, folder, outcome, settings.workers)
        level = logging.ERROR if outcome.outcome == "refused" else logging.INFO
        log.log(level, "%s", describe(outcome))
        return _answer(outcome)


async def _authorize(service: Reloading, request: Request) -> None:
    claims = await service.authenticate(request)
    if claims is None and not service.settings.reload_without_token:
        raise ServiceProblem(
            403,
            "reload-forbidden",
            "Reload forbidden",
            "this service listens beyond loopback without authentication, so it takes no "
            "reloads over HTTP: send the serving process SIGHUP, or turn on --auth-jwks",
        )
    if claims is not None and ADMIN_SCOPE not in str(claims.get("scope", "")).split():
        raise ServiceProblem(
            403,
            "insufficient-scope",
            "Insufficient scope",
            f"a reload needs a token with the `{ADMIN_SCOPE}` scope",
            headers={
                "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{ADMIN_SCOPE}"'
            },
        )


def _answer(outcome: ReloadOutcome) -> dict[str, Any]:
    state = outcome.state
    if outcome.outcome == "refused":
        assert state.refused is not None
        raise ServiceProblem(
            422,
            "reload-refused",
            "Reload refused",
            f"{state.refused.reason}; still serving {state.version} ({state.digest})",
            state.refused.located_problems(),
        )
    failed = [report for report in outcome.workers if report.failure]
    if failed or outcome.waiting:
        raise ServiceProblem(
            409,
            "reload-incomplete",
            "Reload incomplete",
            describe(outcome),
        )
    published = state.to_dict()
    del published["refused"]
    return {
        "outcome": outcome.outcome,
        "published": published,
        "workers": [report.to_dict() for report in outcome.workers],
    }
