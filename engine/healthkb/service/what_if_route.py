"""POST /what-if: the smallest changes to a profile that reach (or avoid) a conclusion.

The same answer as `healthkb explain PROFILE --conclusion ID --what-if --format json`
(`Result.what_if`). Its request and answer models join the OpenAPI document here, so
the route lives in one module: `add_what_if_route(app, service)` registers both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol

from fastapi import FastAPI
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..analysis.what_if_text import DEFAULT_ALTERNATIVES, MAX_ALTERNATIVES
from ..knowledge_base import KnowledgeBase
from .cds import parsed
from .openapi import POST_ERRORS, REF, json_integer, request_body, responses


class WhatIfRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    profile: dict[str, Any]
    """The person's profile."""
    conclusion: str
    """The conclusion to reach (or, with `avoid`, to stop)."""
    avoid: bool = False
    """Look for the smallest changes that stop the conclusion instead."""
    alternatives: Annotated[
        int, Field(ge=1, le=MAX_ALTERNATIVES), BeforeValidator(json_integer)
    ] = DEFAULT_ALTERNATIVES
    """At most this many proposals, cheapest first."""


class WhatIfChange(BaseModel):
    attribute: str
    from_: Any = Field(alias="from")
    to: Any


class WhatIfProposal(BaseModel):
    changes: list[WhatIfChange]
    cost: int | float
    """The sum of the changed attributes' costs (kb/facts.yaml, default 1 each)."""
    reaches: list[str]
    """Every conclusion the changed profile reaches."""
    loses: list[str]
    """Warnings and recommendations the profile reached that the changed one would not."""
    passages: list[dict[str, Any]]
    """The citations of each rule the change makes fire (`fires: true`) or stops."""


class WhatIfAnswer(BaseModel):
    """Proposals cheapest first; none when no change of changeable attributes does it."""

    conclusion: str
    avoid: bool
    proposals: list[WhatIfProposal]


class Answering(Protocol):
    """What the route needs of the service (service/app.py's `Service`)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    def body(self, request: Request) -> Awaitable[Any]: ...


def add_what_if_route(app: FastAPI, service: Answering) -> None:
    """Register POST /what-if, and its models in the app's OpenAPI document."""

    @app.post(
        "/what-if",
        responses=responses("WhatIfAnswer", (*POST_ERRORS, 404)),
        openapi_extra=request_body("WhatIfRequest"),
        summary="The smallest changes of changeable attributes that reach (or stop) a conclusion",
    )
    async def what_if(request: Request) -> Any:
        kb = service.kb
        asked: WhatIfRequest = parsed(WhatIfRequest, await service.body(request))

        def answer() -> dict[str, Any]:
            result = kb.evaluate(asked.profile)
            found = result.what_if(
                asked.conclusion, avoid=asked.avoid, alternatives=asked.alternatives
            )
            return found.to_dict()

        # An optimisation takes milliseconds to seconds: off the event loop.
        return await run_in_threadpool(answer)

    app.openapi = _with_what_if_models(app.openapi)  # type: ignore[method-assign]


def _with_what_if_models(document: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    def with_models() -> dict[str, Any]:
        schema = document()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        if "WhatIfAnswer" not in schemas:
            models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
                (WhatIfRequest, "validation"),
                (WhatIfAnswer, "serialization"),
            ]
            _, found = models_json_schema(models, ref_template=REF, by_alias=True)
            schemas.update(found["$defs"])
            # What the model cannot say: the profile is the KB's (as for /explain).
            schemas["WhatIfRequest"]["properties"]["profile"] = {
                "$ref": REF.format(model="Profile")
            }
        return schema

    return with_models
