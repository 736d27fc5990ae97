"""`healthkb fhir questionnaire`: the KB's fact vocabulary as a FHIR R4 Questionnaire."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..render.questionnaire import questionnaire_json
from .common import (
    EXIT_OK,
    KB_DEFAULT_HELP,
    add_language_option,
    kb_language,
    load_kb,
    output_file,
    worded,
    writing,
)


def register(commands: Any) -> None:
    fhir = commands.add_parser("fhir", help="FHIR resources for the KB (the intake Questionnaire)")
    actions = fhir.add_subparsers(dest="fhir_command", required=True, metavar="ACTION")
    questionnaire = actions.add_parser(
        "questionnaire", help="print the FHIR R4 Questionnaire asking for the KB's profile"
    )
    questionnaire.add_argument("path", nargs="?", help=KB_DEFAULT_HELP)
    questionnaire.add_argument("--out", metavar="FILE", help="write it to this file instead")
    add_language_option(questionnaire, "the questions (the other languages as translations)")
    questionnaire.set_defaults(handler=run_questionnaire)


def run_questionnaire(args: argparse.Namespace) -> int:
    out = output_file(args.out) if args.out is not None else None
    kb = load_kb(args.path)
    lang = kb_language(kb.content, args.lang)
    others = {tag: worded(kb, tag) for tag in kb.languages if tag != lang}
    text = questionnaire_json(worded(kb, lang), others)
    if out is None:
        sys.stdout.write(text)
    else:
        with writing(out):
            out.write_text(text, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK
