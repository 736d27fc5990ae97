"""Fetching a hook's data from the EHR's FHIR server when the prefetch lacks it.

CDS Hooks 2.0: a client may leave out a prefetch key it chose not to (or could not)
fill; when it sends `fhirServer` and `fhirAuthorization`, the service may fetch the
data itself, and when it cannot get the data it needs, it SHALL answer 412
Precondition Failed. This client fetches exactly what the service's prefetch templates
name (no other query), with the call's bearer token, and follows a search's `next`
links on the same server, within limits: a timeout per request, a number of pages and
a total size, so a slow or huge FHIR server cannot hold a worker. Only https, unless
the service was started with `--allow-http-fhir` (for tests on loopback).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ..errors import HealthKBError

FHIR_JSON = "application/fhir+json"
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z][A-Za-z0-9]*)\s*\}\}")


class FhirFetchError(HealthKBError):
    """The FHIR server could not give the data (answered with 412)."""


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 5.0
    """Seconds for each request (connecting, and between bytes)."""
    max_pages: int = 20
    """Pages of one search followed through `next` links."""
    max_bytes: int = 4 * 1024 * 1024
    """Bytes of all the pages of one call together."""


@dataclass(frozen=True)
class FhirAccess:
    """Where and how to fetch: the call's `fhirServer` and its access token."""

    server: str
    token: str


def access_of(server: Any, authorization: Any, allow_http: bool) -> FhirAccess:
    """The call's FHIR server and bearer token, checked (FhirFetchError when unusable)."""
    if not isinstance(server, str) or not server:
        raise FhirFetchError("the request carries `fhirAuthorization` but no `fhirServer`")
    parts = urlsplit(server)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.netloc:
        raise FhirFetchError(
            f"`fhirServer` {server!r} is not an https URL (this service fetches FHIR data "
            "over https only; --allow-http-fhir allows http, for tests)"
        )
    if not isinstance(authorization, dict):
        raise FhirFetchError("`fhirAuthorization` must be an object")
    token, kind = authorization.get("access_token"), authorization.get("token_type")
    if not isinstance(token, str) or not token.strip():
        raise FhirFetchError("`fhirAuthorization.access_token` is missing")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise FhirFetchError("`fhirAuthorization.token_type` must be `Bearer`")
    return FhirAccess(server.rstrip("/"), token)


def expanded(template: str, context: dict[str, Any]) -> str:
    """A prefetch template with its `{{context.X}}` tokens replaced (URL-encoded)."""

    def value(match: re.Match[str]) -> str:
        found = context.get(match.group(1))
        if not isinstance(found, str | int) or isinstance(found, bool):
            raise FhirFetchError(f"the hook's context has no `{match.group(1)}` to fetch with")
        return quote(str(found), safe="")

    return _TOKEN.sub(value, template)


async def fetch(
    client: httpx.AsyncClient,
    access: FhirAccess,
    queries: dict[str, str],
    limits: FetchLimits,
) -> dict[str, Any]:
    """Each query's answer (a Bundle of every page, or the one resource read), by key."""
    budget = [limits.max_bytes]
    found: dict[str, Any] = {}
    for key, query in queries.items():
        found[key] = await _search(client, access, f"{access.server}/{query}", limits, budget)
    return found


async def _search(
    client: httpx.AsyncClient, access: FhirAccess, url: str, limits: FetchLimits, budget: list[int]
) -> Any:
    first = await _get(client, access, url, limits, budget)
    if not isinstance(first, dict) or first.get("resourceType") != "Bundle":
        return first
    entries = list(first.get("entry") or [])
    page, pages = first, 1
    while (following := _next_link(page)) is not None:
        if not following.startswith(access.server + "/"):
            raise FhirFetchError(
                f"the FHIR server's `next` link {following!r} leaves {access.server}; "
                "the access token is not sent elsewhere"
            )
        pages += 1
        if pages > limits.max_pages:
            raise FhirFetchError(f"the search {url} has more than {limits.max_pages} pages")
        page = await _get(client, access, following, limits, budget)
        if not isinstance(page, dict) or page.get("resourceType") != "Bundle":
            raise FhirFetchError(f"the page {following} is not a Bundle")
        entries += page.get("entry") or []
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def _next_link(bundle: dict[str, Any]) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None


async def _get(
    client: httpx.AsyncClient, access: FhirAccess, url: str, limits: FetchLimits, budget: list[int]
) -> Any:
    headers = {"Authorization": f"Bearer {access.token}", "Accept": FHIR_JSON}
    try:
        async with client.stream(
            "GET", url, headers=headers, timeout=limits.timeout, follow_redirects=False
        ) as answer:
            if answer.status_code != 200:
                raise FhirFetchError(f"the FHIR server answered {answer.status_code} to GET {url}")
            body = bytearray()
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > budget[0]:
                    raise FhirFetchError(
                        f"the FHIR server's answers pass {limits.max_bytes:,} bytes"
                    )
            budget[0] -= len(body)
    except httpx.TimeoutException:
        raise FhirFetchError(
            f"the FHIR server did not answer GET {url} within {limits.timeout:g} s"
        ) from None
    except httpx.HTTPError as error:
        raise FhirFetchError(f"the FHIR server could not be reached ({error})") from None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise FhirFetchError(f"the FHIR server's answer to GET {url} is not JSON") from None
