"""CDS Hooks 2.0 on the real service: discovery, patient-view from FHIR data, feedback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_service import problem_of

import healthkb
from healthkb.content.fhir_mapping import questionnaire_url
from support.fhir_data import (
    DAYS_PER_WEEK,
    MINUTES_PER_DAY,
    PATIENT,
    bundle,
    hook_request,
    observation,
    questionnaire_response,
)
from support.service_process import Server, running

PROFILE = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs", "buttocks"]},
}


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cds") / "audit.jsonl"


@pytest.fixture(scope="module")
def server(log: Path) -> Iterator[Server]:
    with running("--audit-log", log) as started:
        yield started


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as opened:
        yield opened


def hook_url(kb: healthkb.KnowledgeBase) -> str:
    return f"/cds-services/{kb.id}"


def test_discovery_declares_patient_view_and_its_prefetch(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    (service,) = client.get("/cds-services").json()["services"]
    assert service["hook"] == "patient-view" and service["id"] == kb.id
    prefetch = service["prefetch"]
    assert f"questionnaire={questionnaire_url(kb.id)}" in prefetch["questionnaireResponses"]
    assert "{{context.patientId}}" in prefetch["observations"]
    assert f"http://loinc.org|{DAYS_PER_WEEK}" in prefetch["observations"]
    assert f"http://loinc.org|{MINUTES_PER_DAY}" in prefetch["observations"]


def conclusions_of(cards: dict[str, Any]) -> list[str]:
    return [card["extension"]["healthkb"]["conclusion"] for card in cards["cards"]]


@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "flat"])
def test_patient_view_from_a_questionnaire_answer_gives_the_cards_of_evaluate(
    client: httpx.Client, kb: healthkb.KnowledgeBase, grouped: bool
) -> None:
    answers = bundle(questionnaire_response(kb, PROFILE, grouped=grouped))
    request = hook_request({"questionnaireResponses": answers, "observations": bundle()})
    cards = client.post(hook_url(kb), json=request)
    assert cards.status_code == 200, cards.text
    evaluated = client.post("/evaluate", json=PROFILE).json()
    assert conclusions_of(cards.json()) == [c["id"] for c in evaluated["conclusions"]]
    assert conclusions_of(cards.json())  # the profile reaches conclusions


def test_cards_carry_their_audit_record_and_verify(
    client: httpx.Client, kb: healthkb.KnowledgeBase, log: Path
) -> None:
    request = hook_request({"questionnaireResponses": bundle(questionnaire_response(kb, PROFILE))})
    cards = client.post(hook_url(kb), json=request).json()["cards"]
    record_id = cards[0]["extension"]["healthkb"]["audit_record"]
    assert all(c["extension"]["healthkb"]["audit_record"] == record_id for c in cards)
    assert f"Audit record `{record_id}`" in cards[0]["detail"]
    audit = healthkb.AuditLog(log)
    record, conclusion = audit.locate(cards[0]["uuid"])
    assert record["record"] == record_id and conclusion == conclusions_of({"cards": cards})[0]
    assert record["profile"] == PROFILE
    assert audit.verify().ok


def test_observations_give_attributes_through_kb_fhir_yaml(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    rest = {k: v for k, v in PROFILE.items() if k != "running"}
    answers = bundle(questionnaire_response(kb, {**rest, "running": {"intensity": "high"}}))
    observations = bundle(
        observation(DAYS_PER_WEEK, 4, "d/wk"),
        observation(DAYS_PER_WEEK, 1, "d/wk", when="2026-01-01"),  # older: not used
        observation(MINUTES_PER_DAY, 45, "min/d"),
        observation("8867-4", 70, "/min"),  # a heart rate: not mapped, not used
    )
    request = hook_request({"questionnaireResponses": answers, "observations": observations})
    cards = client.post(hook_url(kb), json=request).json()
    assert conclusions_of(cards) == [
        c["id"] for c in client.post("/evaluate", json=PROFILE).json()["conclusions"]
    ]
    intake = cards["cards"][0]["extension"]["healthkb"]["intake"]
    by_attribute = {source["attribute"]: source for source in intake}
    assert by_attribute["running.sessions_per_week"]["value"] == 4
    assert by_attribute["running.sessions_per_week"]["via"] == f"http://loinc.org|{DAYS_PER_WEEK}"
    interpretation = kb.content.fhir.for_code("http://loinc.org", DAYS_PER_WEEK).interpretation  # type: ignore[union-attr]
    assert by_attribute["running.sessions_per_week"]["interpretation"] == interpretation
    assert "interpretation" not in by_attribute["running.intensity"]  # no JSON null
    assert "read as running sessions per week" in cards["cards"][0]["detail"]


def test_an_answer_wins_over_an_observation(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    """The answers say 4 sessions a week (enough for the article); an Observation says 1
    day a week (not enough): the cards are those of the profile with the answer's 4."""
    answers = bundle(questionnaire_response(kb, PROFILE))
    observations = bundle(observation(DAYS_PER_WEEK, 1, "d/wk", when="2026-12-01"))
    request = hook_request({"questionnaireResponses": answers, "observations": observations})
    cards = client.post(hook_url(kb), json=request).json()
    expected = client.post("/evaluate", json=PROFILE).json()["conclusions"]
    assert conclusions_of(cards) == [c["id"] for c in expected]
    with_one = {**PROFILE, "running": {**PROFILE["running"], "sessions_per_week": 1}}
    assert conclusions_of(cards) != [
        c["id"] for c in client.post("/evaluate", json=with_one).json()["conclusions"]
    ]
    intake = {s["attribute"]: s for s in cards["cards"][0]["extension"]["healthkb"]["intake"]}
    assert intake["running.sessions_per_week"]["value"] == 4
    assert intake["running.sessions_per_week"]["resource"].startswith("QuestionnaireResponse/")


def test_missing_prefetch_is_412_naming_the_data(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    document = problem_of(client.post(hook_url(kb), json=hook_request(None)), 412)
    assert "questionnaireResponses" in str(document["detail"])
    assert [p["message"] for p in document["problems"]] == [  # type: ignore[union-attr]
        "`questionnaireResponses`",
        "`observations`",
    ]


def test_prefetch_without_usable_data_gives_the_cards_of_no_data(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    request = hook_request(
        {
            "questionnaireResponses": bundle(),
            "observations": bundle(
                observation(DAYS_PER_WEEK, 3, "d/wk", status="entered-in-error")
            ),
        }
    )
    answer = client.post(hook_url(kb), json=request)
    assert answer.status_code == 200, answer.text
    expected = client.post("/evaluate", json={}).json()["conclusions"]
    assert conclusions_of(answer.json()) == [c["id"] for c in expected]


def test_unusable_answers_are_422_with_their_place(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    response = questionnaire_response(kb, {"running": {"intensity": "high"}}, grouped=False)
    response["item"].append({"linkId": "running.sesions_per_week", "answer": [{"valueInteger": 3}]})
    request = hook_request(
        {
            "questionnaireResponses": bundle(response),
            # An hour and a half a day: converted by UCUM, not an error.
            "observations": bundle(observation(MINUTES_PER_DAY, 1.5, "h/d")),
        }
    )
    document = problem_of(client.post(hook_url(kb), json=request), 422)
    messages = [p["message"] for p in document["problems"]]  # type: ignore[union-attr]
    assert messages == [
        "`prefetch.questionnaireResponses.entry[0].resource.item[1].linkId`: unknown linkId "
        "'running.sesions_per_week'",
    ]
    assert document["problems"][0]["hint"] == "did you mean `running.sessions_per_week`?"  # type: ignore[index]


def test_data_about_another_patient_is_refused(
    client: httpx.Client, kb: healthkb.KnowledgeBase
) -> None:
    answers = bundle(questionnaire_response(kb, PROFILE, patient="someone-else"))
    document = problem_of(
        client.post(hook_url(kb), json=hook_request({"questionnaireResponses": answers})), 422
    )
    assert "not Patient/" + PATIENT in document["problems"][0]["message"]  # type: ignore[index]


def test_unknown_service_and_wrong_hook(client: httpx.Client, kb: healthkb.KnowledgeBase) -> None:
    problem_of(client.post("/cds-services/nope", json=hook_request({})), 404)
    problem_of(client.post("/cds-services/nope/feedback", json={"feedback": []}), 404)
    wrong = hook_request({}, hook="order-sign")
    assert "patient-view" in str(problem_of(client.post(hook_url(kb), json=wrong), 422)["detail"])
    no_context = {"hook": "patient-view", "hookInstance": "x"}
    document = problem_of(client.post(hook_url(kb), json=no_context), 422)
    assert document["problems"][0]["message"].startswith("`context`: ")  # type: ignore[index]


def test_feedback_is_recorded_against_the_card(
    client: httpx.Client, kb: healthkb.KnowledgeBase, log: Path
) -> None:
    request = hook_request({"questionnaireResponses": bundle(questionnaire_response(kb, PROFILE))})
    card = client.post(hook_url(kb), json=request).json()["cards"][0]
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"userComment": "the patient runs on a treadmill"},
                "outcomeTimestamp": "2026-12-01T09:00:00Z",
            }
        ]
    }
    answer = client.post(f"{hook_url(kb)}/feedback", json=feedback)
    assert answer.status_code == 200, answer.text
    (recorded,) = answer.json()["recorded"]
    records = dict((r["record"], r) for _, r in healthkb.AuditLog(log).records())
    assert records[recorded]["kind"] == "feedback"
    assert records[recorded]["card"] == card["uuid"]
    assert records[recorded]["conclusion"] == card["extension"]["healthkb"]["conclusion"]
    assert records[recorded]["evaluation"] == card["extension"]["healthkb"]["audit_record"]
    assert records[recorded]["feedback"]["outcome"] == "overridden"
    assert healthkb.AuditLog(log).verify().ok
    unknown = {
        "feedback": [{**feedback["feedback"][0], "card": "00000000-0000-4000-8000-000000000000"}]
    }
    problem_of(client.post(f"{hook_url(kb)}/feedback", json=unknown), 404)
    bad = {"feedback": [{**feedback["feedback"][0], "outcome": "ignored"}]}
    problem_of(client.post(f"{hook_url(kb)}/feedback", json=bad), 422)
