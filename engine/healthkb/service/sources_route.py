"""GET /sources/{source_id}: a source's text with its paragraphs and sentences, read-only.

An answer's citations name a source and a character span (`start`, `end`) in its text,
with the anchors of the paragraph and sentences they fall in (`p7`, `p7.s2`). This gives
the text they point into, so that a client (the playground) can show the article with
the cited passages highlighted, as the explanation page does. Offsets count Unicode code
points, as Python's `str` does (a JavaScript client slices `Array.from(text)`, not the
UTF-16 string). Its request and answer models join the OpenAPI document here, so the
route lives in one module: `add_sources_route(app, service)` registers both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema
from starlette.requests import Request

from ..content.sources import Paragraph
from ..knowledge_base import KnowledgeBase
from .openapi import REF, responses
from .problems import ServiceProblem

SOURCES_PATH = "/sources/{source_id}"


class SentenceSpan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    anchor: str
    """`p7.s2`: the second sentence of the seventh paragraph (as citations name it)."""
    start: int
    end: int


class ParagraphSpan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    anchor: str
    """`p7`: the seventh non-blank line of the text."""
    start: int
    end: int
    sentences: list[SentenceSpan]


class SourceText(BaseModel):
    """A source's text and where its paragraphs and sentences are in it (code points)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: int
    title: str
    language: str
    """The language tag of the text (a translation says so in `GET /evaluate`'s `sources`)."""
    text: str
    paragraphs: list[ParagraphSpan]


class Authenticating(Protocol):
    """What the route needs of the service (service/app.py's `Service`)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    def authenticate(self, request: Request) -> Awaitable[dict[str, Any] | None]: ...


def source_text(kb: KnowledgeBase, source_id: str) -> dict[str, Any]:
    """The answer for `source_id`; a 404 problem when the KB has no such source."""
    source = kb.content.sources.get(source_id)
    if source is None:
        known = ", ".join(sorted(kb.content.sources))
        raise ServiceProblem(
            404,
            "unknown-source",
            "Unknown source",
            f"the KB has no source `{source_id}` (its sources: {known})",
        )
    text = kb.content.citations.texts[source_id]
    answer = SourceText(
        id=source.id,
        version=source.version,
        title=source.title,
        language=source.language,
        text=text.text,
        paragraphs=[_paragraph(p) for p in text.paragraphs],
    )
    return answer.model_dump()


def _paragraph(paragraph: Paragraph) -> ParagraphSpan:
    return ParagraphSpan(
        anchor=paragraph.anchor,
        start=paragraph.start,
        end=paragraph.end,
        sentences=[
            SentenceSpan(anchor=s.anchor, start=s.start, end=s.end) for s in paragraph.sentences
        ],
    )


def add_sources_route(app: FastAPI, service: Authenticating) -> None:
    """Register GET /sources/{source_id}, and its answer's model in the OpenAPI document."""

    @app.get(
        SOURCES_PATH,
        responses=responses("SourceText", (401, 404)),
        summary="A source's text, with its paragraphs and sentences (what citations point into)",
    )
    async def source(source_id: str, request: Request) -> Any:
        await service.authenticate(request)
        return source_text(service.kb, source_id)

    app.openapi = _with_source_model(app.openapi)  # type: ignore[method-assign]


def _with_source_model(document: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def with_model() -> dict[str, Any]:
        schema = document()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        if "SourceText" not in schemas:
            _, found = models_json_schema([(SourceText, "serialization")], ref_template=REF)
            schemas.update(found["$defs"])
        return schema

    return with_model
