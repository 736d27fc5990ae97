"""The OpenAPI document's parts: every request body, every response and every error.

Bodies are read by the service itself (to enforce its limits before parsing), so
FastAPI cannot infer them; each route declares its request body and its responses
here, and the schemas come from the same pydantic models the service answers with
(the KB's own profile model, `Result`), so the document cannot drift from the answers.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import models_json_schema

from ..knowledge_base import KnowledgeBase
from ..results.result import Result
from .cds import HookRequest
from .feedback import FeedbackRequest
from .problems import PROBLEM_JSON, ProblemDocument

FHIR_JSON = "application/fhir+json"


def json_integer(value: Any) -> Any:
    """`2.0` read as 2, before a strict `int` field checks it: JSON Schema's `integer`
    (which the document declares) counts a number with a zero fraction as one. Use as
    `Annotated[int, Field(...), BeforeValidator(json_integer)]`."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


REF = "#/components/schemas/{model}"


class KBStamp(BaseModel):
    id: str
    version: str
    digest: str


class Health(BaseModel):
    status: Literal["ok"]
    kb: KBStamp
    worker: int
    """The process id of the worker that answered."""


class ConclusionInfo(BaseModel):
    id: str
    kind: str
    certainty: str
    statement: str


class PublishedRelease(BaseModel):
    generation: int
    """0 for the release the service started with, one more for each swapped in."""
    version: str
    digest: str
    requested_by: str
    """`start`, `SIGHUP`, `--watch` or `POST /kb/reload`."""
    at: str
    supervisor: int
    """The process id of `healthkb serve`, which takes SIGHUP."""


class RefusedReload(BaseModel):
    at: str
    requested_by: str
    reason: str
    problems: list[dict[str, Any]]
    """Each located: file, line, column, code, message, hint."""


class WorkerRelease(BaseModel):
    pid: int
    generation: int
    version: str
    digest: str
    tried: int
    """The last generation it tried to swap in."""
    failure: str | None
    """Why it could not swap that one in (it serves its old release)."""


class ReloadStatus(BaseModel):
    generation: int
    """The generation the worker that answered serves."""
    published: PublishedRelease
    refused: RefusedReload | None
    """The last reload refused (the KB failed its checks) since one succeeded."""
    workers: list[WorkerRelease]


class KBLanguages(BaseModel):
    default: str
    """The language the KB's files are written in (answers without `Accept-Language`)."""
    available: list[str]
    """Every language answers can be given in (`Accept-Language`), the default first."""


class KBInfo(BaseModel):
    kb: KBStamp
    title: str
    languages: KBLanguages
    conclusions: list[ConclusionInfo]
    """Each conclusion, its statement in the language asked for (`Accept-Language`)."""
    profile_schema: dict[str, Any]
    """The JSON Schema of a profile (as `healthkb schema` writes it)."""
    reload: ReloadStatus | None
    """Reloads (`healthkb serve`; None for an app made another way)."""


class ReloadAnswer(BaseModel):
    outcome: Literal["reloaded", "unchanged"]
    published: PublishedRelease
    workers: list[WorkerRelease]
    """What every worker serves now: the published release."""


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    profile: dict[str, Any]
    """The person's profile."""
    conclusion: str
    """The conclusion to explain."""
    why_not: bool = False
    """Explain why it was not reached (also the answer when it was not reached)."""


class Explanation(BaseModel):
    """The proof tree (`conclusion`, `rule`, `kb`) or why-not (`conclusion`, `concluded`,
    `rules`) of a conclusion, as `healthkb explain --format json` prints it."""

    model_config = ConfigDict(extra="allow")

    conclusion: dict[str, Any]


class Coding(BaseModel):
    system: str
    code: str
    display: str


class CardSource(BaseModel):
    label: str
    url: str = ""
    """Left out when the source names no URL (never null)."""
    topic: Coding


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute"]


class Card(BaseModel):
    uuid: str
    summary: str
    indicator: Literal["info", "warning", "critical"]
    detail: str
    source: CardSource
    overrideReasons: list[Coding]
    links: list[Link] = []
    """With --public-url: the page explaining the card's conclusion."""
    extension: dict[str, Any]


class CardsResponse(BaseModel):
    cards: list[Card]


class Service(BaseModel):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str]
    usageRequirements: str
    extension: dict[str, Any]
    """`healthkb.overrideReasons`: the reasons a card may be overridden with."""


class Discovery(BaseModel):
    services: list[Service]


class FeedbackResponse(BaseModel):
    recorded: list[str]
    """The audit record id of each feedback (empty when the service keeps no audit log)."""
    not_recorded: str | None = None
    """Present when the feedback was not kept, saying why (the service keeps no audit log)."""


class Answer(Result):
    """The answer of `/evaluate`: the result, and the id of its audit record."""

    record: str | None = None
    """The id of the answer's audit record (absent when the service keeps no audit log)."""


class Questionnaire(BaseModel):
    """A FHIR R4 Questionnaire resource."""

    model_config = ConfigDict(extra="allow")

    resourceType: Literal["Questionnaire"]
    url: str
    item: list[dict[str, Any]]


DOCUMENTED = (
    ProblemDocument,
    Result,
    Answer,
    KBInfo,
    ReloadAnswer,
    Health,
    ExplainRequest,
    Explanation,
    CardsResponse,
    Discovery,
    HookRequest,
    FeedbackRequest,
    FeedbackResponse,
    Questionnaire,
)


def components(kb: KnowledgeBase, *, profile: bool = True) -> dict[str, Any]:
    """The schemas the routes refer to, the KB's profile model among them (or, without
    `profile`, a bare JSON object standing for it: its facts are not told)."""
    models: list[Any] = [(model, "validation") for model in DOCUMENTED]
    if profile:
        models.append((kb.profile_model, "validation"))
    _, schema = models_json_schema(models, ref_template=REF)
    defs: dict[str, Any] = schema["$defs"]
    if not profile:
        defs["Profile"] = {
            "type": "object",
            "title": "Profile",
            "description": "A person's profile; its schema is in GET /kb (with a token).",
        }
    return defs


def ref(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(model=name)}


ERRORS: dict[int, str] = {
    400: "The body is not JSON, or nests too deeply.",
    401: "Authentication is on and the request has no valid CDS Hooks client JWT.",
    403: "The token lacks the scope asked for (a reload needs `healthkb:admin`), or the "
    "service takes no reloads over HTTP (no authentication, listening beyond loopback).",
    404: "No such CDS service, conclusion, card or source.",
    409: "The reload did not reach every worker in time, or a worker could not swap it in "
    "(`detail` says which and why); or this app takes no reloads.",
    412: "The hook's prefetch lacks the data the service needs (named in `detail`), and "
    "it could not be fetched from the call's FHIR server.",
    413: "The body is larger than the service's --max-body.",
    415: "The body is not JSON (Content-Type must be application/json).",
    422: "The JSON does not fit: `problems` names each field, as the command line does. "
    "For a reload: the KB failed its checks, `problems` says where; the old one serves on.",
    503: "The audit log cannot be written (it was damaged); nothing was answered.",
}
POST_ERRORS = (400, 401, 413, 415, 422)


def responses(
    ok: str, errors: tuple[int, ...], media: str = "application/json", description: str = "OK"
) -> dict[int | str, dict[str, Any]]:
    """A route's responses: its answer and every error it can give."""
    documented: dict[int | str, dict[str, Any]] = {
        200: {"description": description, "content": {media: {"schema": ref(ok)}}}
    }
    for status in sorted(errors):
        documented[status] = {
            "description": ERRORS[status],
            "content": {PROBLEM_JSON: {"schema": ref("ProblemDocument")}},
        }
    return documented


def request_body(name: str) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": ref(name)}}}
    }
