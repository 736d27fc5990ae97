"""What held in the red-team pass, kept holding (issue 17): no body, however hostile,
gets a 5xx or anything but a problem document, on any endpoint that reads one; a
20 MB streamed body is refused without the worker growing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_service_limits import resident_kib

import healthkb
from support.service_process import Server, running

HOSTILE_BODIES: dict[str, bytes] = {
    "malformed": b'{"running": {,}}',
    "empty": b"",
    "not an object": b'["running"]',
    "a string": b'"running"',
    "null": b"null",
    "infinite number": b'{"running": {"sessions_per_week": 1e999}}',
    "5,000 digits": b'{"running": {"sessions_per_week": ' + b"9" * 5000 + b"}}",
    "30 digits": b'{"running": {"sessions_per_week": 123456789012345678901234567890}}',
    "wrong types": b'{"running": {"sessions_per_week": "three", "intensity": 7}}',
    "nested 100,000 deep": b"[" * 100_000 + b"]" * 100_000,
    "objects nested deep": b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    "not UTF-8": b'{"running": {"intensity": "\xff\xfe"}}',
    "byte order mark": b'\xef\xbb\xbf{"running": {}}',
    "lone surrogate": b'{"running": {"intensity": "\\ud800"}}',
    "NaN": b'{"running": {"sessions_per_week": NaN}}',
    "a key twice": b'{"running": {}, "running": {}}',
    "huge key": b'{"' + b"k" * 500_000 + b'": 1}',
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("hostile") / "audit.jsonl"
    with running("--audit-log", log) as started:
        yield started


def test_no_hostile_body_gets_a_5xx_on_any_endpoint(
    server: Server, kb: healthkb.KnowledgeBase
) -> None:
    paths = ["/evaluate", "/explain", f"/cds-services/{kb.id}", f"/cds-services/{kb.id}/feedback"]
    with server.client() as client:
        for path in paths:
            for name, body in HOSTILE_BODIES.items():
                response = client.post(
                    path, content=body, headers={"Content-Type": "application/json"}
                )
                assert 400 <= response.status_code < 500, (path, name, response.text[:300])
                assert response.headers["content-type"] == "application/problem+json", name
    assert "Traceback" not in "".join(server.output)


def test_a_20_mb_chunked_body_is_413_and_the_worker_does_not_grow(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"running": {"intensity": "'
        for _ in range(20 * 16):
            yield b"x" * 64 * 1024
        yield b'"}}'

    before = resident_kib(server.process.pid)
    with server.client() as client:
        for _ in range(3):
            response = client.post(
                "/evaluate", content=chunks(), headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 413
    assert resident_kib(server.process.pid) - before < 20 * 1024
