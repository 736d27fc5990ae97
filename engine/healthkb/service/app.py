"""The ASGI application: a few lines per endpoint over the library.

Each worker process builds one app around one loaded KB (and, if asked, one audit log
and one token verifier). An evaluation is short CPU work (about half a millisecond):
it runs right on the worker's event loop, since threads would not run it faster under
the GIL and handing it to one costs about as much again; one worker per core gives the
parallelism. With an audit log, each answer waits for its record to reach the disk
(fsync), so then the work goes to the thread pool and the loop serves others meanwhile.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import __version__
from ..audit.log import AuditLog
from ..content.languages.translated import in_language
from ..editing.schemas import profile_schema
from ..errors import EvaluationError, HealthKBError, Problem, ProfileError, UnknownConclusionError
from ..files.x25519_keys import read_hash_key
from ..knowledge_base import KnowledgeBase, load
from ..profiles.fhir_intake import MissingData
from ..profiles.fhir_units import UnitConverter
from ..render.questionnaire import translated_questionnaire
from ..render.result import result_json
from . import cds
from .auth import AuthSetupError, TokenVerifier, read_jwks
from .body import BodyLimits, read_json
from .checkpointing import signing_lifespan
from .explanation_route import EXPLANATION_PATH, add_explanation_route
from .fhir_client import FetchLimits, FhirFetchError
from .kb_holder import KBHolder, WorkerReloader, add_reload_route, reload_info, reloading_lifespan
from .negotiation import negotiated
from .openapi import FHIR_JSON, POST_ERRORS, ExplainRequest, components, request_body, responses
from .playground import PAGE_PATH, add_playground
from .problems import PROBLEM_JSON, ServiceProblem, problem_response
from .reload import ReloadFolder
from .settings import Settings
from .sources_route import add_sources_route
from .what_if_route import add_what_if_route

AUDIT_HEADER = "Healthkb-Audit-Record"
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", EXPLANATION_PATH, PAGE_PATH})
"""What answers without a token when authentication is on (a card's explanation link is
opened in a browser, which has no token; the playground page holds no KB data and asks
for a token itself)."""
SECURITY_SCHEME = "cdsHooksJwt"
T = TypeVar("T")
log = logging.getLogger("healthkb.service")


class Service:
    """What every endpoint needs: the KB, the limits, the audit log, the verifier."""

    def __init__(self, kb: KnowledgeBase, settings: Settings) -> None:
        self.holder = KBHolder(kb)
        self.settings = settings
        self.reload_folder = (
            ReloadFolder(settings.reload_folder) if settings.reload_folder else None
        )
        self.reloader = None
        if self.reload_folder is not None:
            published = self.reload_folder.read()  # this KB's generation, or older
            self.holder = KBHolder(kb, published.generation if published.digest == kb.digest else 0)
            self.reloader = WorkerReloader(self.holder, self.reload_folder)
        self.limits = BodyLimits(max_body=settings.max_body)
        self.audit = (
            AuditLog(
                settings.audit_log,
                checkpoint_key=settings.checkpoint_key,
                checkpoint_every=settings.checkpoint_every,
                checkpoint_seconds=settings.checkpoint_seconds,
                hash_key=read_hash_key(settings.audit_hash_key)
                if settings.audit_hash_key
                else None,
            )
            if settings.audit_log
            else None
        )
        self.openapi_digest: str | None = None
        """The digest of the KB the app's cached OpenAPI document describes."""
        self.units = UnitConverter()
        self.fetch_limits = FetchLimits()
        self._fhir_client: httpx.AsyncClient | None = None
        self.verifier: TokenVerifier | None = None
        if settings.auth_jwks:
            if not settings.public_url:
                raise AuthSetupError(
                    "--auth-jwks needs --public-url: a token's `aud` is checked against the "
                    "service's own URL, never one taken from a request's headers"
                )
            self.verifier = TokenVerifier(
                read_jwks(settings.auth_jwks),
                settings.auth_issuers,
                settings.seen_tokens,
                settings.auth_jku,
            )

    @property
    def kb(self) -> KnowledgeBase:
        """The KB answering now: an endpoint reads it once per request (see kb_holder.py)."""
        return self.holder.kb

    async def authenticate(self, request: Request) -> dict[str, Any] | None:
        """Refuse (401) a request without a valid client JWT, when authentication is on;
        the token's claims (None when authentication is off).

        The expected `aud` is `--public-url` and the path called: never the Host or
        X-Forwarded-* headers, which the client chooses."""
        if self.verifier is None:
            return None
        assert self.settings.public_url is not None
        audience = self.settings.public_url.rstrip("/") + request.url.path
        authorization = request.headers.get("authorization")
        if self.verifier.may_fetch:  # an allow-listed `jku` may be fetched: not on the loop
            return await run_in_threadpool(self.verifier.verify, authorization, audience)
        return self.verifier.verify(authorization, audience)

    def fhir_client(self) -> httpx.AsyncClient:
        """The worker's one client for EHRs' FHIR servers, made on first use (its TLS
        context takes milliseconds to build) and kept, with its connections, for the
        worker's life; only the event loop's task calls it."""
        if self._fhir_client is None:
            self._fhir_client = httpx.AsyncClient()
        return self._fhir_client

    async def body(self, request: Request) -> Any:
        await self.authenticate(request)
        return await read_json(request, self.limits)

    async def run(self, work: Callable[..., T], *args: Any, **options: Any) -> T:
        """`work(*args, **options)`: on the loop, or in the thread pool when it writes
        to the audit log (see the module docstring)."""
        if self.audit is None:
            return work(*args, **options)
        return await run_in_threadpool(work, *args, **options)


def create_app(kb: KnowledgeBase, settings: Settings | None = None) -> FastAPI:
    """The service's ASGI app for a loaded KB."""
    service = Service(kb, settings or Settings())
    app = FastAPI(
        title=_title(kb),
        version=__version__,
        description=_description(kb),
        docs_url=None,
        redoc_url=None,
        lifespan=reloading_lifespan(service.reloader, signing_lifespan(service.audit)),
    )
    _add_error_handlers(app, service)
    _add_routes(app, service)
    add_reload_route(app, service)
    add_explanation_route(app, lambda: service.kb)
    if service.settings.cors_origins:
        # Browser-based CDS clients (the public CDS Hooks sandbox) call from their own
        # origin: their preflight OPTIONS is answered here, before any route.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(service.settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=[AUDIT_HEADER],
            max_age=600,
        )
    app.openapi = lambda: _openapi(app, service)  # type: ignore[method-assign]
    add_what_if_route(app, service)
    add_sources_route(app, service)
    add_playground(app)
    return app


def _title(kb: KnowledgeBase) -> str:
    return f"healthkb: {kb.content.manifest.title}"


def _description(kb: KnowledgeBase) -> str:
    return (
        f"Knowledge base `{kb.id}` {kb.version} ({kb.digest}). Every error is an RFC 9457 "
        "problem document (application/problem+json)."
    )


def create_app_from_environment() -> FastAPI:
    """The app of one uvicorn worker: the KB and settings `healthkb serve` handed over."""
    settings = Settings.from_environment()
    # SIGHUP is the supervisor's (`healthkb serve` swaps the release in every worker): a
    # hangup sent to the whole process group must not stop a worker.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if settings.reload_folder is not None:
        # The files `healthkb serve` checked, or those of the release swapped in last: the
        # KB's folder may have changed since (a worker is started again after a crash).
        folder = ReloadFolder(settings.reload_folder)
        return create_app(folder.load(folder.read().generation), settings)
    kb = load(settings.kb_root)
    if settings.kb_digest is not None and kb.digest != settings.kb_digest:
        raise HealthKBError(
            f"the KB changed on disk while the service started (digest {kb.digest}, expected "
            f"{settings.kb_digest}); start it again"
        )
    return create_app(kb, settings)


def _stamp(kb: KnowledgeBase) -> dict[str, str]:
    return {"id": kb.id, "version": kb.version, "digest": kb.digest}


def _add_routes(app: FastAPI, service: Service) -> None:
    @app.api_route(
        "/health",
        methods=["GET", "HEAD"],
        responses=responses("Health", ()),
        summary="Liveness, and which KB",
    )
    async def health() -> Any:
        return {"status": "ok", "kb": _stamp(service.kb), "worker": os.getpid()}

    @app.get(
        "/kb",
        responses=responses("KBInfo", (401,)),
        summary="The KB, its languages, its conclusions, the profile schema",
    )
    async def kb_info(request: Request) -> Any:
        await service.authenticate(request)
        kb = service.kb
        language = negotiated(kb, request.headers.get("Accept-Language"))
        worded = in_language(kb.content, language.served)
        conclusions = [
            {"id": c.id, "kind": c.kind, "certainty": c.certainty, "statement": c.statement}
            for c in worded.conclusions.values()
        ]
        info = {
            "kb": _stamp(kb),
            "title": worded.manifest.title,
            "languages": {"default": kb.content.default_language, "available": kb.languages},
            "conclusions": conclusions,
            "profile_schema": profile_schema(kb.content.vocabulary),
            "reload": reload_info(service),
        }
        return JSONResponse(info, headers=language.headers())

    @app.post(
        "/evaluate",
        responses=responses("Answer", (*POST_ERRORS, 503)),
        openapi_extra=request_body("Profile"),
        summary="Evaluate a profile (the JSON of `healthkb evaluate --format json`)",
    )
    async def evaluate(request: Request) -> Response:
        kb = service.kb  # the release of the moment the request came, whatever its body's pace
        profile = await service.body(request)
        request_id = request.headers.get("X-Request-ID")
        language = negotiated(kb, request.headers.get("Accept-Language"))
        result = await service.run(
            kb.evaluate, profile, lang=language.lang, audit=service.audit, input_id=request_id
        )
        record = result.audit_record_id
        headers = language.headers() | ({AUDIT_HEADER: record} if record else {})
        body = result_json(result, compact=True, record=record, note=language.note)
        return Response(body, media_type="application/json", headers=headers)

    @app.post(
        "/explain",
        responses=responses("Explanation", (*POST_ERRORS, 404)),
        openapi_extra=request_body("ExplainRequest"),
        summary="Explain a conclusion, or why it was not reached",
    )
    async def explain(request: Request) -> Any:
        kb = service.kb
        asked: ExplainRequest = cds.parsed(ExplainRequest, await service.body(request))
        language = negotiated(kb, request.headers.get("Accept-Language"))

        def tree() -> dict[str, Any]:
            result = kb.evaluate(asked.profile, lang=language.lang)
            if asked.why_not or asked.conclusion not in result.conclusion_ids:
                return result.why_not(asked.conclusion).to_dict()
            return result.explain(asked.conclusion).to_dict()

        answer = await service.run(tree)
        if language.note is not None:
            answer = {**answer, "language_note": language.note}
        return JSONResponse(answer, headers=language.headers())

    _add_fhir_routes(app, service)


def _add_fhir_routes(app: FastAPI, service: Service) -> None:
    """The FHIR Questionnaire and the CDS Hooks endpoints."""

    @app.get(
        "/fhir/Questionnaire",
        responses=responses("Questionnaire", (401,), media=FHIR_JSON),
        summary="The FHIR R4 Questionnaire asking for the KB's profile",
    )
    async def fhir_questionnaire(request: Request) -> Response:
        await service.authenticate(request)
        kb = service.kb
        language = negotiated(kb, request.headers.get("Accept-Language"))
        served = in_language(kb.content, language.served)
        others = {
            tag: in_language(kb.content, tag) for tag in kb.languages if tag != language.served
        }
        return JSONResponse(
            translated_questionnaire(served, others),
            media_type=FHIR_JSON,
            headers=language.headers(),
        )

    @app.get(
        "/cds-services", responses=responses("Discovery", (401,)), summary="CDS Hooks discovery"
    )
    async def discovery(request: Request) -> Any:
        await service.authenticate(request)
        return cds.discovery(service.kb)

    @app.post(
        "/cds-services/{service_id}",
        responses=responses("CardsResponse", (*POST_ERRORS, 404, 412, 503)),
        openapi_extra=request_body("HookRequest"),
        summary="CDS Hooks patient-view: cards from the patient's answers and Observations",
    )
    async def hook(service_id: str, request: Request) -> Response:
        kb = service.kb
        await service.authenticate(request)  # 401 before 404: no probing without a token
        cds.known_service(kb, service_id)
        call = cds.hook_request(await read_json(request, service.limits))
        settings = service.settings
        prefetch = await cds.completed_prefetch(
            kb, call, service.fhir_client, settings.allow_http_fhir, service.fetch_limits
        )
        language = negotiated(kb, request.headers.get("Accept-Language"))
        cards, record = await service.run(
            cds.answer_hook,
            kb,
            call,
            prefetch,
            service.audit,
            service.units,
            settings.public_url,
            language.lang,
        )
        # The header names the record even when no card does (no conclusion reached).
        headers = language.headers() | ({AUDIT_HEADER: record} if record else {})
        return JSONResponse(cards, headers=headers)

    @app.post(
        "/cds-services/{service_id}/feedback",
        responses=responses("FeedbackResponse", (*POST_ERRORS, 404, 503)),
        openapi_extra=request_body("FeedbackRequest"),
        summary="CDS Hooks feedback: a card accepted or overridden, kept in the audit log",
    )
    async def feedback(service_id: str, request: Request) -> Any:
        await service.authenticate(request)
        cds.known_service(service.kb, service_id)
        data = await read_json(request, service.limits)
        return await service.run(cds.record_feedback, data, service.audit)


def _add_error_handlers(app: FastAPI, service: Service) -> None:
    def handle(status: int, code: str, title: str) -> Any:
        async def handler(request: Request, error: Exception) -> Response:
            problems = getattr(error, "problems", [])
            if isinstance(error, MissingData):
                problems = [
                    Problem("prefetch", 0, 0, "missing-prefetch", f"`{key}`")
                    for key in error.missing
                ]
            problem = ServiceProblem(status, code, title, _detail(error), problems)
            return problem_response(problem, request.url.path)

        return handler

    async def service_problem(request: Request, error: Exception) -> Response:
        assert isinstance(error, ServiceProblem)
        return problem_response(error, request.url.path)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code in (404, 405) and request.url.path not in PUBLIC_PATHS:
            # Without a token, no path says whether it exists: 401 before 404.
            try:
                await service.authenticate(request)
            except ServiceProblem as refused:
                return problem_response(refused, request.url.path)
        code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http-error")
        problem = ServiceProblem(
            error.status_code,
            code,
            str(error.detail),
            f"{request.method} {request.url.path}: {error.detail}",
            headers=error.headers,
        )
        return problem_response(problem, request.url.path)

    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        problem = ServiceProblem(
            500,
            "internal-error",
            "Internal error",
            "the service failed unexpectedly; its log has the details",
        )
        return problem_response(problem, request.url.path)

    app.add_exception_handler(ServiceProblem, service_problem)
    app.add_exception_handler(ProfileError, handle(422, "invalid-profile", "Invalid profile"))
    app.add_exception_handler(MissingData, handle(412, "missing-prefetch", "Missing prefetch data"))
    app.add_exception_handler(
        FhirFetchError, handle(412, "fhir-server-failed", "The FHIR server gave no data")
    )
    app.add_exception_handler(
        UnknownConclusionError, handle(404, "unknown-conclusion", "Unknown conclusion")
    )
    app.add_exception_handler(
        EvaluationError, handle(422, "evaluation-failed", "Evaluation failed")
    )

    async def audit_log_unavailable(request: Request, error: Exception) -> Response:
        # The reason names files on the server: for its log, not for clients.
        log.error(
            "%s %s: the audit log cannot be written: %s", request.method, request.url.path, error
        )
        problem = ServiceProblem(
            503,
            "audit-log-unavailable",
            "Audit log unavailable",
            "the audit log cannot be written, so nothing was answered; the service's log says why",
        )
        return problem_response(problem, request.url.path)

    app.add_exception_handler(HealthKBError, audit_log_unavailable)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _detail(error: Exception) -> str:
    text = str(error)
    return text.split(":\n", 1)[0] if isinstance(error, ProfileError) else text


def _openapi(app: FastAPI, service: Service) -> dict[str, Any]:
    kb, authenticated = service.kb, service.verifier is not None
    if app.openapi_schema is not None and service.openapi_digest == kb.digest:
        return app.openapi_schema
    app.title, app.description = _title(kb), _description(kb)  # a reload may change them
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    service.openapi_digest = kb.digest
    # With authentication on, the profile's schema is for clients with a token (/kb):
    # the public document says only that a profile is a JSON object.
    schema.setdefault("components", {})["schemas"] = components(kb, profile=not authenticated)
    if authenticated:
        _declare_bearer_tokens(schema)
    # What the models cannot say: the one service id, and that /explain takes a profile.
    schema["components"]["schemas"]["ExplainRequest"]["properties"]["profile"] = {
        "$ref": "#/components/schemas/Profile"
    }
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "service_id":
                    parameter["schema"] = {"type": "string", "enum": [cds.service_id(kb)]}
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                if status != "200" and PROBLEM_JSON in content:
                    content.pop("application/json", None)  # FastAPI's default, never sent
                elif status == "200" and len(content) > 1:
                    content.pop("application/json", None)
    app.openapi_schema = schema
    return schema


def _declare_bearer_tokens(schema: dict[str, Any]) -> None:
    """The CDS Hooks client JWT as the security scheme of every path but the public ones."""
    schema["components"]["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A CDS Hooks client JWT (RS384 or ES384, `typ: JWT`, a `kid` of "
            "the service's JWKS, `aud` the URL called, `exp` at most five minutes ahead, "
            "a new `jti`); see docs/service.md.",
        }
    }
    for path, operations in schema["paths"].items():
        if path in PUBLIC_PATHS:
            continue
        for operation in operations.values():
            operation["security"] = [{SECURITY_SCHEME: []}]
