"""The audit stores at scale: a filtered `audit list` over many records, and appends per
second with one and two writer processes (fsync on), on SQLite and PostgreSQL.

    python -m tests.benchmarks.audit_store              # 1,000,000 records per store
    python -m tests.benchmarks.audit_store 20000        # a quick run

The records are small synthetic ones (a real one is ~15 kB: 1,000,000 of them would be
15 GB), chained and hashed as `append` does, spread over a year, so that the list's
time is the index's, not the disk's; they are bulk-inserted straight into the tables
(50,000 per transaction, PostgreSQL by COPY; a test verifies the chain of a small
fill). PostgreSQL runs from Debian's binaries in a temporary folder
(tests/support/postgres_server.py), skipped where it is missing.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tests.support.postgres_server import binaries, start_server

import healthkb
from healthkb.audit import sql_store
from healthkb.audit.chain import GENESIS, Record, canonical, line_hash
from healthkb.audit.filters import Filters
from healthkb.audit.postgres_store import PostgresStore
from healthkb.audit.queries import listed, summarised
from healthkb.audit.records import chain_record
from healthkb.audit.sql_store import SqlStore, index_rows

CONCLUSIONS = [f"conclusion_{n}" for n in range(8)]
VERSIONS = ["0.1.0", "0.2.0", "0.3.0"]
DIGEST = "sha256:" + "ab" * 32
BULK = 50_000
APPEND_SECONDS = 3.0


def body(n: int, records: int) -> dict:
    """The n-th synthetic record body: a day of 2026 by position, three conclusions."""
    seconds = int(365 * 86_400 * n / records)
    day, rest = divmod(seconds, 86_400)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_767_225_600 + day * 86_400 + rest))
    reached = [CONCLUSIONS[(n + k) % 8] for k in range(3)]
    return {
        "record": str(uuid.UUID(int=n + 1)),
        "time": stamp + ".000000Z",
        "input_id": f"person-{n}",
        "kb": {
            "id": "bench",
            "version": VERSIONS[n * 3 // records],
            "digest": "sha256:" + "ab" * 32,
        },
        "software": {},
        "profile": {"walk": {"sessions": n % 15}},
        "result": {
            "conclusions": [{"id": c} for c in reached],
            "fired": [{"rule_id": f"rule_{c}", "rule_version": 1} for c in reached],
        },
        "explanations": {},
    }


def chained(records: int) -> Iterator[tuple[list[Record], list[bytes]]]:
    """The synthetic records chained and hashed as `append` chains them (each `previous`
    the hash of the line before), BULK at a time, with their lines."""
    previous = GENESIS
    for first in range(0, records, BULK):
        group, lines = [], []
        for n in range(first, min(records, first + BULK)):
            record = chain_record(body(n, records), n + 1, previous)
            line = canonical(record)
            previous = line_hash(line)
            group.append(record)
            lines.append(line)
        yield group, lines


def fill(log: healthkb.AuditLog, records: int) -> float:
    """Bulk-insert valid chained records straight into the store's tables, BULK per
    transaction (PostgreSQL by COPY): what `append` writes, without its per-append head
    read and fsync, so that a million records take minutes, not hours."""
    store = log.store
    assert isinstance(store, SqlStore)
    log.open()  # the tables
    start = time.perf_counter()
    for group, lines in chained(records):
        rows, conclusions, rules = index_rows(group, lines)
        if isinstance(store, PostgresStore):
            store._transaction(
                lambda cursor, r=(rows, conclusions, rules): _copy(cursor, r), "fill"
            )
        else:
            store._transaction(
                lambda cursor, g=group, ls=lines: store._insert(cursor, g, ls), "fill"
            )
    return time.perf_counter() - start


def _copy(cursor: Any, tables: tuple[list[Any], list[Any], list[Any]]) -> None:
    rows, conclusions, rules = tables
    for statement, values in (
        (f"COPY {sql_store.RECORDS} ({sql_store._COLUMNS}) FROM STDIN", rows),
        (f"COPY {sql_store.CONCLUSIONS} (conclusion, sequence, card) FROM STDIN", conclusions),
        (f"COPY {sql_store.RULES} (rule, sequence) FROM STDIN", rules),
    ):
        with cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)


def timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    outcome = work()
    return time.perf_counter() - start, outcome


def queries(log: healthkb.AuditLog, records: int) -> list[tuple[str, float, int]]:
    """(question, seconds, records found) for the questions auditors ask."""
    middle = records // 2
    day = body(middle, records)["time"][:10]
    following = (datetime.date.fromisoformat(day) + datetime.timedelta(days=1)).isoformat()
    asked = [
        ("--input-id person-N", Filters(input_id=f"person-{middle}")),
        ("--since DAY --until DAY+1", Filters(since=day, until=following)),
        (
            "--since DAY --until DAY+1 --conclusion C",
            Filters(since=day, until=following, conclusion=CONCLUSIONS[1]),
        ),
        (
            "--kb-version V --rule R --since DAY --until DAY+1",
            Filters(kb_version=VERSIONS[1], rule="rule_conclusion_2", since=day, until=following),
        ),
    ]
    figures = []
    for question, filters in asked:
        seconds, found = timed(lambda f=filters: list(listed(log, f)))
        figures.append((f"list {question}", seconds, len(found)))  # type: ignore[arg-type]
    seconds, summary = timed(lambda: summarised(log, Filters(since=day, until=following)))
    figures.append(("summary of one day", seconds, summary.answers))  # type: ignore[attr-defined]
    return figures


def _append_for(location: str, seconds: float, counts: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    log = healthkb.AuditLog(location)
    done, end, n = 0, time.monotonic() + seconds, os.getpid() * 1_000_000
    while time.monotonic() < end:
        item = body(n + done, 10**12)
        item["record"] = str(uuid.uuid4())
        log.append_bodies([item])  # one record per append: one fsync each
        done += 1
    counts.put(done)


def appends_per_second(location: str, workers: int) -> float:
    context = multiprocessing.get_context("spawn")
    counts = context.Queue()
    processes = [
        context.Process(target=_append_for, args=(location, APPEND_SECONDS, counts))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    total = sum(counts.get(timeout=120) for _ in processes)
    for process in processes:
        process.join()
    return total / APPEND_SECONDS


def report(name: str, location: str, records: int, folder: Path) -> list[str]:
    lines = [f"{name}: {records:,} records"]
    log = healthkb.AuditLog(location)
    lines.append(f"  filled in {fill(log, records):.1f} s")
    for question, seconds, found in queries(log, records):
        lines.append(f"  {question}: {seconds * 1000:.0f} ms ({found:,} records)")
    for workers in (1, 2):
        rate = appends_per_second(location, workers)
        lines.append(f"  appends per second, {workers} writer process(es), fsync on: {rate:,.0f}")
    return lines


def main(argv: list[str]) -> int:
    records = int(argv[0]) if argv else 1_000_000
    folder = Path(tempfile.mkdtemp(prefix="healthkb-audit-bench-"))
    lines = [f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"]
    try:
        lines += report("SQLite", f"sqlite:///{folder / 'audit.db'}", records, folder)
        lines.append(f"  file size: {(folder / 'audit.db').stat().st_size / 2**20:,.0f} MiB")
        bin = binaries()
        if bin is None:
            lines.append("PostgreSQL: not installed; skipped")
        else:
            # A folder of its own: the server's user must be able to reach it.
            pg = Path(tempfile.mkdtemp(prefix="healthkb-postgres-"))
            server = start_server(pg, bin)
            try:
                lines += report("PostgreSQL", server.create_database(), records, folder)
            finally:
                server.stop()
                shutil.rmtree(pg, ignore_errors=True)
        lines.append(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
