"""The service's transport limits and HTTP-level answers, on a real server (issue 17):
request heads bounded in size, field count and time, bodies in time, connections in
number; every answer a problem document; clients that vanish are one quiet log line."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_service import problem_of

from support.fuzzing import run_cli
from support.service_process import Server, running

PROFILE = {"symptoms": {"physical_discomfort": True}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("limits") / "audit.jsonl"
    arguments = ("--header-timeout", "1", "--body-timeout", "1", "--max-connections", "8")
    with running(*arguments, "--max-header-bytes", "8192", "--audit-log", log) as started:
        yield started


def connect(server: Server) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def answer_of(connection: socket.socket) -> tuple[int, dict[str, str], dict[str, object]]:
    """Status, headers and JSON body of the one answer on a connection the server closes."""
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *fields = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    return int(status_line.split()[1]), headers, json.loads(body)


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_huge_header_values_get_431_and_the_worker_does_not_grow(server: Server) -> None:
    before = resident_kib(server.process.pid)
    for _ in range(3):
        with connect(server) as connection:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
            try:
                for _ in range(100):  # up to 100 MB, unless the server closes first
                    connection.sendall(b"a" * 1024 * 1024)
            except OSError:
                pass  # closed by the server: what the test expects
            status, headers, document = answer_of(connection)
        assert status == 431
        assert headers["content-type"] == "application/problem+json"
        assert document["type"] == "urn:healthkb:problem:headers-too-large"
        assert "more than 8,192 bytes" in str(document["detail"])
    assert resident_kib(server.process.pid) - before < 20 * 1024


def test_too_many_header_fields_get_431(server: Server) -> None:
    with connect(server) as connection:
        fields = b"".join(b"X-F%d: 1\r\n" % i for i in range(101))
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
        status, _, document = answer_of(connection)
    assert status == 431
    assert "more than 100 header fields" in str(document["detail"])


def test_a_head_that_never_ends_gets_408_after_the_header_timeout(server: Server) -> None:
    started = time.monotonic()
    with connect(server) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        status, _, document = answer_of(connection)
    assert (status, document["type"]) == (408, "urn:healthkb:problem:request-timeout")
    assert 0.9 < time.monotonic() - started < 5


def test_an_idle_connection_is_closed_after_the_header_timeout(server: Server) -> None:
    with connect(server) as connection:
        status, _, _ = answer_of(connection)
    assert status == 408


def test_a_body_that_stops_coming_gets_408_after_the_body_timeout(server: Server) -> None:
    with connect(server) as connection:
        connection.sendall(
            b"POST /evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"symptoms": '
        )
        status, _, document = answer_of(connection)
    assert status == 408
    assert "its body did not arrive within 1 seconds" in str(document["detail"])


def test_connections_past_the_limit_get_503_at_once(server: Server) -> None:
    held = [connect(server) for _ in range(8)]
    try:
        time.sleep(0.2)
        with connect(server) as extra:
            status, headers, document = answer_of(extra)
        assert status == 503
        assert document["type"] == "urn:healthkb:problem:too-many-connections"
        assert headers["retry-after"] == "1"
    finally:
        for connection in held:
            connection.close()
    time.sleep(0.2)
    with server.client() as client:
        assert client.get("/health").status_code == 200


def test_a_request_that_is_not_http_gets_a_400_problem_document(server: Server) -> None:
    with connect(server) as connection:
        connection.sendall(b"HELLO THERE\r\n\r\n")
        status, headers, document = answer_of(connection)
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert document["type"] == "urn:healthkb:problem:bad-request"


def test_a_client_gone_mid_body_is_one_quiet_log_line(server: Server) -> None:
    seen = len(server.output)
    for _ in range(5):
        with connect(server) as connection:
            connection.sendall(
                b"POST /evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"symptoms": '
            )
            time.sleep(0.1)
    line = "disconnected while sending the body of POST /evaluate; nothing was answered"
    deadline = time.monotonic() + 20
    while "".join(server.output[seen:]).count(line) < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    with server.client() as client:
        assert client.get("/health").status_code == 200
    logged = "".join(server.output[seen:])
    assert logged.count(line) == 5
    # One line each, nothing else about them (other lines: earlier tests' timeouts).
    about_them = [text for text in logged.splitlines() if "/evaluate" in text or "Error" in text]
    assert len(about_them) == 5, logged
    # No 5xx answer in the access log (a status follows the quoted request line; a
    # client's port, 127.0.0.1:50060, may hold "500" too).
    assert "Traceback" not in logged and not re.search(r'" 5\d\d ', logged), logged


def test_a_gzip_encoded_body_is_415(server: Server) -> None:
    with server.client() as client:
        response = client.post(
            "/evaluate",
            content=b"\x1f\x8b\x08\x00",
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
    assert "`gzip`-encoded" in str(problem_of(response, 415)["detail"])


def test_a_key_given_twice_is_refused_with_its_place(server: Server) -> None:
    body = b'{"symptoms": {"physical_discomfort": false},\n "symptoms": {}}'
    with server.client() as client:
        response = client.post(
            "/evaluate", content=body, headers={"Content-Type": "application/json"}
        )
    (problem,) = problem_of(response, 400)["problems"]  # type: ignore[misc]
    assert problem["code"] == "duplicate-key"
    assert (problem["line"], problem["column"]) == (2, 2)


def test_nan_is_refused_by_the_service_as_by_batch(server: Server, tmp_path: Path) -> None:
    body = b'{"running": {"minutes_per_session": NaN}}'
    with server.client() as client:
        response = client.post(
            "/evaluate", content=body, headers={"Content-Type": "application/json"}
        )
    (problem,) = problem_of(response, 400)["problems"]  # type: ignore[misc]
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": 1, "profile": ' + body.decode() + "}\n")
    out = tmp_path / "out.jsonl"
    run_cli(["batch", str(lines), "--out", str(out)])
    (refused,) = json.loads(out.read_text())["error"]["problems"]
    assert problem["message"] == refused["message"] == "`NaN` is not a number JSON allows"


def test_batch_refuses_a_key_given_twice_as_the_service_does(tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    twice = '{"symptoms": {"physical_discomfort": false}, "symptoms": {}}'
    lines.write_text(f'{{"id": 1, "profile": {twice}}}\n{{"id": 2, "id": 3, "profile": {{}}}}\n')
    out = tmp_path / "out.jsonl"
    assert run_cli(["batch", str(lines), "--out", str(out)])[0] == 1
    answers = [json.loads(line)["error"] for line in out.read_text().splitlines()]
    assert [a["message"] for a in answers] == [
        "key `symptoms` appears twice in the same object",
        "key `id` appears twice in the same object",
    ]
    assert [a["problems"][0]["column"] for a in answers] == [67, 11]


def test_a_broken_audit_log_gets_503_without_naming_server_paths(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    with running("--audit-log", log) as started, started.client() as client:
        assert client.post("/evaluate", json=PROFILE).status_code == 200
        with log.open("ab") as damaged:
            damaged.write(b'{"torn')
        document = problem_of(client.post("/evaluate", json=PROFILE), 503)
    assert str(tmp_path) not in json.dumps(document)
    assert "audit.jsonl" in "".join(started.output)  # the operator's log says which file


def test_feedback_without_an_audit_log_says_it_was_not_kept(kb: object) -> None:
    feedback = {
        "feedback": [
            {
                "card": "00000000-0000-4000-8000-000000000000",
                "outcome": "overridden",
                "outcomeTimestamp": "2026-12-01T10:00:00Z",
            }
        ]
    }
    with running() as started, started.client() as client:
        service = client.get("/cds-services").json()["services"][0]["id"]
        answer = client.post(f"/cds-services/{service}/feedback", json=feedback)
    assert answer.status_code == 200, answer.text
    assert answer.json()["recorded"] == []
    assert "no audit log" in answer.json()["not_recorded"]


def test_head_health_is_answered(server: Server) -> None:
    with server.client() as client:
        response = client.head("/health")
    assert response.status_code == 200 and response.content == b""


def test_limit_options_must_be_positive() -> None:
    code, _, err = run_cli(["serve", "--header-timeout", "0"])
    assert code == 2 and "--header-timeout must be more than 0" in err
