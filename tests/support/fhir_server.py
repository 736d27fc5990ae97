"""A small FHIR server on a free loopback port, for the tests of fetching from the EHR.

It answers FHIR searches (`Observation?...`, `QuestionnaireResponse?...`) with the
searchset Bundles a test gives it, split into pages of `page_size` entries linked by
`next`, and records every request (path and query, Authorization header). Under
`/broken/` it answers 500 with an OperationOutcome; under `/slow/` it answers after
`delay` seconds.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FhirServer:
    url: str
    """The base URL (`http://127.0.0.1:PORT/fhir`)."""
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """What a search finds, by resource type."""
    page_size: int = 2
    delay: float = 0.0
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path with query, Authorization header) of every request, in order."""

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(path)
        kind = parts.path.rsplit("/", 1)[-1]
        if parts.path.startswith("/broken/"):
            return 500, {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "exception", "diagnostics": "down"}],
            }
        if parts.path.startswith("/slow/"):
            time.sleep(self.delay)
        query = parse_qs(parts.query)
        page = int(query.pop("_page", ["1"])[0])
        found = self.resources.get(kind, [])
        chosen = found[(page - 1) * self.page_size : page * self.page_size]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in chosen],
        }
        if page * self.page_size < len(found):
            rest = "&".join(f"{k}={v[0]}" for k, v in sorted(query.items()))
            base = self.url.rsplit("/fhir", 1)[0]
            following = f"{base}{parts.path}?{rest}&_page={page + 1}"
            bundle["link"] = [{"relation": "next", "url": following}]
        return 200, bundle


@contextmanager
def fhir_server(**options: Any) -> Iterator[FhirServer]:
    """A FHIR server on 127.0.0.1, serving until the block ends."""
    holder: list[FhirServer] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server = holder[0]
            server.requests.append((self.path, self.headers.get("Authorization")))
            status, body = server.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(FhirServer(f"http://127.0.0.1:{httpd.server_address[1]}/fhir", **options))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
