"""CDS Hooks 2.0: the discovery document, the `patient-view` service and its feedback.

The service's data comes in the call's prefetch (declared in discovery): the patient's
`QuestionnaireResponse`s answering the KB's Questionnaire and their `Observation`s with
the codes `kb/fhir.yaml` maps. A key the client did not fill is fetched from the
client's FHIR server when the call carries `fhirServer` and `fhirAuthorization`
(fhir_client.py), with exactly the query its template names. The profile built from
the data is evaluated like any other, and each card also says where its data came
from and what was sent but not used. A call whose data can be had neither way gets
412, naming what is missing, as the specification asks.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..audit.log import AuditLog, Feedback, UnknownRecordError
from ..content.fhir_mapping import questionnaire_url
from ..errors import Problem
from ..knowledge_base import KnowledgeBase
from ..profiles.fhir_intake import OBSERVATIONS_KEY, QUESTIONNAIRE_KEY, build_intake, missing_keys
from ..profiles.fhir_units import UnitConverter
from ..results.cds_cards import OVERRIDE_REASONS, with_fresh_uuids, with_intake, with_links
from .body import BODY
from .feedback import FeedbackRequest
from .fhir_client import FetchLimits, access_of, expanded, fetch
from .problems import ServiceProblem

HOOK = "patient-view"


def service_id(kb: KnowledgeBase) -> str:
    """The id of the KB's CDS service: the KB's own id."""
    return kb.id


def prefetch_templates(kb: KnowledgeBase) -> dict[str, str]:
    """The service's prefetch templates, by key: what a client prefetches, and exactly
    what the service fetches itself when a key is missing."""
    codes = ",".join(f"{m.code.system}|{m.code.code}" for m in kb.content.fhir.observations)
    prefetch = {
        QUESTIONNAIRE_KEY: (
            "QuestionnaireResponse?patient={{context.patientId}}"
            f"&questionnaire={questionnaire_url(kb.id)}&status=completed,amended"
        ),
    }
    if codes:
        prefetch[OBSERVATIONS_KEY] = (
            f"Observation?patient={{{{context.patientId}}}}&code={codes}"
            "&status=final,amended,corrected"
        )
    return prefetch


def discovery(kb: KnowledgeBase) -> dict[str, Any]:
    """The discovery document: one `patient-view` service with its prefetch templates."""
    prefetch = prefetch_templates(kb)
    manifest = kb.content.manifest
    return {
        "services": [
            {
                "hook": HOOK,
                "id": service_id(kb),
                "title": manifest.title,
                "description": " ".join((manifest.description or manifest.title).split()),
                "prefetch": prefetch,
                "usageRequirements": (
                    "The patient answers the Questionnaire at /fhir/Questionnaire; mapped "
                    "Observations (Exercise Vital Sign) are used where there is no answer."
                ),
                # The reasons a card may be overridden with (each card lists them too).
                "extension": {"healthkb": {"overrideReasons": OVERRIDE_REASONS}},
            }
        ]
    }


class _Open(BaseModel):
    # Clients may send extensions and fields of later versions: keep what is known.
    model_config = ConfigDict(extra="allow")


class HookContext(_Open):
    """The `patient-view` context."""

    userId: str = Field(min_length=1)
    patientId: str = Field(min_length=1)
    encounterId: str | None = None


class HookRequest(_Open):
    """A CDS Hooks call (the fields this service reads)."""

    hook: str = Field(json_schema_extra={"enum": [HOOK]})
    hookInstance: str = Field(min_length=1)
    fhirServer: str | None = None
    fhirAuthorization: dict[str, Any] | None = None
    context: HookContext
    prefetch: dict[str, Any] | None = None


def parsed(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            Problem(
                BODY,
                0,
                0,
                "invalid-request",
                f"`{'.'.join(str(p) for p in detail['loc']) or '(body)'}`: {detail['msg']}",
            )
            for detail in error.errors(include_url=False)
        ]
        raise ServiceProblem(
            422,
            "invalid-request",
            "Invalid request",
            "the request does not have the fields this endpoint reads",
            problems,
        ) from None


def known_service(kb: KnowledgeBase, wanted: str) -> None:
    if wanted != service_id(kb):
        raise ServiceProblem(
            404,
            "unknown-service",
            "Unknown CDS service",
            f"no CDS service `{wanted}`; this server offers `{service_id(kb)}` (see /cds-services)",
        )


def hook_request(data: Any) -> HookRequest:
    """The call, checked: its fields, and that it is the hook this service answers."""
    request: HookRequest = parsed(HookRequest, data)
    if request.hook != HOOK:
        raise ServiceProblem(
            422,
            "unsupported-hook",
            "Unsupported hook",
            f"this service answers the `{HOOK}` hook, not {request.hook!r}",
        )
    return request


async def completed_prefetch(
    kb: KnowledgeBase,
    request: HookRequest,
    client: Callable[[], httpx.AsyncClient],
    allow_http: bool,
    limits: FetchLimits,
) -> Any:
    """The call's prefetch with the keys it lacks fetched from its FHIR server, when it
    names one with an access token (FhirFetchError when that server fails)."""
    missing = missing_keys(request.prefetch)
    if not missing or request.fhirAuthorization is None:
        return request.prefetch
    access = access_of(request.fhirServer, request.fhirAuthorization, allow_http)
    context = request.context.model_dump()
    templates = prefetch_templates(kb)
    queries = {key: expanded(templates[key], context) for key in missing if key in templates}
    fetched = await fetch(client(), access, queries, limits)
    return {**(request.prefetch or {}), **fetched}


def answer_hook(
    kb: KnowledgeBase,
    request: HookRequest,
    prefetch: Any,
    audit: AuditLog | None,
    units: UnitConverter,
    public_url: str | None,
    lang: str | None = None,
) -> tuple[dict[str, Any], str | None]:
    """The cards for one hook call and the audit record id of its evaluation (errors as
    ServiceProblem, ProfileError, MissingData), worded in `lang` (None: the default)."""
    content = kb.content
    intake = build_intake(
        kb.id, content.vocabulary, content.fhir, prefetch, request.context.patientId, units
    )
    result = kb.evaluate(intake.profile, lang=lang, audit=audit, input_id=request.hookInstance)
    cards = with_intake(
        result.to_cds_cards(),
        [s.to_dict() for s in intake.sources],
        [n.to_dict() for n in intake.notes],
    )
    if result.audit_record_id is None:
        cards = with_fresh_uuids(cards)
    if public_url:
        links = [
            explanation_link(public_url, conclusion, intake.profile)
            for conclusion in result.conclusion_ids
        ]
        cards = with_links(cards, links)
    return cards, result.audit_record_id


def explanation_link(public_url: str, conclusion: str, profile: Any) -> dict[str, str]:
    """A card's link to the page explaining its conclusion for this profile (GET, in a
    browser: the profile travels in the link, base64url-encoded JSON)."""
    text = json.dumps(profile, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
    query = urlencode({"conclusion": conclusion, "profile": encoded})
    return {
        "label": "Why: the rule and the passages behind this card",
        "url": f"{public_url.rstrip('/')}/explanation?{query}",
        "type": "absolute",
    }


def profile_of_link(encoded: str) -> Any:
    """The profile an explanation link carries (ServiceProblem 400 when unreadable)."""
    try:
        text = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ServiceProblem(
            400, "invalid-link", "Invalid link", "the link's `profile` is not base64url JSON"
        ) from None


NOT_RECORDED = (
    "this service keeps no audit log (it was started without --audit-log): the feedback "
    "was checked and then dropped, not kept"
)


def record_feedback(data: Any, audit: AuditLog | None) -> dict[str, Any]:
    """Each card's feedback as an audit record against the card's uuid (with a log)."""
    request: FeedbackRequest = parsed(FeedbackRequest, data)
    if audit is None:
        return {"recorded": [], "not_recorded": NOT_RECORDED}
    found = []
    for item in request.feedback:
        try:
            record, conclusion = audit.locate(item.card)
        except UnknownRecordError:
            raise ServiceProblem(
                404,
                "unknown-card",
                "Unknown card",
                f"no card {item.card} in this service's audit log",
            ) from None
        if conclusion is None:
            raise ServiceProblem(
                404,
                "unknown-card",
                "Unknown card",
                f"{item.card} is a record id, not a card's uuid",
            )
        found.append(
            Feedback(
                item.card, str(record["record"]), conclusion, item.model_dump(exclude_none=True)
            )
        )
    return {"recorded": [audit.append_feedback(feedback) for feedback in found]}
