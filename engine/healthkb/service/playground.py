"""GET /: the playground, a page where a person fills in the KB's questionnaire and
watches the rules fire.

The page is plain HTML, CSS and JavaScript modules shipped in the package
(`service/static/`, package data in the wheel): nothing to build, nothing fetched from
elsewhere. Its script calls only this service's own endpoints (the Questionnaire, `/kb`,
`/evaluate`, `/explain`, `/what-if`, `/sources/{id}`), so it shows what any client would
get. The files are read once when the app is made and served under a strict
Content-Security-Policy: scripts, styles and calls from this origin only, no inline
script or style, no frames, no forms posted anywhere.

The page and its files hold no KB data, so they answer without a token; with
authentication on, the page asks for one and sends it as `Authorization: Bearer`.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from starlette.responses import Response

from .problems import ServiceProblem

PAGE_PATH = "/"
ASSETS_PREFIX = "/playground/"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
STATIC_FOLDER = "static"


def playground_files() -> dict[str, bytes]:
    """Every file of the page by name (`index.html`, `main.js`, ...), from the package."""
    folder = files(__package__ or "healthkb.service").joinpath(STATIC_FOLDER)
    return {
        entry.name: entry.read_bytes()
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.is_file() and any(entry.name.endswith(suffix) for suffix in MEDIA_TYPES)
    }


def add_playground(app: FastAPI) -> None:
    """Register GET / (the page) and GET /playground/{name} (its scripts and styles)."""
    shipped = playground_files()

    def answer(name: str) -> Response:
        suffix = name[name.rfind(".") :]
        return Response(shipped[name], media_type=MEDIA_TYPES[suffix], headers=HEADERS)

    @app.api_route(
        PAGE_PATH,
        methods=["GET", "HEAD"],
        responses={200: {"description": "The playground page", "content": {"text/html": {}}}},
        summary="The playground: the questionnaire as a form, conclusions, proofs (HTML)",
    )
    async def page() -> Response:
        return answer("index.html")

    @app.get(ASSETS_PREFIX + "{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        if name not in shipped or name == "index.html":
            raise ServiceProblem(
                404, "not-found", "Not Found", f"GET {ASSETS_PREFIX}{name}: Not Found"
            )
        return answer(name)
