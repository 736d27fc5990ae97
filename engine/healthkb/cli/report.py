"""`healthkb report`: write the auditors' static HTML site for a KB."""

from __future__ import annotations

import argparse
from typing import Any

from ..editing.report_data import gather_report
from ..render.report import write_report
from .common import (
    EXIT_OK,
    KB_DEFAULT_HELP,
    add_language_option,
    kb_language,
    load_kb,
    output_folder,
    writing,
)


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="write a static HTML site: sources with highlighted passages, rules"
    )
    report.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    report.add_argument(
        "--out",
        required=True,
        help="folder to write the site into (created if missing; its parent must exist)",
    )
    add_language_option(report, "the site (the KB's other languages under lang/<tag>/)")
    report.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = output_folder(args.out)
    kb = load_kb(args.path)
    lang = None if args.lang is None else kb_language(kb.content, args.lang)
    with writing(out):
        written = write_report(gather_report(kb), out, lang)
    print(f"wrote {len(written)} pages to {out}; open {out / 'index.html'}")
    return EXIT_OK
