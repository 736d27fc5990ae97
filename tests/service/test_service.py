"""The HTTP service, started for real (`healthkb serve` on a free loopback port).

Each endpoint answers what the library answers for the same input, byte for byte
where the command line prints JSON; every error is an RFC 9457 problem document with
the same located problems as the command line.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

import healthkb
from healthkb.cli import main
from healthkb.render.result import result_json
from support.service_process import Server, running

EXAMPLES = sorted(Path("kb/examples").glob("*.yaml"))
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    with running("--max-body", "65536", "--audit-log", log) as started:
        yield started


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as opened:
        yield opened


def problem_of(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    document: dict[str, object] = response.json()
    assert document["status"] == status
    assert str(document["type"]).startswith("urn:healthkb:problem:")
    return document


def test_health_names_the_kb(client: httpx.Client, kb: healthkb.KnowledgeBase) -> None:
    answer = client.get("/health").json()
    assert answer["status"] == "ok"
    assert answer["kb"] == {"id": kb.id, "version": kb.version, "digest": kb.digest}


def test_kb_lists_conclusions_and_the_profile_schema(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    answer = client.get("/kb").json()
    assert [c["id"] for c in answer["conclusions"]] == list(kb.content.conclusions)
    assert (
        json.loads(Path("kb/schemas/profile.schema.json").read_text()) == answer["profile_schema"]
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_evaluate_answers_the_json_of_the_command_line(
    client: httpx.Client, kb: healthkb.KnowledgeBase, example: Path
) -> None:
    profile = yaml.safe_load(example.read_text())
    response = client.post("/evaluate", json=profile)
    assert response.status_code == 200
    result = kb.evaluate(profile)
    record = response.headers["healthkb-audit-record"]
    assert response.json() == {**json.loads(result_json(result)), "record": record}
    assert response.text == result_json(result, compact=True, record=record)


def test_explain_answers_the_proof_and_why_not(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    profile = yaml.safe_load(Path("kb/examples/discomfort.yaml").read_text())
    result = kb.evaluate(profile)
    reached = result.conclusion_ids[0]
    asked = client.post("/explain", json={"profile": profile, "conclusion": reached})
    assert asked.json() == result.explain(reached).to_dict()
    missing = next(c for c in kb.content.conclusions if c not in result.conclusion_ids)
    why_not = client.post("/explain", json={"profile": profile, "conclusion": missing})
    assert why_not.json() == result.why_not(missing).to_dict()
    asked_why_not = {"profile": profile, "conclusion": reached, "why_not": True}
    assert client.post("/explain", json=asked_why_not).json() == result.why_not(reached).to_dict()


def test_questionnaire_endpoint_is_the_command_lines(
    client: httpx.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    response = client.get("/fhir/Questionnaire")
    assert response.headers["content-type"] == "application/fhir+json"
    assert main(["fhir", "questionnaire"]) == 0
    assert response.json() == json.loads(capsys.readouterr().out)


# --- errors --------------------------------------------------------------------------


def test_invalid_profile_names_the_field_like_the_command_line(client: httpx.Client) -> None:
    document = problem_of(client.post("/evaluate", json={"running": {"intensity": "hgh"}}), 422)
    assert document["type"] == "urn:healthkb:problem:invalid-profile"
    assert document["problems"] == [
        {
            "file": "profile",
            "line": 0,
            "column": 0,
            "code": "invalid-value",
            "message": "`running.intensity`: 'hgh' is not allowed",
            "hint": "allowed: one of low, moderate, high",
        }
    ]


def test_unknown_fact_gets_a_did_you_mean(client: httpx.Client) -> None:
    document = problem_of(client.post("/evaluate", json={"runing": {}}), 422)
    assert document["problems"][0]["hint"] == "did you mean `running`?"  # type: ignore[index]


def test_malformed_json_is_located(client: httpx.Client) -> None:
    response = client.post(
        "/evaluate", content=b'{\n  "running": {,}\n}', headers={"content-type": "application/json"}
    )
    problem = problem_of(response, 400)["problems"][0]  # type: ignore[index]
    assert (problem["line"], problem["column"], problem["code"]) == (2, 15, "invalid-json")


def test_a_body_that_is_not_json_is_415(client: httpx.Client) -> None:
    document = problem_of(client.post("/evaluate", content=b"running: {}"), 415)
    assert "application/json" in str(document["detail"])
    text = client.post("/evaluate", content=b"{}", headers={"content-type": "text/plain"})
    problem_of(text, 415)


def test_deeply_nested_json_is_refused(client: httpx.Client) -> None:
    for depth in (100, 30_000):  # the second is past what Python itself parses
        body = "[" * depth + "]" * depth
        response = client.post(
            "/evaluate", content=body, headers={"content-type": "application/json"}
        )
        assert problem_of(response, 400)["type"] == "urn:healthkb:problem:too-deeply-nested"


def test_over_max_body_is_413_without_reading_the_rest(server: Server) -> None:
    """The client declares 10 MB and sends only the first kilobyte: the service answers
    413 at once (it waits for nothing), and closes the connection."""
    address = urlsplit(server.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        head = (
            "POST /evaluate HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
        )
        sock.sendall(head.encode() + b"[" + b" " * 1023)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/problem+json" in headers.lower()
    assert json.loads(body)["type"] == "urn:healthkb:problem:body-too-large"


def test_a_streamed_body_over_max_body_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"running": {"intensity": "'
        for _ in range(100):
            yield b"x" * 1024
        yield b'"}}'

    response = client.post(
        "/evaluate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert problem_of(response, 413)["detail"].startswith("the body may be at most 65,536 bytes")  # type: ignore[union-attr]


def test_unknown_conclusion_is_404_with_a_hint(client: httpx.Client) -> None:
    response = client.post("/explain", json={"profile": {}, "conclusion": "stop_and_rst"})
    assert "did you mean `stop_and_rest`?" in str(problem_of(response, 404)["detail"])


def test_an_explain_request_without_conclusion_is_422(client: httpx.Client) -> None:
    document = problem_of(client.post("/explain", json={"profile": {}}), 422)
    assert document["problems"][0]["message"].startswith("`conclusion`: ")  # type: ignore[index]


def test_unknown_path_and_method_are_problems(client: httpx.Client) -> None:
    problem_of(client.get("/nowhere"), 404)
    problem_of(client.get("/evaluate"), 405)


def test_serve_and_the_service_agree_on_the_default_body_limit() -> None:
    from healthkb.cli.serve import DEFAULT_MAX_BODY as shown_in_help
    from healthkb.service.body import DEFAULT_MAX_BODY as enforced

    assert shown_in_help == enforced == 1024 * 1024
