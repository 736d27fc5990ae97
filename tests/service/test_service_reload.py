"""Hot reload: `healthkb serve` swaps in a new release, in every worker, without a restart.

Real services (uvicorn, two workers) on loopback under a bounded load: a reload loses no
request, every answer comes from one of the two releases, and every answer started
after the swap completed comes from the new one. A release that fails its checks
leaves the old one serving, and `/kb` and the log say why.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_service import problem_of

import healthkb
from healthkb.cli import main
from healthkb.service.app import create_app
from healthkb.service.reload import ReloadFolder
from healthkb.service.settings import Settings
from support.client_tokens import Keys, bearer, token
from support.kb_releases import copy_of_bundled_kb, install, released
from support.service_process import Server, running, running_at_known_url

PROFILE = {"symptoms": {"physical_discomfort": True}}
OLD, NEW = "0.1.2", "0.2.0"
SECONDS = 60


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """The folder the service serves: the bundled KB, version 0.1.2."""
    return copy_of_bundled_kb(tmp_path / "served")


@pytest.fixture
def next_release(tmp_path: Path) -> Path:
    """The bundled KB released again (0.2.0), in a folder of its own."""
    return released(copy_of_bundled_kb(tmp_path / "next"))


def reload_status(server: Server) -> dict[str, Any]:
    with server.client() as client:
        status: dict[str, Any] = client.get("/kb").json()["reload"]
        return status


def wait_for(check: Any, what: str) -> Any:
    deadline = time.monotonic() + SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never: {what}")


def every_worker_on(server: Server, generation: int, workers: int) -> bool:
    reports = reload_status(server)["workers"]
    return len(reports) == workers and all(r["generation"] == generation for r in reports)


class Load:
    """A few threads calling /evaluate without pause; each call noted with when it
    started, its status and the version that answered."""

    def __init__(self, server: Server, threads: int = 4) -> None:
        self.server = server
        self.calls: list[tuple[float, int, str, str, str]] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._call) for _ in range(threads)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _call(self) -> None:
        while not self.stop.is_set():
            # A new connection per call, so that both workers get calls.
            with httpx.Client(base_url=self.server.url, timeout=30) as client:
                started = time.monotonic()
                try:
                    response = client.post("/evaluate", json=PROFILE)
                except httpx.HTTPError as error:
                    self.calls.append((started, 0, str(error), "", ""))
                    continue
                body = response.json() if response.status_code == 200 else {}
                record = response.headers.get("healthkb-audit-record", "")
                self.calls.append(
                    (
                        started,
                        response.status_code,
                        body.get("kb_version", ""),
                        body.get("kb_digest", ""),
                        record,
                    )
                )


def test_a_reload_under_load_loses_no_request_and_every_later_answer_is_the_new_release(
    served: Path, next_release: Path, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    with running(served, "--workers", "2", "--audit-log", log) as server:
        wait_for(lambda: every_worker_on(server, 0, 2), "both workers report")
        pids = {r["pid"] for r in reload_status(server)["workers"]}
        with Load(server) as load:
            time.sleep(1.5)
            install(next_release, served)
            with server.client() as client:
                answer = client.post("/kb/reload")
            done = time.monotonic()
            time.sleep(1.5)
        assert answer.status_code == 200, answer.text
        reloaded = answer.json()
        assert reloaded["outcome"] == "reloaded"
        assert reloaded["published"]["generation"] == 1
        assert reloaded["published"]["version"] == NEW
        assert {(r["pid"], r["version"]) for r in reloaded["workers"]} == {(p, NEW) for p in pids}
        # The same two workers: swapped, not restarted.
        assert {r["pid"] for r in reload_status(server)["workers"]} == pids
    statuses = [status for _, status, _, _, _ in load.calls]
    assert statuses and set(statuses) == {200}, [c for c in load.calls if c[1] != 200][:3]
    versions = [version for _, _, version, _, _ in load.calls]
    assert set(versions) == {OLD, NEW}
    after = [version for started, _, version, _, _ in load.calls if started > done]
    assert after and set(after) == {NEW}
    # The audit log names the release that actually answered each call.
    audit = healthkb.AuditLog(log)
    assert audit.verify().ok
    logged = {record["record"]: record["kb"] for _, record in audit.records()}
    for _, _, version, digest, record in load.calls:
        assert (logged[record]["version"], logged[record]["digest"]) == (version, digest)


def test_a_request_in_flight_during_a_reload_is_answered_by_the_release_it_started_with(
    served: Path, next_release: Path
) -> None:
    body = json.dumps(PROFILE).encode("utf-8")
    head = (
        "POST /evaluate HTTP/1.1\r\nHost: service\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    with running(served) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as slow:
            slow.sendall(head + body[:5])  # the request has started; its body is on its way
            time.sleep(2)  # (the worker starts the request as soon as its head is read)
            install(next_release, served)
            with server.client() as client:
                assert client.post("/kb/reload").status_code == 200
                assert client.get("/health").json()["kb"]["version"] == NEW
            slow.sendall(body[5:])
            answer = b""
            while chunk := slow.recv(65536):
                answer += chunk
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 200 OK"
    assert json.loads(rest.partition(b"\r\n\r\n")[2])["kb_version"] == OLD


def test_sighup_swaps_the_release_in_every_worker_without_restarting_them(
    served: Path, next_release: Path
) -> None:
    with running(served, "--workers", "2") as server:
        wait_for(lambda: every_worker_on(server, 0, 2), "both workers report")
        pids = {r["pid"] for r in reload_status(server)["workers"]}
        for pid in pids:  # a hangup of the whole process group stops no worker
            os.kill(pid, signal.SIGHUP)
        install(next_release, served)
        server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: every_worker_on(server, 1, 2), "both workers swap")
        status = reload_status(server)
        assert {r["pid"] for r in status["workers"]} == pids
        assert status["published"]["requested_by"] == "SIGHUP"
        with server.client() as client:
            for _ in range(6):
                assert client.get("/health").json()["kb"]["version"] == NEW
        assert server.process.poll() is None
    logged = "".join(server.output)
    assert "served by every worker (2)" in logged and "restarting" not in logged


def test_a_broken_release_is_refused_and_the_old_one_keeps_serving(served: Path) -> None:
    with running(served) as server:
        kb_yaml = served / "kb" / "kb.yaml"
        original = kb_yaml.read_text(encoding="utf-8")
        kb_yaml.write_text(original + "broken: [\n", encoding="utf-8")
        with server.client() as client:
            problem = problem_of(client.post("/kb/reload"), 422)
            assert problem["type"].endswith(":reload-refused")
            assert problem["detail"].startswith("the knowledge base has 1 problem; still serving")
            assert [(p["file"], p["code"]) for p in problem["problems"]] == [
                ("kb/kb.yaml", "yaml-syntax")
            ]
            status = client.get("/kb").json()
            assert status["kb"]["version"] == OLD
            refused = status["reload"]["refused"]
            assert refused["requested_by"] == "POST /kb/reload"
            assert refused["problems"][0]["line"] == len(original.splitlines()) + 1
            assert client.post("/evaluate", json=PROFILE).json()["kb_version"] == OLD
    assert "reload asked by POST /kb/reload refused: the knowledge base has 1 problem: " in (
        "".join(server.output)
    )


def test_a_release_whose_signature_fails_is_refused_naming_the_file(
    served: Path, tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["audit", "keygen", "--out", str(keys)]) == 0
    released(served, "--sign", str(keys / "audit.key"))
    with running(served, "--require-signed", keys / "audit.pub") as server:
        rules = served / "rules" / "safety_and_habits.yaml"
        rules.write_text(rules.read_text(encoding="utf-8") + "# edited on the server\n")
        with server.client() as client:
            problem = problem_of(client.post("/kb/reload"), 422)
            assert "rules/safety_and_habits.yaml" in {p["file"] for p in problem["problems"]}
            status = client.get("/kb").json()
            assert status["kb"]["version"] == NEW
            assert status["reload"]["refused"]["problems"] == problem["problems"]


def test_without_authentication_beyond_loopback_reload_is_refused(
    kb: healthkb.KnowledgeBase,
) -> None:
    async def ask(app: Any) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await client.post("/kb/reload")

    with ReloadFolder.created(kb) as folder:
        settings = Settings(reload_folder=str(folder.path), reload_without_token=False)
        problem = problem_of(asyncio.run(ask(create_app(kb, settings))), 403)
    assert problem["type"].endswith(":reload-forbidden")
    assert "SIGHUP" in problem["detail"]


def test_an_app_not_started_by_serve_says_it_takes_no_reloads(
    kb: healthkb.KnowledgeBase,
) -> None:
    async def ask(app: Any) -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            return await client.post("/kb/reload"), await client.get("/kb")

    reload, info = asyncio.run(ask(create_app(kb, Settings(reload_without_token=True))))
    assert problem_of(reload, 409)["type"].endswith(":reload-unavailable")
    assert info.json()["reload"] is None


def test_watch_swaps_in_the_release_an_editor_saves(served: Path, next_release: Path) -> None:
    with running(served, "--watch") as server:
        kb_yaml = served / "kb" / "kb.yaml"
        kb_yaml.write_text(kb_yaml.read_text(encoding="utf-8") + "broken: [\n", encoding="utf-8")
        refused = wait_for(lambda: reload_status(server)["refused"], "the broken save is refused")
        assert (refused["requested_by"], refused["problems"][0]["code"]) == (
            "--watch",
            "yaml-syntax",
        )
        with server.client() as client:
            assert client.get("/health").json()["kb"]["version"] == OLD
        install(next_release, served)
        wait_for(lambda: every_worker_on(server, 1, 1), "the worker swaps")
        assert reload_status(server)["published"]["requested_by"] == "--watch"
        with server.client() as client:
            assert client.post("/evaluate", json=PROFILE).json()["kb_version"] == NEW


def test_reload_needs_the_admin_scope_when_authentication_is_on(
    served: Path, next_release: Path, tmp_path: Path
) -> None:
    keys = Keys()
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(keys.jwks()))
    arguments = ("--auth-jwks", jwks, "--auth-issuer", "https://ehr.example.org")
    with running_at_known_url(served, *arguments) as server:
        url = server.url + "/kb/reload"
        install(next_release, served)
        with server.client() as client:
            problem_of(client.post("/kb/reload"), 401)
            plain = client.post("/kb/reload", headers=bearer(token(keys, url)))
            assert problem_of(plain, 403)["type"].endswith(":insufficient-scope")
            admin = bearer(token(keys, url, scope="openid healthkb:admin"))
            answer = client.post("/kb/reload", headers=admin)
            assert answer.status_code == 200, answer.text
            assert answer.json()["published"]["version"] == NEW


def test_a_release_that_hashes_personal_data_is_refused_by_a_service_without_a_hash_key(
    served: Path, tmp_path: Path
) -> None:
    # serve refuses to start with such a KB; a reload must refuse it too, or every
    # answer after the swap could not be logged.
    with running(served, "--audit-log", tmp_path / "audit.jsonl") as server:
        with (served / "kb" / "kb.yaml").open("a", encoding="utf-8") as manifest:
            manifest.write("personal_data:\n  attributes:\n    diet.*: hash\n")
        with server.client() as client:
            problem = problem_of(client.post("/kb/reload"), 422)
            assert problem["type"].endswith(":reload-refused")
            assert "without a hash key" in problem["detail"], problem["detail"]
            assert client.get("/kb").json()["kb"]["version"] == OLD
            assert client.post("/evaluate", json=PROFILE).status_code == 200
