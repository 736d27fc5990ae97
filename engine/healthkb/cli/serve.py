"""`healthkb serve`: the HTTP service (REST and CDS Hooks) on uvicorn."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
from pathlib import Path
from typing import Any

from ..knowledge_base import load
from .audit_options import add_audit_options, check_audit_policy, open_audit_log
from .common import EXIT_OK, KB_DEFAULT_HELP, UsageError, kb_folder

SERVE_EXTRA = ("fastapi", "uvicorn", "jwt")
"""What `healthkb[serve]` installs; without it every other command still works."""
DEFAULT_MAX_BODY = 1024 * 1024


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve", help="run the HTTP service: REST endpoints and CDS Hooks (needs healthkb[serve])"
    )
    parser.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    parser.add_argument("--kb", metavar="PATH", help="the same as PATH")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port (default: 8000; 0: any free port)"
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes (one per core)")
    add_audit_options(parser, "every evaluation and every card feedback")
    parser.add_argument(
        "--auth-jwks",
        metavar="FILE",
        help="require CDS Hooks client JWTs signed by a key in this JWKS",
    )
    parser.add_argument(
        "--auth-issuer",
        metavar="ISS",
        action="append",
        default=[],
        help="an allowed `iss` of client JWTs (repeat for several)",
    )
    parser.add_argument(
        "--auth-jku",
        metavar="URL",
        action="append",
        default=[],
        help="honour a token's `jku` header naming this key set URL (repeat for several); "
        "the set is fetched and cached",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL clients reach the service at (the base of a JWT's `aud`; required "
        "with --auth-jwks)",
    )
    parser.add_argument(
        "--max-body",
        metavar="BYTES",
        type=int,
        default=DEFAULT_MAX_BODY,
        help=f"largest request body accepted (default: {DEFAULT_MAX_BODY})",
    )
    add_limit_options(parser)
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="allow listening beyond loopback without --auth-jwks (a trusted network only)",
    )
    parser.add_argument(
        "--cors-origin",
        metavar="ORIGIN",
        action="append",
        default=[],
        help="a browser origin allowed to call the service, e.g. https://sandbox.cds-hooks.org "
        "(repeat for several)",
    )
    parser.add_argument(
        "--allow-http-fhir",
        action="store_true",
        help="fetch a hook's missing data from an http (not https) fhirServer: tests only",
    )
    parser.add_argument("--no-access-log", action="store_true", help="do not log each request")
    parser.add_argument(
        "--require-signed",
        metavar="PUB",
        help="refuse a KB whose files are not those of a release signed with this Ed25519 "
        "public key (`healthkb release --sign`), at start and on every reload",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="swap in the KB again whenever one of its files changes (for editors; "
        "SIGHUP or POST /kb/reload otherwise)",
    )
    parser.set_defaults(handler=run)


LIMITS = (
    # option, type, default, what it bounds (all per worker)
    ("--max-header-bytes", int, 32 * 1024, "largest request head (request line and headers)"),
    ("--max-headers", int, 100, "most header fields in a request"),
    ("--header-timeout", float, 10.0, "seconds a client has to send a request's head"),
    ("--body-timeout", float, 30.0, "seconds a client has to send a request's body"),
    ("--max-connections", int, 256, "most open connections per worker (more get 503)"),
)


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    for option, kind, default, what in LIMITS:
        parser.add_argument(
            option,
            metavar="SECONDS" if kind is float else "N",
            type=kind,
            default=default,
            help=f"{what} (default: {default:g})",
        )


def limits(args: argparse.Namespace) -> dict[str, Any]:
    """The limit options as Settings fields; UsageError for one that is not positive."""
    chosen = {}
    for option, _, _, _ in LIMITS:
        name = option.removeprefix("--").replace("-", "_")
        value = getattr(args, name)
        if not value > 0:
            raise UsageError(f"{option} must be more than 0; got {value}")
        chosen[name] = value
    return chosen


def run(args: argparse.Namespace) -> int:
    missing = [name for name in SERVE_EXTRA if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f"`healthkb serve` needs the serve extra ({', '.join(missing)} not installed): "
            "pip install 'healthkb[serve]'"
        )
    # Imported here, not at the top: the service needs an optional extra, and the rest
    # of the command line must work without it. The top layer, which nothing imports,
    # so no cycle can hide behind it (tests/test_architecture.py lists it).
    from ..service import server
    from ..service import settings as settings_module

    if args.path and args.kb and args.path != args.kb:
        raise UsageError("give the KB once: as PATH or as --kb")
    if args.max_body < 1:
        raise UsageError(f"--max-body must be at least 1 byte; got {args.max_body}")
    root = kb_folder(args.kb or args.path)
    # A broken or unsigned KB is reported here, once, before any worker starts.
    kb = load(root, require_signed=args.require_signed)
    audit = open_audit_log(args)  # a bad checkpoint key stops it here
    check_audit_policy(audit, kb)  # and a policy that hashes without a hash key
    if audit is not None:
        audit.open()  # and a store that cannot be opened (unreachable, newer schema, ...)
    settings = settings_module.Settings(
        kb_root=str(root.resolve()),
        kb_digest=kb.digest,
        audit_log=str(args.audit_log) if args.audit_log else None,
        checkpoint_key=str(Path(args.checkpoint_key).resolve()) if args.checkpoint_key else None,
        checkpoint_every=args.checkpoint_every,
        checkpoint_seconds=args.checkpoint_seconds,
        audit_hash_key=str(Path(args.audit_hash_key).resolve()) if args.audit_hash_key else None,
        max_body=args.max_body,
        auth_jwks=args.auth_jwks,
        auth_issuers=tuple(args.auth_issuer),
        auth_jku=tuple(args.auth_jku),
        public_url=args.public_url,
        **limits(args),
        allow_http_fhir=args.allow_http_fhir,
        cors_origins=tuple(args.cors_origin),
        require_signed=str(Path(args.require_signed).resolve()) if args.require_signed else None,
    )
    # Ctrl-C: uvicorn finishes the requests in flight; stop without a traceback.
    with contextlib.suppress(KeyboardInterrupt):
        server.serve(
            kb,
            settings,
            host=args.host,
            port=args.port,
            workers=args.workers,
            insecure=args.insecure,
            access_log=not args.no_access_log,
            watch_files=args.watch,
        )
    return EXIT_OK
