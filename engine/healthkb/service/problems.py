"""RFC 9457 problem documents: every error the service answers, as data with a place.

A problem document carries the HTTP status, a stable `type` (one per kind of error,
`urn:healthkb:problem:<code>`), a `title`, a `detail` in words, the `instance` (the
request's path) and, where the library located what is wrong, `problems`: the same
`file:line:column`-style problems the command line prints (for a profile,
`profile: invalid-value: `running.intensity`: ...`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from ..errors import Problem

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:healthkb:problem:"


class ServiceProblem(Exception):
    """An error the service answers with a problem document (raised by the endpoints)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        problems: Iterable[Problem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.problems = list(problems)
        self.headers = dict(headers or {})


def problem_response(problem: ServiceProblem, instance: str) -> Response:
    """The problem as an `application/problem+json` response."""
    body = {
        "type": TYPE_PREFIX + problem.code,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
        "problems": [p.to_dict() for p in problem.problems],
    }
    return Response(
        json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


class LocatedProblem(BaseModel):
    """One located problem, as the command line prints it (file, line, column, code...)."""

    model_config = ConfigDict(extra="forbid")

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str


class ProblemDocument(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`)."""

    model_config = ConfigDict(extra="forbid")

    type: str
    """`urn:healthkb:problem:<code>`: one per kind of error (see docs/service.md)."""
    title: str
    """The kind of error, in words."""
    status: int
    """The HTTP status code."""
    detail: str
    """What went wrong with this request."""
    instance: str
    """The request's path."""
    problems: list[LocatedProblem]
    """Each thing wrong with the input, with its place (empty when there is no place)."""


def problem_schema_ref() -> dict[str, Any]:
    return {"$ref": "#/components/schemas/ProblemDocument"}
