"""`healthkb audit show`: a logged answer's explanations, as text, JSON or the HTML page
`explain --format html` gives, found by record id, card uuid or input id."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any

from ..audit.filters import Filters
from ..audit.kb_copies import shipment_of
from ..audit.log import AuditLog, AuditLogError, Record, hash_matches
from ..errors import HealthKBError, KBError
from ..knowledge_base import KnowledgeBase, load
from ..render.html_explain import explanation_page
from ..results.cds_cards import card_uuid
from ..results.tree_text import explanation_text
from ..runtime.shipment import unpacked
from .audit_options import STORE_HELP
from .common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_kb_option, load_kb, output_file, writing


def register(actions: Any) -> None:
    show = actions.add_parser("show", help="print a record's explanations as `explain` does")
    show.add_argument("log", metavar="STORE", help=STORE_HELP)
    show.add_argument(
        "record",
        nargs="?",
        help="record id, or the uuid of a CDS Hooks card (shows that card's conclusion)",
    )
    show.add_argument(
        "--input-id", metavar="ID", help="the latest answer to this input, instead of RECORD"
    )
    show.add_argument("--conclusion", help="only this conclusion's explanation")
    show.add_argument(
        "--format",
        choices=["text", "json", "html"],
        default="text",
        help="html: the explanation page of one conclusion, its passages highlighted",
    )
    add_kb_option(show)
    show.add_argument("--out", metavar="FILE", help="write the page to this file")
    show.set_defaults(handler=run_show)


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def _located(args: argparse.Namespace) -> tuple[Record, str | None]:
    log = AuditLog(args.log)
    if (args.record is None) == (args.input_id is None):
        raise UsageError("give RECORD or --input-id ID (one of them)")
    if args.record is not None:
        return log.locate(args.record)
    found = [r for _, r in log.select(Filters(input_id=args.input_id)) if "result" in r]
    if not found:
        raise AuditLogError(f"{log.name}: no answer to input {args.input_id}")
    if len(found) > 1:
        others = ", ".join(str(r["record"]) for r in found[:-1])
        print(
            f"healthkb: input {args.input_id} was answered {len(found)} times; showing the "
            f"latest (the others: {others})",
            file=sys.stderr,
        )
    return found[-1], None


def _stamp(record: Record, card: str | None) -> str:
    kb, software = record["kb"], record.get("software", {})
    versions = ", ".join(f"{name} {version}" for name, version in sorted(software.items()))
    lines = [f"audit record {record['record']} (#{record['sequence']}, {record['time']})"]
    if card is not None:
        lines.append(f"  CDS Hooks card {card_uuid(record['record'], card)}: conclusion {card}")
    lines += [
        f"  evaluated with knowledge base {kb['id']} {kb['version']} {kb['digest']}",
        f"  software: {versions}",
        f"  record hash {record['hash']} (matches its content)",
    ]
    return "\n".join(lines)


def _chosen(record: Record, conclusion: str | None, card: str | None) -> list[str]:
    """The conclusions to show, in the result's order; or the card's, or the one asked for."""
    order = [c["id"] for c in record["result"]["conclusions"]]
    if card is not None and conclusion not in (None, card):
        raise UsageError(f"that card shows conclusion `{card}`, not `{conclusion}`")
    conclusion = card or conclusion
    if conclusion is None:
        return order
    if conclusion not in record["explanations"]:
        reached = ", ".join(order) or "none"
        raise UsageError(
            f"record {record['record']} has no conclusion `{conclusion}` (it concluded: {reached})"
        )
    return [conclusion]


def run_show(args: argparse.Namespace) -> int:
    record, card = _located(args)
    if not hash_matches(record):
        print(
            f"healthkb: record {record['record']} does not match its hash: it was edited "
            f"(run `healthkb audit verify {args.log}`)",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    try:
        order = _chosen(record, args.conclusion, card)
        trees = [record["explanations"][c] for c in order]
        texts = [explanation_text(tree) for tree in trees]
        stamp = _stamp(record, card)
    except (KeyError, TypeError, AttributeError, RecursionError):
        # Only a forged record (its hash recomputed) can have another shape.
        raise AuditLogError(f"{args.log}: record {args.record} is not a healthkb record") from None
    if args.format == "json":
        _dump({"record": record["record"], "explanations": trees})
        return EXIT_OK
    if args.format == "html":
        return _write_page(args, record, order)
    if not texts:
        print("no conclusions: the sources say nothing about this profile")
    for text in texts:
        print(text)
        print()
    print(stamp)
    return EXIT_OK


def _write_page(args: argparse.Namespace, record: Record, order: list[str]) -> int:
    """The explanation page of the record's conclusion, with the passages of the KB
    release that answered it: `--kb` (which must be that release: same digest), else
    the store's copy of it, else the KB commands find, if it is that release."""
    if len(order) != 1:
        reached = ", ".join(order) or "none"
        raise UsageError(
            f"--format html shows one conclusion: give --conclusion (one of: {reached})"
        )
    with _release_of(args, record) as kb:
        page = explanation_page(record["explanations"][order[0]], kb.content, record["profile"])
    if args.out is None:
        sys.stdout.write(page)
        return EXIT_OK
    out = output_file(args.out)
    with writing(out):
        out.write_bytes(page.encode("utf-8"))
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


@contextlib.contextmanager
def _release_of(args: argparse.Namespace, record: Record) -> Iterator[KnowledgeBase]:
    """The KB release that answered `record`, loaded (see `_write_page`)."""
    kb_named = record["kb"]
    digest = str(kb_named["digest"])
    answered = f"{kb_named['id']} {kb_named['version']} ({digest})"
    if args.kb is None:
        copy = AuditLog(args.log).store.kept_kb(digest)
        if copy is not None:
            with unpacked(shipment_of(copy, digest)) as root:
                try:
                    kb: KnowledgeBase | None = load(root)
                except KBError:
                    kb = None
            if kb is None or kb.digest != digest:
                loads = "does not load" if kb is None else f"loads as another KB ({kb.digest})"
                raise AuditLogError(
                    f"{args.log}: the store's copy of {answered} {loads}: it was changed, "
                    "so it is not shown; give --kb PATH of that release"
                )
            yield kb
            return
    found = _kb_at_hand(args)
    if found is None or found.digest != digest:
        at_hand = "" if found is None else f"; this KB is {found.version} ({found.digest})"
        raise UsageError(
            f"record {record['record']} was answered by {answered}, which the store holds "
            f"no copy of{at_hand}: give --kb PATH of that release"
        )
    yield found


def _kb_at_hand(args: argparse.Namespace) -> KnowledgeBase | None:
    """`--kb`, or the KB commands find (None when there is none to load)."""
    try:
        return load_kb(args.kb, args.allow_outside_links)
    except (HealthKBError, UsageError):
        if args.kb is not None:
            raise
        return None
