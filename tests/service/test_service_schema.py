"""schemathesis against the running service's OpenAPI document.

Valid and invalid requests (its coverage, fuzzing and stateful phases) get no server
error, and every response — status, media type, headers, body — is one the document
describes; with `--checks all`, schema-valid requests are accepted and schema-invalid
ones refused. Where a rule cannot be written in JSON Schema, schemathesis.toml (below)
names the statuses an operation may still answer a schema-valid request with, and why.
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

CONFIG = """\
# A body over the service's --max-body (8 KiB here) is refused whatever its schema says.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "413"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "413", "415", "422"]

# CDS Hooks: a call whose data is neither in its prefetch nor fetchable is 412 (the
# specification's answer); FHIR resources in a prefetch are checked against the KB
# (a Bundle's entries, answers that fit their questions, the patient): 422.
[[operations]]
include-name = "POST /cds-services/{service_id}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "404", "412", "413", "422"]

# A card's link carries a profile (base64url JSON) that only the KB can check.
[[operations]]
include-name = "GET /explanation"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404", "422"]
"""
EXAMPLES = 15
"""Examples per operation and phase: enough to reach every error path, quick enough
for CI (about 10 s)."""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("schemathesis") / "audit.jsonl"
    with running("--audit-log", log, "--max-body", "8192") as server:
        yield server


def test_the_api_answers_only_as_documented(service: Server, tmp_path: Path) -> None:
    (tmp_path / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
    command = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert command is not None, "schemathesis is part of the test extra"
    finished = subprocess.run(
        [
            command,
            "run",
            service.url + "/openapi.json",
            "--checks",
            "all",
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
