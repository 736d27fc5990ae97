"""`healthkb audit list|summary|export`: auditors' questions of a store, without code."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from ..audit.exporting import write_parquet
from ..audit.filters import Filters
from ..audit.log import AuditLog
from ..audit.queries import LISTED_FIELDS, Listed, listed, summarised
from ..audit.releases import release_of
from ..render.audit_summary import summary_html, summary_text
from .audit_options import STORE_HELP, kb_releases
from .common import EXIT_OK, output_file, writing


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("log", metavar="STORE", help=STORE_HELP)
    parser.add_argument("--since", metavar="T", help="records at or after T (2026-12-03, UTC)")
    parser.add_argument("--until", metavar="T", help="records before T (2026-12-04)")
    parser.add_argument("--kb-version", metavar="V", help="answers of this KB version")
    parser.add_argument("--digest", metavar="D", help="answers of this KB digest (or its start)")
    parser.add_argument("--conclusion", metavar="ID", help="answers that reached this conclusion")
    parser.add_argument("--rule", metavar="ID", help="answers in which this rule fired")
    parser.add_argument(
        "--input-id", metavar="ID", help="the answer to this input (batch line id, request id)"
    )
    parser.add_argument(
        "--kb",
        metavar="PATH",
        help="the KB whose changelog names the release of each digest (default: as other "
        "commands find it)",
    )


def register(actions: Any) -> None:
    listing = actions.add_parser("list", help="list the records that answer the filters")
    _add_filters(listing)
    listing.add_argument("--format", choices=["text", "json", "csv"], default="text")
    listing.set_defaults(handler=run_list)

    summary = actions.add_parser(
        "summary", help="answers per conclusion, KB release and day; feedback outcomes"
    )
    _add_filters(summary)
    summary.add_argument("--format", choices=["text", "json", "html"], default="text")
    summary.add_argument("--out", metavar="FILE", help="write to this file instead")
    summary.set_defaults(handler=run_summary)

    export = actions.add_parser("export", help="write the records that answer the filters")
    _add_filters(export)
    export.add_argument(
        "--format",
        choices=["csv", "jsonl", "parquet"],
        required=True,
        help="jsonl: each record as written; parquet needs pip install 'healthkb[parquet]'",
    )
    export.add_argument("--out", metavar="FILE", required=True, help="the file to write")
    export.set_defaults(handler=run_export)


def filters_of(args: argparse.Namespace) -> Filters:
    return Filters(
        since=args.since,
        until=args.until,
        kb_version=args.kb_version,
        digest=args.digest,
        conclusion=args.conclusion,
        rule=args.rule,
        input_id=args.input_id,
    )


def _text_line(row: Listed, release: str) -> str:
    what = ", ".join(row.conclusions) if row.conclusions else "(no conclusion)"
    if row.kind != "evaluation":
        what = f"feedback on {what}"
    edited = "" if row.intact else "  EDITED: does not match its hash"
    given = row.input_id if row.input_id is not None else "-"
    kb = f"{row.kb_version} ({release})" if row.kb_version else "-"
    return f"{row.time}  {row.record}  {kb}  {given}  {what}{edited}"


def _row(row: Listed, releases: dict[str, str]) -> dict[str, Any]:
    return {**row.to_dict(), "release": release_of(row.kb_digest, releases)}


def _csv_text(rows: list[Listed], releases: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = (*LISTED_FIELDS, "release")
    writer.writerow(names)
    for row in rows:
        data = _row(row, releases)
        data["conclusions"] = ";".join(row.conclusions)
        writer.writerow(["" if data[name] is None else data[name] for name in names])
    return buffer.getvalue()


def run_list(args: argparse.Namespace) -> int:
    rows = list(listed(AuditLog(args.log), filters_of(args)))
    releases = kb_releases(args.kb)
    if args.format == "json":
        data = [_row(r, releases) for r in rows]
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        text = _csv_text(rows, releases)
    else:
        text = "".join(_text_line(row, release_of(row.kb_digest, releases)) + "\n" for row in rows)
    sys.stdout.write(text)
    if args.format == "text":
        sys.stdout.flush()
        print(f"{len(rows)} record(s)", file=sys.stderr)
    return EXIT_OK


def run_summary(args: argparse.Namespace) -> int:
    log = AuditLog(args.log)
    summary = summarised(log, filters_of(args))
    if args.format == "json":
        text = json.dumps(summary.to_dict(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    elif args.format == "html":
        text = summary_html(summary.to_dict(), log.name)
    else:
        text = summary_text(summary.to_dict(), log.name)
    if args.out is None:
        sys.stdout.write(text)
        return EXIT_OK
    out = output_file(args.out)
    with writing(out):
        out.write_bytes(text.encode("utf-8"))
    return EXIT_OK


def run_export(args: argparse.Namespace) -> int:
    out = output_file(args.out)
    log = AuditLog(args.log)
    filters = filters_of(args)
    count = 0
    if args.format == "parquet":
        with writing(out):
            count = write_parquet(listed(log, filters), out)
        print(f"exported {count} record(s) to {out}", file=sys.stderr)
        return EXIT_OK
    with writing(out), out.open("w", encoding="utf-8", newline="") as handle:
        if args.format == "jsonl":
            # Each record as written: its line, so its hash can be checked after export.
            for stored, _ in log.select(filters):
                handle.write(stored.data.decode("utf-8") + "\n")
                count += 1
        else:
            rows = list(listed(log, filters))
            handle.write(_csv_text(rows, kb_releases(args.kb)))
            count = len(rows)
    print(f"exported {count} record(s) to {out}", file=sys.stderr)
    return EXIT_OK
