"""GET /sources/{source_id}: the text every citation's span points into, read-only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from test_service import problem_of

import healthkb
from support.service_process import Server, running


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running() as started:
        yield started


def test_every_citation_of_the_kb_is_its_span_of_the_source_text_served(
    server: Server, kb: healthkb.KnowledgeBase
) -> None:
    resolved = list(kb.content.citations.resolved.values())
    assert resolved
    with server.client() as client:
        for source_id in sorted({c.source for c in resolved}):
            answer = client.get(f"/sources/{source_id}")
            assert answer.status_code == 200
            source = answer.json()
            assert source["id"] == source_id and source["text"]
            anchors = {p["anchor"]: p for p in source["paragraphs"]}
            sentences = {s["anchor"] for p in source["paragraphs"] for s in p["sentences"]}
            for citation in (c for c in resolved if c.source == source_id):
                assert source["text"][citation.start : citation.end] == citation.quote
                paragraph = anchors[citation.paragraph]
                assert paragraph["start"] <= citation.start < paragraph["end"]
                assert set(citation.sentence_anchors) <= sentences


def test_the_paragraphs_and_sentences_served_are_the_texts_own(
    server: Server, kb: healthkb.KnowledgeBase
) -> None:
    for source_id, text in kb.content.citations.texts.items():
        with server.client() as client:
            source = client.get(f"/sources/{source_id}").json()
        assert [(p["anchor"], p["start"], p["end"]) for p in source["paragraphs"]] == [
            (p.anchor, p.start, p.end) for p in text.paragraphs
        ]
        assert [s["anchor"] for p in source["paragraphs"] for s in p["sentences"]] == [
            s.anchor for s in text.sentences
        ]


def test_an_unknown_source_is_a_404_problem_naming_the_sources(server: Server) -> None:
    with server.client() as client:
        document = problem_of(client.get("/sources/no-such-article"), 404)
    assert document["type"] == "urn:healthkb:problem:unknown-source"
    assert "cainiu-2025-running-thigh-fat" in str(document["detail"])
