"""GET /explanation: the page a card's link opens, explaining its conclusion (HTML).

A CDS Hooks card links to it (`links`, `type: absolute`, from `--public-url`); the
link carries the conclusion and the profile (base64url JSON, see `cds.explanation_link`),
so the page needs nothing stored and no token: a clinician's browser opens it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..content.languages.translated import in_language
from ..knowledge_base import KnowledgeBase
from ..render.html import esc, language_switch
from ..render.html_explain import explanation_page, why_not_page
from .cds import profile_of_link
from .negotiation import Negotiated, negotiated
from .openapi import responses
from .problems import ServiceProblem

EXPLANATION_PATH = "/explanation"


def add_explanation_route(app: FastAPI, current: Callable[[], KnowledgeBase]) -> None:
    """Register GET /explanation for the KB `current()` gives when a request comes."""

    @app.get(
        EXPLANATION_PATH,
        responses={
            200: {"description": "The explanation page", "content": {"text/html": {}}},
            **{s: r for s, r in responses("Health", (400, 404, 422)).items() if s != 200},
        },
        openapi_extra={
            "parameters": [_query("conclusion", "^[a-z][a-z0-9_]*$"), _query("profile", _BASE64URL)]
        },
        summary="A card's link: the page explaining a conclusion for a profile (HTML)",
    )
    async def explanation(request: Request) -> Response:
        asked = {name: request.query_params.get(name) for name in ("conclusion", "profile")}
        missing = [name for name, value in asked.items() if not value]
        if missing:
            raise ServiceProblem(
                422,
                "invalid-request",
                "Invalid request",
                f"the link lacks its {' and '.join(f'`{m}`' for m in missing)}",
            )
        conclusion, data = str(asked["conclusion"]), profile_of_link(str(asked["profile"]))
        kb = current()
        language = _page_language(kb, request)
        result = kb.evaluate(data, lang=language.lang)
        content = in_language(kb.content, language.served)
        switch = _switch(request, kb, language.served)
        if conclusion in result.conclusion_ids:
            tree = result.explain(conclusion).to_dict()
            page = explanation_page(tree, content, data, switch)
        else:
            page = why_not_page(result.why_not(conclusion).to_dict(), content, data, switch)
        return HTMLResponse(page, headers=language.headers())


def _page_language(kb: KnowledgeBase, request: Request) -> Negotiated:
    """The page's language: `?lang=` (the switch's links) if the KB speaks it, else the
    browser's `Accept-Language`."""
    asked = request.query_params.get("lang")
    if asked:
        chosen = negotiated(kb, asked)
        if chosen.note is None:
            return chosen
    return negotiated(kb, request.headers.get("Accept-Language"))


def _switch(request: Request, kb: KnowledgeBase, current: str) -> str:
    """Links to this page in each language of the KB (none for a KB of one language)."""
    if len(kb.languages) < 2:
        return ""
    links = []
    for tag in kb.languages:
        query = urlencode({**dict(request.query_params), "lang": tag})
        links.append((tag, esc(f"{EXPLANATION_PATH}?{query}")))
    return language_switch(current, links)


_BASE64URL = "^[A-Za-z0-9_-]+$"


def _query(name: str, pattern: str) -> dict[str, Any]:
    schema = {"type": "string", "minLength": 1, "pattern": pattern}
    return {"name": name, "in": "query", "required": True, "schema": schema}
