"""CDS Hooks 2.0: the discovery document, the `patient-view` service and its feedback.

The service's data comes in the call's prefetch (declared in discovery): the patient's
`QuestionnaireResponse`s answering the KB's Questionnaire and their `Observation`s with
the codes `kb/fhir.yaml` maps. The profile built from them is evaluated like any
other, and each card also says where its data came from. The service does not query
the client's FHIR server: a call without the prefetch it needs gets 412, naming what is
missing, as the specification asks of a service that cannot get its data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..audit.log import AuditLog, Feedback, UnknownRecordError
from ..content.fhir_mapping import questionnaire_url
from ..errors import Problem
from ..knowledge_base import KnowledgeBase
from ..profiles.fhir_intake import OBSERVATIONS_KEY, QUESTIONNAIRE_KEY, build_intake
from ..results.cds_cards import with_intake
from .body import BODY
from .problems import ServiceProblem

HOOK = "patient-view"


def service_id(kb: KnowledgeBase) -> str:
    """The id of the KB's CDS service: the KB's own id."""
    return kb.id


def discovery(kb: KnowledgeBase) -> dict[str, Any]:
    """The discovery document: one `patient-view` service with its prefetch templates."""
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

    hook: str
    hookInstance: str = Field(min_length=1)
    fhirServer: str | None = None
    fhirAuthorization: dict[str, Any] | None = None
    context: HookContext
    prefetch: dict[str, Any] | None = None


class FeedbackItem(_Open):
    """What the client did with one card."""

    card: str = Field(min_length=1)
    outcome: str = Field(pattern="^(accepted|overridden)$")
    outcomeTimestamp: str = Field(min_length=1)
    acceptedSuggestions: list[dict[str, Any]] | None = None
    overrideReason: dict[str, Any] | None = None


class FeedbackRequest(_Open):
    feedback: list[FeedbackItem] = Field(min_length=1)


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


def call_hook(
    kb: KnowledgeBase, data: Any, audit: AuditLog | None
) -> tuple[dict[str, Any], str | None]:
    """The cards for one hook call and the audit record id of its evaluation (errors as
    ServiceProblem, ProfileError, MissingData)."""
    request: HookRequest = parsed(HookRequest, data)
    if request.hook != HOOK:
        raise ServiceProblem(
            422,
            "unsupported-hook",
            "Unsupported hook",
            f"this service answers the `{HOOK}` hook, not {request.hook!r}",
        )
    content = kb.content
    intake = build_intake(
        kb.id, content.vocabulary, content.fhir, request.prefetch, request.context.patientId
    )
    result = kb.evaluate(intake.profile, audit=audit)
    cards = with_intake(result.to_cds_cards(), [s.to_dict() for s in intake.sources])
    return cards, result.audit_record_id


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
