"""A real `healthkb serve` process on a free loopback port, for the service's tests.

The service binds port 0 and prints the port the system chose; the tests talk to it
over HTTP (httpx) and stop it with SIGTERM, as an operator would.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_SERVING = re.compile(r"healthkb: serving .* on (http://\S+) with")
STARTUP_SECONDS = 60


@dataclass
class Server:
    url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)  # type: ignore[arg-type]


@contextmanager
def running(*arguments: str | Path, cwd: Path | None = None) -> Iterator[Server]:
    """`healthkb serve --port 0 ARGUMENTS...`, up and answering /health, stopped after."""
    command = [sys.executable, "-m", "healthkb", "serve", "--port", "0", "--no-access-log"]
    command += [str(a) for a in arguments]
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            output.append(line)
            match = _SERVING.search(line)
            if match and not url:
                url.append(match.group(1))
                found.set()
        found.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        if not found.wait(STARTUP_SECONDS) or not url:
            raise RuntimeError("the service did not start:\n" + "".join(output))
        server = Server(url[0], process, output)
        _wait_until_healthy(server)
        yield server
    finally:
        stop(process)


def free_port() -> int:
    """A loopback port free now (for a service that must know its URL before it starts,
    as `--public-url` asks; another process could take it in between, rarely)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_at_known_url(*arguments: str | Path, cwd: Path | None = None) -> Iterator[Server]:
    """`running(...)` on a port chosen first, with `--public-url` its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running("--port", str(port), "--public-url", url, *arguments, cwd=cwd) as server:
        assert server.url == url, server.url
        yield server


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("the service exited:\n" + "".join(server.output))
        try:
            if httpx.get(server.url + "/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the service never answered /health:\n" + "".join(server.output))


def stop(process: subprocess.Popen[str]) -> None:
    """Stop the service as Ctrl-C does (it finishes the requests in flight, and exits)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
