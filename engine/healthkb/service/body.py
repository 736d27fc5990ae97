"""Reading a request's JSON body within limits: size, media type, nesting.

The size limit is enforced before anything is parsed: a declared `Content-Length` over
the limit is refused (413) without reading a byte of the body, and a body streamed
without one is refused as soon as it passes the limit, so a client cannot make a worker
hold more than `max_body` bytes (its head is bounded apart, see transport.py).
Deeply nested JSON (`[[[[...]]]]`) is refused with a 400 before any model sees it, and
so are a key given twice and `NaN` or `Infinity`, as the command line refuses them.
A compressed body (`Content-Encoding: gzip`) is a 415: the service reads JSON only. A
client that disconnects before its body has arrived is one line in the log.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ..errors import Problem
from ..files.json_reader import StrictJSONError, strict_loads
from .problems import ServiceProblem

log = logging.getLogger("healthkb.service")

DEFAULT_MAX_BODY = 1024 * 1024
MAX_DEPTH = 64
"""How deeply a body may nest (a profile nests 3 deep; a CDS Hooks request with FHIR
Bundles about 12)."""

BODY = "request body"


@dataclass(frozen=True)
class BodyLimits:
    max_body: int = DEFAULT_MAX_BODY
    max_depth: int = MAX_DEPTH


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def read_json(request: Request, limits: BodyLimits) -> Any:
    """The request's body as JSON, or a ServiceProblem (400, 413 or 415) saying why not."""
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        got = f"`{content_type}`" if content_type else "no Content-Type"
        raise ServiceProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"the body must be JSON (Content-Type: application/json); got {got}",
        )
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        raise ServiceProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"the body is `{encoding}`-encoded; send it uncompressed (no Content-Encoding)",
        )
    try:
        data = await _read_limited(request, limits.max_body)
    except ClientDisconnect:
        where = f"{request.client.host}:{request.client.port}" if request.client else "a client"
        log.info(
            "%s disconnected while sending the body of %s %s; nothing was answered",
            where,
            request.method,
            request.url.path,
        )
        raise ServiceProblem(
            400, "client-disconnected", "Client disconnected", "the body did not arrive"
        ) from None
    return parse_json(data, limits.max_depth)


async def _read_limited(request: Request, max_body: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ServiceProblem(
                400, "bad-request", "Bad request", f"Content-Length `{declared}` is not a number"
            )
        if int(declared) > max_body:
            raise _too_large(max_body, f"{int(declared):,} bytes are declared")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise _too_large(max_body, "more were sent")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_body: int, what: str) -> ServiceProblem:
    return ServiceProblem(
        413,
        "body-too-large",
        "Request body too large",
        f"the body may be at most {max_body:,} bytes ({what}); the service was started "
        "with this --max-body",
        headers={"Connection": "close"},
    )


def parse_json(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """JSON from bytes; a 400 ServiceProblem naming the line and column of a syntax error."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        problem = Problem(BODY, 0, 0, "invalid-json", f"not UTF-8 at byte {error.start}")
        raise _invalid(problem) from None
    try:
        value = strict_loads(text)
    except StrictJSONError as refused:  # a key given twice, NaN, Infinity: as the CLI does
        line, column = refused.place(text)
        problem = Problem(BODY, line, column, refused.code, refused.message, refused.hint)
        raise _invalid(problem) from None
    except json.JSONDecodeError as error:
        problem = Problem(BODY, error.lineno, error.colno, "invalid-json", error.msg)
        raise _invalid(problem) from None
    except RecursionError:
        raise _too_deep(max_depth) from None
    except ValueError:
        # Python refuses integers of more than 4,300 digits.
        problem = Problem(BODY, 0, 0, "invalid-json", "a number is too long to read")
        raise _invalid(problem) from None
    if _depth_exceeds(value, max_depth):
        raise _too_deep(max_depth)
    return value


def _invalid(problem: Problem) -> ServiceProblem:
    return ServiceProblem(
        400, "invalid-json", "Invalid JSON", "the body is not valid JSON", [problem]
    )


def _too_deep(max_depth: int) -> ServiceProblem:
    return ServiceProblem(
        400,
        "too-deeply-nested",
        "JSON nested too deeply",
        f"the body nests objects and arrays more than {max_depth} deep; no request needs that",
    )


def _depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether `value` nests deeper than `max_depth` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item  # type: ignore[assignment]
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
