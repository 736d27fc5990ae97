"""POST /what-if, started for real: the command line's answer, and problems for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

import healthkb
from healthkb.cli import main
from support.service_process import Server, running

FAILS = Path("kb/examples/fails_conditions.yaml")
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running() as started:
        yield started


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as opened:
        yield opened


def test_what_if_answers_what_the_command_line_prints(client: httpx.Client, capsys) -> None:
    profile = yaml.safe_load(FAILS.read_text(encoding="utf-8"))
    asked = {
        "profile": profile,
        "conclusion": "thigh_buttock_fat_may_not_decrease",
        "avoid": True,
        "alternatives": 2,
    }
    response = client.post("/what-if", json=asked)
    assert response.status_code == 200, response.text
    argv = ["explain", str(FAILS), "--conclusion", "thigh_buttock_fat_may_not_decrease"]
    assert main([*argv, "--what-if", "--avoid", "--alternatives", "2", "--format", "json"]) == 0
    assert response.json() == json.loads(capsys.readouterr().out)
    assert [len(p["changes"]) for p in response.json()["proposals"]] == [1, 1]


def test_what_if_with_no_way_there_answers_no_proposal(client: httpx.Client) -> None:
    response = client.post("/what-if", json={"profile": {}, "conclusion": "stop_and_rest"})
    assert response.json() == {"conclusion": "stop_and_rest", "avoid": False, "proposals": []}


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    document: dict[str, object] = response.json()
    return document


def test_what_if_of_an_unknown_conclusion_is_404_with_a_hint(client: httpx.Client) -> None:
    response = client.post("/what-if", json={"profile": {}, "conclusion": "stop_rest"})
    assert "did you mean `stop_and_rest`?" in str(problem(response, 404)["detail"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"profile": {}}, "`conclusion`"),
        ({"profile": {}, "conclusion": "stop_and_rest", "alternatives": 0}, "`alternatives`"),
        ({"profile": {}, "conclusion": "stop_and_rest", "alternatives": 21}, "`alternatives`"),
        ({"profile": {}, "conclusion": "stop_and_rest", "avoid": "yes"}, "`avoid`"),
        ({"profile": {}, "conclusion": "stop_and_rest", "cost": 1}, "`cost`"),
    ],
)
def test_a_what_if_request_that_does_not_fit_is_422(
    client: httpx.Client, body: dict[str, object], field: str
) -> None:
    document = problem(client.post("/what-if", json=body), 422)
    assert field in json.dumps(document["problems"])


def test_what_if_of_an_invalid_profile_is_422_like_the_command_line(client: httpx.Client) -> None:
    body = {"profile": {"running": {"sessions_per_week": 40}}, "conclusion": "stop_and_rest"}
    document = problem(client.post("/what-if", json=body), 422)
    assert str(document["type"]).endswith("invalid-profile")
    assert "`running.sessions_per_week`: 40 is not allowed" in json.dumps(document["problems"])


def test_the_openapi_document_describes_what_if(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/what-if"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WhatIfRequest"
    }
    assert sorted(operation["responses"]) == ["200", "400", "401", "404", "413", "415", "422"]
    schemas = document["components"]["schemas"]
    request = schemas["WhatIfRequest"]
    assert request["properties"]["profile"] == {"$ref": "#/components/schemas/Profile"}
    assert request["required"] == ["profile", "conclusion"]
    change = schemas["WhatIfChange"]
    assert sorted(change["properties"]) == ["attribute", "from", "to"]
    assert sorted(schemas["WhatIfProposal"]["properties"]) == [
        "changes",
        "cost",
        "loses",
        "passages",
        "reaches",
    ]


def test_the_library_gives_the_same_answer(
    kb: healthkb.KnowledgeBase, client: httpx.Client
) -> None:
    profile = {"running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 30}}
    asked = {"profile": profile, "conclusion": "thigh_buttock_fat_may_decrease"}
    expected = kb.evaluate(profile).what_if("thigh_buttock_fat_may_decrease").to_dict()
    assert client.post("/what-if", json=asked).json() == expected
