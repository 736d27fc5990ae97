"""`healthkb evaluate` and `healthkb explain`: a profile in, conclusions or a proof out."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..audit.log import AuditLog
from ..render import result_cds_hooks, result_json, result_markdown, result_text
from ..render.html_explain import explanation_page, why_not_page
from .common import EXIT_OK, add_kb_option, load_kb, output_file, writing

PROFILE_HELP = "profile file (.yaml or .json); - reads it from standard input"

RESULT_FORMATS = {
    "text": result_text,
    "json": result_json,
    "markdown": result_markdown,
    "cds-hooks": result_cds_hooks,
}


def register(commands: Any) -> None:
    evaluate = commands.add_parser("evaluate", help="evaluate a profile and print conclusions")
    evaluate.add_argument("profile", help=PROFILE_HELP)
    add_kb_option(evaluate)
    evaluate.add_argument("--format", choices=sorted(RESULT_FORMATS), default="text")
    evaluate.add_argument(
        "--audit-log",
        metavar="STORE",
        help="append this evaluation to an audit store (a file, sqlite:///PATH or postgresql://…)",
    )
    evaluate.set_defaults(handler=run_evaluate)

    explain = commands.add_parser("explain", help="print the proof (or why-not) of a conclusion")
    explain.add_argument("profile", help=PROFILE_HELP)
    explain.add_argument("--conclusion", required=True, help="conclusion id")
    explain.add_argument("--why-not", action="store_true", help="explain why it was not reached")
    add_kb_option(explain)
    explain.add_argument(
        "--format",
        choices=["html", "json", "text"],
        default="text",
        help="html: one self-contained page with the cited passages highlighted",
    )
    explain.add_argument(
        "--out",
        metavar="FILE",
        help="write to this file instead of printing (its folder must exist)",
    )
    explain.set_defaults(handler=run_explain)


def run_evaluate(args: argparse.Namespace) -> int:
    audit = AuditLog(args.audit_log) if args.audit_log else None
    result = load_kb(args.kb).evaluate_file(args.profile, audit=audit)
    print(RESULT_FORMATS[args.format](result))
    if audit is not None and result.audit_record_id is not None:
        print(f"audit record {result.audit_record_id} appended to {audit.name}", file=sys.stderr)
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    out = output_file(args.out) if args.out is not None else None
    kb = load_kb(args.kb)
    result = kb.evaluate_file(args.profile)
    why_not = args.why_not or args.conclusion not in result.conclusion_ids
    # The library checks the id and hints at the closest one (UnknownConclusionError).
    tree = result.why_not(args.conclusion) if why_not else result.explain(args.conclusion)
    if why_not and not args.why_not:
        print(
            f"{args.conclusion} was not concluded for this profile; showing why not",
            file=sys.stderr,
        )
    if args.format == "json":
        text = json.dumps(tree.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    elif args.format == "html":
        page = why_not_page if why_not else explanation_page
        text = page(tree.to_dict(), kb.content, result.profile)
    else:
        text = f"{tree}\n"
    if out is None:
        sys.stdout.write(text)
    else:
        with writing(out):
            out.write_bytes(text.encode("utf-8"))
    return EXIT_OK
