"""Running the service on uvicorn: one socket, `workers` processes, each with its own KB.

This process is the service's supervisor: on SIGHUP (and with `--watch`, when a file of
the KB changes) it swaps in the release now in the KB's folder, in every worker, without
restarting any (service/reload.py); uvicorn's own supervisor would restart them all.

The socket is bound here, before any worker starts, so `--port 0` works (the port the
system chose is printed) and a port in use is an error at once, not in each worker.
Binding an address other than loopback without authentication is refused unless the
operator says `--insecure`: the service answers health questions about people.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.supervisors import Multiprocess

from ..content.loading.loader import bundled_root
from ..errors import HealthKBError
from ..knowledge_base import KnowledgeBase
from .app import create_app
from .auth import read_jwks
from .reload import Reloader, ReloadFolder, watch
from .settings import ENVIRONMENT_VARIABLE, Settings
from .transport import ServiceConfig

APP = "healthkb.service.app:create_app_from_environment"


class ServeError(HealthKBError):
    """The service cannot start as asked (an address refused, a port in use...)."""


def is_loopback(host: str) -> bool:
    """Whether `host` names only this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, settings: Settings, insecure: bool) -> None:
    """Refuse to expose an unauthenticated service beyond this machine, saying why."""
    if settings.auth_jwks or insecure or is_loopback(host):
        return
    raise ServeError(
        f"refusing to listen on {host} without authentication: anyone who can reach it could "
        "send health data and read conclusions. Give --auth-jwks FILE --auth-issuer ISS (CDS "
        "Hooks client JWTs), bind 127.0.0.1 behind an authenticating proxy, or pass --insecure "
        "if the network itself is trusted"
    )


def check_authentication(settings: Settings) -> None:
    """Refuse settings that would check tokens against the wrong things, saying why."""
    if settings.public_url is not None:
        check_public_url(settings.public_url)
    if settings.auth_jku and not settings.auth_jwks:
        raise ServeError("--auth-jku trusts more key sets: give --auth-jwks FILE too")
    for url in settings.auth_jku:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ServeError(f"--auth-jku {url}: a key set URL is http:// or https://")
    if not settings.auth_jwks:
        return
    if not settings.auth_issuers:
        raise ServeError("--auth-jwks needs at least one --auth-issuer (the clients allowed)")
    if not settings.public_url:
        raise ServeError(
            "--auth-jwks needs --public-url URL (the address clients call the service at): "
            "a token's `aud` is checked against it, never against a request's Host header"
        )
    read_jwks(settings.auth_jwks)  # a bad key file is an error now, not per request


def check_public_url(url: str) -> None:
    """`--public-url` is an absolute http(s) URL without query or fragment."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ServeError(
            f"--public-url {url}: give the absolute http(s) URL clients reach the service "
            "at, such as https://cds.example.org/healthkb (no query, no fragment)"
        )


def serve(
    kb: KnowledgeBase,
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    insecure: bool = False,
    access_log: bool = True,
    watch_files: bool = False,
) -> None:
    """Run the service until interrupted (SIGINT or SIGTERM); reload on SIGHUP and, with
    `watch_files`, whenever a file of the KB changes."""
    check_authentication(settings)
    check_exposure(host, settings, insecure)
    if workers < 1:
        raise ServeError(f"--workers must be at least 1; got {workers}")
    with _seen_tokens_folder(settings) as settings, ReloadFolder.created(kb) as folder:
        settings = replace(
            settings,
            workers=workers,
            reload_folder=str(folder.path),
            reload_without_token=is_loopback(host),
        )
        reloader = Reloader(
            folder, settings.kb_root, settings.require_signed, workers, settings.can_hash
        )
        with _watching(settings, reloader, watch_files):
            _run(
                kb, settings, reloader, host=host, port=port, workers=workers, access_log=access_log
            )


class ReloadingSupervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, but SIGHUP swaps in the KB's new release
    in every worker (service/reload.py) instead of restarting them."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], reloader: Reloader):
        super().__init__(config, sockets)
        self.reloader = reloader

    def handle_hup(self) -> None:
        self.reloader.start("SIGHUP")


@contextmanager
def _watching(settings: Settings, reloader: Reloader, watch_files: bool) -> Iterator[None]:
    """With `watch_files`, a thread asking for a reload whenever the KB's files change."""
    if not watch_files:
        yield
        return
    root = Path(settings.kb_root) if settings.kb_root else bundled_root()
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch, args=(root, lambda: reloader.start("--watch"), stop), daemon=True
    )
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()


@contextmanager
def _seen_tokens_folder(settings: Settings) -> Iterator[Settings]:
    """The settings with a folder, private to this run, where the workers record the
    tokens they accepted (with authentication on), removed when the service stops."""
    if not settings.auth_jwks or settings.seen_tokens is not None:
        yield settings
        return
    folder = tempfile.mkdtemp(prefix="healthkb-tokens-")  # mode 700
    try:
        yield replace(settings, seen_tokens=folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _logging() -> dict[str, Any]:
    """uvicorn's logging, with the service's own lines (`healthkb.service`) beside its."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["healthkb"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def _run(
    kb: KnowledgeBase,
    settings: Settings,
    reloader: Reloader,
    *,
    host: str,
    port: int,
    workers: int,
    access_log: bool,
) -> None:
    os.environ[ENVIRONMENT_VARIABLE] = settings.to_json()
    config = ServiceConfig(
        APP if workers > 1 else create_app(kb, settings),
        limits=settings.transport_limits(),
        factory=workers > 1,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_config=_logging(),
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    try:
        sock = config.bind_socket()
    except SystemExit:
        raise ServeError(f"cannot listen on {host}:{port} (is the port in use?)") from None
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
    print(
        f"healthkb: serving {kb.id} {kb.version} on http://{shown}:{bound[1]} "
        f"with {workers} worker(s)",
        file=sys.stderr,
        flush=True,
    )
    if workers > 1:
        # The workers share one listening socket, and the one awake first would accept a
        # whole burst of new connections (a proxy's or an EHR's keep-alive pool) and keep
        # them, the others idle. libuv (under uvloop) then accepts one at a time and
        # yields, so connections spread over the workers.
        os.environ.setdefault("UV_TCP_SINGLE_ACCEPT", "1")
        ReloadingSupervisor(config, [sock], reloader).run()
        return
    previous = signal.signal(signal.SIGHUP, lambda number, frame: reloader.start("SIGHUP"))
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        signal.signal(signal.SIGHUP, previous)
