"""`healthkb evaluate` and `healthkb explain`: a profile in, conclusions or a proof out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..analysis.what_if_text import DEFAULT_ALTERNATIVES, MAX_ALTERNATIVES
from ..content.loading.kb_content import KBContent
from ..knowledge_base import KnowledgeBase
from ..render import result_cds_hooks, result_json, result_markdown, result_text
from ..results.result import Result
from .audit_options import add_audit_options, check_audit_policy, open_audit_log
from .common import (
    EXIT_OK,
    UsageError,
    add_kb_option,
    add_language_option,
    kb_language,
    load_kb,
    output_file,
    worded,
    writing,
)

if TYPE_CHECKING:
    from ..analysis.what_if import WhatIf
    from ..audit.log import AuditLog
    from ..results.explain import Explanation, WhyNot

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
    add_language_option(evaluate, "the answer")
    add_audit_options(evaluate, "this evaluation")
    evaluate.set_defaults(handler=run_evaluate)

    explain = commands.add_parser("explain", help="print the proof (or why-not) of a conclusion")
    explain.add_argument("profile", help=PROFILE_HELP)
    explain.add_argument("--conclusion", required=True, help="conclusion id")
    explain.add_argument("--why-not", action="store_true", help="explain why it was not reached")
    explain.add_argument(
        "--what-if",
        action="store_true",
        help="the smallest changes of changeable attributes that reach the conclusion",
    )
    explain.add_argument(
        "--avoid", action="store_true", help="with --what-if: changes that stop it instead"
    )
    explain.add_argument(
        "--alternatives",
        metavar="K",
        type=int,
        help=f"with --what-if: at most K proposals, cheapest first (default "
        f"{DEFAULT_ALTERNATIVES})",
    )
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
    add_language_option(explain, "the proof or why-not")
    explain.set_defaults(handler=run_explain)


def run_evaluate(args: argparse.Namespace) -> int:
    audit = open_audit_log(args)  # a bad checkpoint key stops it before any evaluation
    try:
        return _evaluate(args, audit)
    finally:
        if audit is not None:
            audit.close()


def _evaluate(args: argparse.Namespace, audit: AuditLog | None) -> int:
    kb = load_kb(args.kb, args.allow_outside_links)
    check_audit_policy(audit, kb)
    lang = _language(kb.content, args.lang)
    result = kb.evaluate_file(args.profile, lang=lang, audit=audit)
    print(RESULT_FORMATS[args.format](result))
    if audit is not None and result.audit_record_id is not None:
        print(f"audit record {result.audit_record_id} appended to {audit.name}", file=sys.stderr)
        # One record, far under --checkpoint-every: signed now, as every writer signs
        # what it appended before it stops.
        checkpoint = audit.checkpoint_pending()
        if checkpoint is not None:
            print(f"checkpoint signed at record {checkpoint['sequence']}", file=sys.stderr)
    return EXIT_OK


def run_explain(args: argparse.Namespace) -> int:
    check_what_if_options(args)
    out = output_file(args.out) if args.out is not None else None
    kb = load_kb(args.kb, args.allow_outside_links)
    lang = _language(kb.content, args.lang)
    result = kb.evaluate_file(args.profile, lang=lang)
    if args.what_if:
        alternatives = DEFAULT_ALTERNATIVES if args.alternatives is None else args.alternatives
        answer = result.what_if(args.conclusion, avoid=args.avoid, alternatives=alternatives)
        return write_out(out, formatted(answer, args.format))
    why_not = args.why_not or args.conclusion not in result.conclusion_ids
    # The library checks the id and hints at the closest one (UnknownConclusionError).
    tree = result.why_not(args.conclusion) if why_not else result.explain(args.conclusion)
    if why_not and not args.why_not:
        print(
            f"{args.conclusion} was not concluded for this profile; showing why not",
            file=sys.stderr,
        )
    if args.format == "html":
        return _html_pages(kb, result, args.conclusion, tree, why_not, out, lang)
    return write_out(out, formatted(tree, args.format))


def _html_pages(
    kb: KnowledgeBase,
    result: Result,
    conclusion: str,
    tree: Explanation | WhyNot,
    why_not: bool,
    out: Path | None,
    lang: str | None,
) -> int:
    """The HTML page of the proof or why-not. With `--lang` and `--out FILE`, the page in
    every language of the KB, each with a switch to the others: FILE in the language
    asked for, `FILE-STEM.TAG.html` beside it for each other one (relative links, so they
    work as files).

    The HTML modules are imported here, when a page is asked for: `healthkb evaluate`,
    whose module this is, and the text and JSON proofs never need them (a fiftieth of
    the start-up; docs/performance.md, "Start-up, third pass")."""
    from ..render.html import esc, language_switch
    from ..render.html_explain import explanation_page, why_not_page

    page = why_not_page if why_not else explanation_page
    if out is None or lang is None or len(kb.languages) < 2:
        return write_out(out, page(tree.to_dict(), worded(kb, lang), result.profile))
    files = {
        tag: out if tag == lang else out.with_name(f"{out.stem}.{tag}{out.suffix}")
        for tag in kb.languages
    }
    links = [(tag, esc(quote(files[tag].name))) for tag in kb.languages]
    for tag, path in files.items():
        answer = result if tag == lang else kb.evaluate(result.profile, lang=tag)
        tree = answer.why_not(conclusion) if why_not else answer.explain(conclusion)
        switch = language_switch(tag, links)
        write_out(path, page(tree.to_dict(), worded(kb, tag), answer.profile, switch))
    return EXIT_OK


def _language(content: KBContent, wish: str | None) -> str | None:
    """The language `--lang` asks for, or None without it (the answer as it always was)."""
    return None if wish is None else kb_language(content, wish)


def check_what_if_options(args: argparse.Namespace) -> None:
    """--avoid and --alternatives belong to --what-if, which is neither a why-not nor HTML."""
    if not args.what_if:
        for option, given in (("--avoid", args.avoid), ("--alternatives", args.alternatives)):
            if given not in (None, False):
                raise UsageError(f"{option} only applies with --what-if")
        return
    if args.why_not:
        raise UsageError("--what-if and --why-not ask different questions: give one of them")
    if args.format == "html":
        raise UsageError("--what-if prints text or json, not html")
    if args.alternatives is not None and not 1 <= args.alternatives <= MAX_ALTERNATIVES:
        raise UsageError(
            f"--alternatives must be from 1 to {MAX_ALTERNATIVES}; got {args.alternatives}"
        )


def formatted(tree: Explanation | WhyNot | WhatIf, form: str) -> str:
    if form == "json":
        return json.dumps(tree.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return f"{tree}\n"


def write_out(out: Path | None, text: str) -> int:
    if out is None:
        sys.stdout.write(text)
    else:
        with writing(out):
            out.write_bytes(text.encode("utf-8"))
    return EXIT_OK
