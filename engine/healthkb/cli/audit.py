"""`healthkb audit verify|replay|show`: check, replay and read an audit log."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..audit import AuditLog, AuditLogError, Record, record_hash
from ..render.tree import explanation_text
from ..replay import Difference, replay
from .common import EXIT_OK, EXIT_PROBLEMS, UsageError, add_kb_option, load_kb


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="verify, replay or show an audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")

    verify = actions.add_parser("verify", help="check the hash chain; name the first bad record")
    verify.add_argument("log", help="audit log file (JSON lines)")
    verify.add_argument("--format", choices=["text", "json"], default="text")
    verify.set_defaults(handler=run_verify)

    again = actions.add_parser("replay", help="evaluate every record again; list differences")
    again.add_argument("log", help="audit log file (JSON lines)")
    add_kb_option(again)
    again.add_argument("--format", choices=["text", "json"], default="text")
    again.set_defaults(handler=run_replay)

    show = actions.add_parser("show", help="print a record's explanations as `explain` does")
    show.add_argument("log", help="audit log file (JSON lines)")
    show.add_argument("record", help="record id (or the uuid of one of its CDS Hooks cards)")
    show.add_argument("--conclusion", help="only this conclusion's explanation")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(handler=run_show)


def _dump(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))


def run_verify(args: argparse.Namespace) -> int:
    verification = AuditLog(args.log).verify()
    if args.format == "json":
        _dump(verification.to_dict())
    elif verification.problem is None:
        print(
            f"ok: {args.log}: {verification.records} record(s), chain intact; "
            f"head {verification.head}"
        )
    else:
        print(f"{args.log}: {verification.problem}")
        print(
            f"{verification.records} record(s) before it are intact; head {verification.head}",
            file=sys.stderr,
        )
    return EXIT_OK if verification.ok else EXIT_PROBLEMS


def _difference_lines(d: Difference) -> list[str]:
    lines = [f"line {d.line}: record {d.record} ({d.time}, then {d.then_kb})"]
    if d.error:
        lines.append(f"  cannot be evaluated now: {d.error}")
    for name, items in (
        ("now also concluded", d.added),
        ("no longer concluded", d.removed),
        ("rules that fired then, not now", d.fired_only_then),
        ("rules that fire now, not then", d.fired_only_now),
    ):
        if items:
            lines.append(f"  {name}: {', '.join(items)}")
    return lines


def run_replay(args: argparse.Namespace) -> int:
    outcome = replay(AuditLog(args.log), load_kb(args.kb))
    if args.format == "json":
        _dump(outcome.to_dict())
    else:
        for difference in outcome.differences:
            print("\n".join(_difference_lines(difference)))
        print(
            f"{len(outcome.differences)} of {outcome.records} record(s) differ under {outcome.kb}"
        )
    return EXIT_PROBLEMS if outcome.differences else EXIT_OK


def _stamp(record: Record) -> str:
    kb, software = record["kb"], record.get("software", {})
    versions = ", ".join(f"{name} {version}" for name, version in sorted(software.items()))
    return "\n".join(
        [
            f"audit record {record['record']} (#{record['sequence']}, {record['time']})",
            f"  evaluated with knowledge base {kb['id']} {kb['version']} {kb['digest']}",
            f"  software: {versions}",
            f"  record hash {record['hash']} (matches its content)",
        ]
    )


def _chosen(record: Record, conclusion: str | None) -> list[str]:
    """The conclusions to show, in the result's order (or the one asked for)."""
    order = [c["id"] for c in record["result"]["conclusions"]]
    if conclusion is None:
        return order
    if conclusion not in record["explanations"]:
        reached = ", ".join(order) or "none"
        raise UsageError(
            f"record {record['record']} has no conclusion `{conclusion}` (it concluded: {reached})"
        )
    return [conclusion]


def run_show(args: argparse.Namespace) -> int:
    record = AuditLog(args.log).find(args.record)
    if record["hash"] != record_hash(record):
        print(
            f"healthkb: record {record['record']} does not match its hash: it was edited "
            f"(run `healthkb audit verify {args.log}`)",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    try:
        order = _chosen(record, args.conclusion)
        trees = [record["explanations"][c] for c in order]
        texts = [explanation_text(tree) for tree in trees]
        stamp = _stamp(record)
    except (KeyError, TypeError, AttributeError):
        # Only a forged record (its hash recomputed) can have another shape.
        raise AuditLogError(f"{args.log}: record {args.record} is not a healthkb record") from None
    if args.format == "json":
        _dump({"record": record["record"], "explanations": trees})
        return EXIT_OK
    if not texts:
        print("no conclusions: the sources say nothing about this profile")
    for text in texts:
        print(text)
        print()
    print(stamp)
    return EXIT_OK
