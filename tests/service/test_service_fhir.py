"""The CDS Hooks service as an EHR integrator checks it: data fetched from a real FHIR
server on loopback, the right data chosen, no JSON null, cards with links, feedback
held to the specification, CORS for browser clients."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from test_service import problem_of

import healthkb
from healthkb.results.cds_cards import OVERRIDE_REASONS
from healthkb.service.fhir_client import FhirFetchError, access_of
from support.fhir_data import (
    DAYS_PER_WEEK,
    MINUTES_PER_DAY,
    PATIENT,
    bundle,
    hook_request,
    observation,
    questionnaire_response,
)
from support.fhir_server import FhirServer, fhir_server
from support.service_process import Server, running

PUBLIC_URL = "https://cds.example.org/healthkb"
SANDBOX = "https://sandbox.cds-hooks.org"
TOKEN = {
    "access_token": "some-opaque-fhir-access-token",
    "token_type": "Bearer",
    "expires_in": 300,
    "scope": "patient/Observation.read patient/QuestionnaireResponse.read",
    "subject": "healthkb",
}
ANSWERS = {
    "running": {"intensity": "high"},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs", "buttocks"]},
}


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    # No audit log: card uuids must still differ from answer to answer.
    with running(
        "--allow-http-fhir", "--public-url", PUBLIC_URL, "--cors-origin", SANDBOX
    ) as started:
        yield started


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as opened:
        yield opened


@pytest.fixture()
def fhir() -> Iterator[FhirServer]:
    with fhir_server() as started:
        yield started


def hook_url(kb: healthkb.KnowledgeBase) -> str:
    return f"/cds-services/{kb.id}"


def conclusions_of(cards: dict[str, Any]) -> list[str]:
    return [card["extension"]["healthkb"]["conclusion"] for card in cards["cards"]]


def nulls_in(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path or "(the answer)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls_in(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls_in(v, f"{path}[{i}]")]
    return []


def test_the_newer_observation_wins_across_time_zones(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    newer = observation(DAYS_PER_WEEK, 5, "d/wk", when="2026-12-01T23:00:00Z")
    older = observation(DAYS_PER_WEEK, 2, "d/wk", when="2026-12-02T01:00:00+05:00")
    answers = bundle(questionnaire_response(kb, ANSWERS))
    request = hook_request(
        {"observations": bundle(newer, older), "questionnaireResponses": answers}
    )
    cards = client.post(hook_url(kb), json=request)
    assert cards.status_code == 200, cards.text
    intake = cards.json()["cards"][0]["extension"]["healthkb"]["intake"]
    by_attribute = {source["attribute"]: source for source in intake}
    assert by_attribute["running.sessions_per_week"]["value"] == 5
    assert by_attribute["running.sessions_per_week"]["resource"] == f"Observation/{newer['id']}"


def test_missing_prefetch_is_fetched_from_the_fhir_server_page_by_page(
    client: httpx.Client, kb: healthkb.KnowledgeBase, fhir: FhirServer
) -> None:
    fhir.resources["Observation"] = [
        observation(DAYS_PER_WEEK, 1, "d/wk", when="2026-10-01"),
        observation(MINUTES_PER_DAY, 45, "min/d", when="2026-11-01"),
        observation(DAYS_PER_WEEK, 4, "/wk", when="2026-11-29"),  # on the second page
    ]
    fhir.resources["QuestionnaireResponse"] = [questionnaire_response(kb, ANSWERS)]
    request = {**hook_request(None), "fhirServer": fhir.url, "fhirAuthorization": TOKEN}
    answer = client.post(hook_url(kb), json=request)
    assert answer.status_code == 200, answer.text
    profile = {**ANSWERS, "running": {**ANSWERS["running"], "sessions_per_week": 4}}
    profile["running"]["minutes_per_session"] = 45
    evaluated = client.post("/evaluate", json=profile).json()
    assert conclusions_of(answer.json()) == [c["id"] for c in evaluated["conclusions"]]
    # Exactly what the templates name, with the call's token, and the `next` page.
    assert {auth for _, auth in fhir.requests} == {f"Bearer {TOKEN['access_token']}"}
    searched = [urlsplit(path) for path, _ in fhir.requests]
    assert [s.path for s in searched] == [
        "/fhir/QuestionnaireResponse",
        "/fhir/Observation",
        "/fhir/Observation",
    ]
    observations = parse_qs(searched[1].query)
    assert observations["patient"] == [PATIENT]
    assert observations["code"] == [f"http://loinc.org|{DAYS_PER_WEEK},http://loinc.org|68516-4"]
    assert parse_qs(searched[2].query)["_page"] == ["2"]


def test_only_the_keys_the_prefetch_lacks_are_fetched(
    client: httpx.Client, kb: healthkb.KnowledgeBase, fhir: FhirServer
) -> None:
    answers = bundle(questionnaire_response(kb, ANSWERS))
    request = {
        **hook_request({"questionnaireResponses": answers}),
        "fhirServer": fhir.url,
        "fhirAuthorization": TOKEN,
    }
    assert client.post(hook_url(kb), json=request).status_code == 200
    assert [urlsplit(path).path for path, _ in fhir.requests] == ["/fhir/Observation"]


def test_a_failing_fhir_server_gets_412_as_cds_hooks_asks(
    client: httpx.Client, kb: healthkb.KnowledgeBase, fhir: FhirServer
) -> None:
    broken = fhir.url.replace("/fhir", "/broken/fhir")
    request = {**hook_request(None), "fhirServer": broken, "fhirAuthorization": TOKEN}
    problem = problem_of(client.post(hook_url(kb), json=request), 412)
    assert problem["type"] == "urn:healthkb:problem:fhir-server-failed"
    assert "answered 500" in str(problem["detail"])


def test_an_unreachable_fhir_server_gets_412(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    with fhir_server() as gone:
        url = gone.url
    request = {**hook_request(None), "fhirServer": url, "fhirAuthorization": TOKEN}
    problem = problem_of(client.post(hook_url(kb), json=request), 412)
    assert problem["type"] == "urn:healthkb:problem:fhir-server-failed"


def test_fhir_servers_are_https_only_unless_allowed() -> None:
    with pytest.raises(FhirFetchError, match="https"):
        access_of("http://ehr.example.org/fhir", TOKEN, allow_http=False)
    assert access_of("https://ehr.example.org/fhir/", TOKEN, allow_http=False).server == (
        "https://ehr.example.org/fhir"
    )
    with pytest.raises(FhirFetchError, match="Bearer"):
        access_of("https://ehr.example.org/fhir", {**TOKEN, "token_type": "MAC"}, False)


@pytest.mark.parametrize(
    "prefetch",
    [
        {"questionnaireResponses": None, "observations": None},
        {"questionnaireResponses": bundle(), "observations": bundle()},
    ],
    ids=["null", "empty-bundles"],
)
def test_no_data_is_answered_with_the_cards_that_hold_without_it(
    client: httpx.Client, kb: healthkb.KnowledgeBase, prefetch: dict[str, Any]
) -> None:
    answer = client.post(hook_url(kb), json=hook_request(prefetch))
    assert answer.status_code == 200, answer.text
    evaluated = client.post("/evaluate", json={}).json()
    assert conclusions_of(answer.json()) == [c["id"] for c in evaluated["conclusions"]]


def test_an_observation_without_a_value_is_named_in_the_intake_notes(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    absent = observation(MINUTES_PER_DAY, 0, "min/d")
    del absent["valueQuantity"]
    absent["dataAbsentReason"] = {"text": "not asked"}
    weekly = observation(DAYS_PER_WEEK, 4, "/wk")
    prefetch = {
        "questionnaireResponses": bundle(questionnaire_response(kb, ANSWERS)),
        "observations": bundle(absent, weekly),
    }
    answer = client.post(hook_url(kb), json=hook_request(prefetch))
    assert answer.status_code == 200, answer.text
    card = answer.json()["cards"][0]
    assert card["extension"]["healthkb"]["intake_notes"] == [
        {
            "resource": f"Observation/{absent['id']}",
            "message": "not used: no value (data absent: not asked)",
        }
    ]
    assert f"`Observation/{absent['id']}`: not used" in card["detail"]


def test_answers_hold_no_json_null_and_every_card_has_its_own_uuid(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    prefetch = {
        "questionnaireResponses": bundle(questionnaire_response(kb, ANSWERS)),
        "observations": bundle(observation(DAYS_PER_WEEK, 4, "d/wk")),
    }
    request = hook_request(prefetch)
    first = client.post(hook_url(kb), json=request).json()
    second = client.post(hook_url(kb), json=request).json()
    assert nulls_in(first) == [] and nulls_in(client.get("/cds-services").json()) == []
    uuids = [c["uuid"] for c in first["cards"] + second["cards"]]
    assert len(uuids) == len(set(uuids)) == 2 * len(first["cards"]) > 0


def test_cards_link_to_their_explanation_and_name_their_source(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    prefetch = {"questionnaireResponses": bundle(questionnaire_response(kb, ANSWERS))}
    cards = client.post(hook_url(kb), json=hook_request(prefetch)).json()["cards"]
    for card in cards:
        (link,) = card["links"]
        assert link["type"] == "absolute"
        assert link["url"].startswith(f"{PUBLIC_URL}/explanation?conclusion=")
        assert card["source"]["topic"]["system"] == "urn:healthkb:conclusion-kind"
        # The seed article has no URL in kb/sources: `source.url` is left out, not null.
        assert "url" not in card["source"] and card["source"]["label"]
        assert card["overrideReasons"] == OVERRIDE_REASONS
    # The link, opened on the service itself, is the explanation page.
    page = client.get(cards[0]["links"][0]["url"].removeprefix(PUBLIC_URL))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert cards[0]["extension"]["healthkb"]["conclusion"] in page.text


def test_the_discovery_document_declares_the_override_reasons(client: httpx.Client) -> None:
    (service,) = client.get("/cds-services").json()["services"]
    assert service["extension"]["healthkb"]["overrideReasons"] == OVERRIDE_REASONS


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"outcome": "overridden", "outcomeTimestamp": "yesterday"}, "is not an instant"),
        ({"outcome": "accepted"}, "names its `acceptedSuggestions`"),
        (
            {"outcome": "overridden", "overrideReason": {"reason": {"code": "bored"}}},
            "is not one of the card's overrideReasons",
        ),
        ({"outcome": "ignored"}, "Input should be 'accepted' or 'overridden'"),
    ],
    ids=["timestamp", "accepted-without-suggestions", "unknown-reason", "outcome"],
)
def test_feedback_is_held_to_the_specification(
    client: httpx.Client, kb: healthkb.KnowledgeBase, item: dict[str, Any], message: str
) -> None:
    feedback = {
        "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
        "outcomeTimestamp": "2026-12-01T10:00:00Z",
    }
    answer = client.post(f"{hook_url(kb)}/feedback", json={"feedback": [{**feedback, **item}]})
    problem = problem_of(answer, 422)
    assert message in str(problem["problems"]), problem


def test_feedback_with_one_of_the_reasons_is_accepted(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    reason = {k: v for k, v in OVERRIDE_REASONS[0].items()}
    item = {
        "card": "4e0a3a1e-3283-4575-ab82-028d55fe2719",
        "outcome": "overridden",
        "outcomeTimestamp": "2026-12-01T10:00:00Z",
        "overrideReason": {"reason": reason, "userComment": "seen last week"},
    }
    answer = client.post(f"{hook_url(kb)}/feedback", json={"feedback": [item]})
    assert answer.status_code == 200, answer.text


def test_a_browser_client_from_an_allowed_origin_passes_the_preflight(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    preflight = client.options(
        hook_url(kb),
        headers={
            "Origin": SANDBOX,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == SANDBOX
    assert "POST" in preflight.headers["access-control-allow-methods"]
    discovery = client.get("/cds-services", headers={"Origin": SANDBOX})
    assert discovery.headers["access-control-allow-origin"] == SANDBOX
    other = client.get("/cds-services", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
