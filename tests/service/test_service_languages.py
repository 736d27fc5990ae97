"""The service answers in the language the request accepts (`Accept-Language`, RFC 4647
matching), says which in `Content-Language`, and answers in the KB's default language
with a note when it speaks none of those asked for (never a 406)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

import healthkb
from healthkb.service.cds import explanation_link
from support.fhir_data import bundle, hook_request, questionnaire_response
from support.service_process import Server, running

PROFILE = {"symptoms": {"physical_discomfort": True}}
STOP = "如果您感到身体有任何不适，请立即停止运动并休息。"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running() as started:
        yield started


@pytest.fixture()
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client() as opened:
        yield opened


@pytest.mark.parametrize(
    "header", ["zh-Hans", "zh-CN,zh;q=0.9,en;q=0.8", "fr;q=0.9, zh;q=0.5", "en;q=0.1, zh-SG"]
)
def test_a_reader_accepting_chinese_is_answered_in_simplified_chinese(
    client: httpx.Client, header: str
) -> None:
    response = client.post("/evaluate", json=PROFILE, headers={"Accept-Language": header})
    assert response.status_code == 200
    assert response.headers["content-language"] == "zh-Hans"
    assert "accept-language" in response.headers["vary"].lower()
    answer = response.json()
    assert answer["language"] == "zh-Hans"
    assert answer["conclusions"][0]["statement"] == STOP


def test_an_answer_in_the_default_language_is_the_one_without_the_header(
    client: httpx.Client,
) -> None:
    plain = client.post("/evaluate", json=PROFILE)
    english = client.post("/evaluate", json=PROFILE, headers={"Accept-Language": "en-US,en"})
    assert plain.headers["content-language"] == english.headers["content-language"] == "en"
    assert english.content == plain.content
    assert "language" not in plain.json()


def test_no_language_the_kb_speaks_is_answered_in_the_default_with_a_note(
    client: httpx.Client,
) -> None:
    response = client.post("/evaluate", json=PROFILE, headers={"Accept-Language": "fr, de;q=0.5"})
    assert response.status_code == 200
    assert response.headers["content-language"] == "en"
    answer = response.json()
    assert answer["language_note"] == (
        "none of the languages asked for (fr, de) is available: answered in en "
        "(available: en, zh-Hans)"
    )
    assert answer["conclusions"][0]["statement"].startswith("If you feel any physical")


def test_explanations_follow_the_accepted_language(client: httpx.Client) -> None:
    asked = {"profile": PROFILE, "conclusion": "stop_and_rest"}
    response = client.post("/explain", json=asked, headers={"Accept-Language": "zh"})
    assert response.headers["content-language"] == "zh-Hans"
    tree = response.json()
    expected = healthkb.load().evaluate(PROFILE, lang="zh-Hans").explain("stop_and_rest")
    assert tree == expected.to_dict()
    assert tree["conclusion"]["statement"] == STOP


def test_the_questionnaire_is_asked_in_the_accepted_language(client: httpx.Client) -> None:
    response = client.get("/fhir/Questionnaire", headers={"Accept-Language": "zh-CN"})
    assert response.headers["content-language"] == "zh-Hans"
    document = response.json()
    Questionnaire.model_validate(document)
    assert document["language"] == "zh-Hans"
    assert document["title"] == "跑步与局部减脂——来自已发表文章的建议"


def test_cards_follow_the_accepted_language(client: httpx.Client) -> None:
    kb = healthkb.load()
    answers = bundle(questionnaire_response(kb, PROFILE))
    request = hook_request({"questionnaireResponses": answers})
    response = client.post(
        f"/cds-services/{kb.id}", json=request, headers={"Accept-Language": "zh"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-language"] == "zh-Hans"
    (card,) = response.json()["cards"]
    assert card["summary"] == STOP


def test_the_explanation_page_is_in_the_browsers_language_with_a_switch(
    client: httpx.Client,
) -> None:
    link = explanation_link("http://x", "stop_and_rest", PROFILE)["url"].removeprefix("http://x")
    page = client.get(link, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    assert page.headers["content-language"] == "zh-Hans"
    assert '<html lang="zh-Hans">' in page.text and STOP in page.text
    assert 'hreflang="en"' in page.text and "&amp;lang=en" in page.text
    english = client.get(link + "&lang=en", headers={"Accept-Language": "zh"})
    assert '<html lang="en">' in english.text
    assert "If you feel any physical discomfort" in english.text
