"""schemathesis against the running service's OpenAPI document.

Valid and invalid requests (its coverage, fuzzing and stateful phases) get no server
error, and every response — status, media type, headers, body — is one the document
describes. The checks that would hold the document to every semantic rule (a profile
whose facts are valid but whose prefetch holds no data: 412) are left out: the document
says those answers exist, it cannot list every reason for them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.service_process import Server, running

EXAMPLES = 15
"""Examples per operation and phase: enough to reach every error path, quick enough
for CI (about 10 s)."""
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("schemathesis") / "audit.jsonl"
    with running("--audit-log", log, "--max-body", "8192") as server:
        yield server


def test_the_api_answers_only_as_documented(service: Server, tmp_path: Path) -> None:
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert command is not None, "schemathesis is part of the test extra"
    finished = subprocess.run(
        [
            command,
            "run",
            service.url + "/openapi.json",
            "--checks",
            ",".join(CHECKS),
            "--mode",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "generated" in finished.stdout and " passed" in finished.stdout


def test_the_document_lists_every_error_status(service: Server) -> None:
    document = httpx.get(service.url + "/openapi.json").json()
    hook = document["paths"]["/cds-services/{service_id}"]["post"]["responses"]
    assert sorted(hook) == ["200", "400", "401", "404", "412", "413", "415", "422", "503"]
    for status, response in hook.items():
        if status != "200":
            assert list(response["content"]) == ["application/problem+json"]
