"""HTTP/1.1 on uvicorn's httptools parser, with the limits a public service needs.

uvicorn bounds neither a request's head nor the time a client takes to send it: three
100 MB header values grew a worker by 330 MB, and slow clients held connections open
for ever. `GuardedProtocol` is uvicorn's httptools protocol with, per worker:

- a head (request line and headers) of at most `max_header_bytes` bytes and
  `max_headers` fields: past either, 431 and the connection closed (a head is counted
  as it arrives, so a worker holds at most the limit plus one read of it);
- `header_timeout` seconds for a whole head to arrive, from the connection's start or
  its first byte after the previous answer (408 if not), and `body_timeout` seconds for
  the body after it (408 too, or the connection closed once an answer has started);
- at most `max_connections` open connections: one more is answered 503 at once;
- every error the protocol itself answers (a malformed request included, which
  uvicorn answers in plain text) is an RFC 9457 problem document.

What a reverse proxy must still do in front of it, docs/service.md says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from dataclasses import dataclass
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from .problems import TYPE_PREFIX

log = logging.getLogger("healthkb.service")

DEFAULT_MAX_HEADER_BYTES = 32 * 1024
DEFAULT_MAX_HEADERS = 100
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 256


@dataclass(frozen=True)
class TransportLimits:
    """What one worker accepts of its clients' connections (see the module docstring)."""

    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_headers: int = DEFAULT_MAX_HEADERS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS


class ServiceConfig(uvicorn.Config):
    """uvicorn's configuration with the transport limits; it travels to every worker
    process with the rest of the configuration."""

    def __init__(self, app: Any, *, limits: TransportLimits, **options: Any) -> None:
        super().__init__(app, http=PROTOCOL, **options)
        self.transport_limits = limits


PROTOCOL = "healthkb.service.transport:GuardedProtocol"


class _HeadTooLarge(Exception):
    """Raised from a parser callback: the head passed a limit (its text says which)."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on heads, times and connections."""

    def __init__(self, config: uvicorn.Config, *args: Any, **options: Any) -> None:
        super().__init__(config, *args, **options)
        self.limits: TransportLimits = getattr(config, "transport_limits", TransportLimits())
        self._in_head = True
        self._head_bytes = 0
        self._head_fields = 0
        self._refusal: tuple[int, str, str] | None = None
        self._deadline: asyncio.TimerHandle | None = None

    # --- connections -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._answer(
                503,
                "too-many-connections",
                f"this worker has {self.limits.max_connections:,} connections open, its "
                "most (--max-connections); try again shortly",
                retry_after=True,
            )
            return
        self._arm(self.limits.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # --- the head ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        in_head_before = self._in_head
        super().data_received(data)  # a refusal raised in a callback comes back as a 400
        if in_head_before and self._in_head and not self.transport.is_closing():
            # No callback saw the end of the head in this read: all of it is head.
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse_head(f"more than {self.limits.max_header_bytes:,} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._head_fields = True, 0, 0
        if self._deadline is None:
            self._arm(self.limits.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._count(len(url), fields=0)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4, fields=1)
        super().on_header(name, value)

    def _count(self, size: int, fields: int) -> None:
        self._head_bytes += size
        self._head_fields += fields
        if self._head_fields > self.limits.max_headers:
            raise _HeadTooLarge(f"more than {self.limits.max_headers} header fields")
        if self._head_bytes > self.limits.max_header_bytes:
            raise _HeadTooLarge(f"more than {self.limits.max_header_bytes:,} bytes")

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """What uvicorn answers in plain text, as a problem document: a request it could
        not parse, or a head past a limit (a 431)."""
        error = sys.exception()  # uvicorn calls this while handling the parser's error
        if isinstance(error, httptools.HttpParserCallbackError) and isinstance(
            error.__context__, _HeadTooLarge
        ):
            self._refuse_head(str(error.__context__))
            return
        self._answer(400, "bad-request", "the request is not valid HTTP/1.1")

    def _refuse_head(self, why: str) -> None:
        detail = f"the request's head has {why}; the service was started with this limit"
        self._answer(431, "headers-too-large", detail)

    # --- time --------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        reading_body = not self._in_head and cycle is not None and cycle.more_body
        if not self._in_head and not reading_body:
            return  # the request is read; the answer takes its own time
        what = "its body" if reading_body else "the request's head"
        seconds = self.limits.body_timeout if reading_body else self.limits.header_timeout
        log.info(
            "%s: %s did not arrive within %g s; connection closed", self._peer(), what, seconds
        )
        if cycle is not None and not self._in_head:
            cycle.disconnected = True  # the app's reads end; anything it sends is dropped
            cycle.message_event.set()
            if cycle.response_started:
                self.transport.close()
                return
        self._answer(408, "request-timeout", f"{what} did not arrive within {seconds:g} seconds")

    # --- answering ---------------------------------------------------------------------

    def _answer(self, status: int, code: str, detail: str, *, retry_after: bool = False) -> None:
        """Write a problem document and close the connection."""
        self._disarm()
        body = json.dumps(
            {
                "type": TYPE_PREFIX + code,
                "title": STATUS_LINE[status].decode("ascii").split(" ", 2)[2].strip(),
                "status": status,
                "detail": detail,
                "instance": "",
                "problems": [],
            },
            sort_keys=True,
        ).encode("utf-8")
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/problem+json\r\n")
        head.append(b"content-length: " + str(len(body)).encode("ascii") + b"\r\n")
        if retry_after:
            head.append(b"retry-after: 1\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()

    def _peer(self) -> str:
        return "%s:%d" % self.client if self.client else "a client"  # noqa: UP031
