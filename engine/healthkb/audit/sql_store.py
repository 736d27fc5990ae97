"""What the SQLite and PostgreSQL stores share: the tables, appends, reads and indexes.

A record is kept as its line exactly as the file store writes it (`line`, the truth that
the hashes cover) beside the columns that index it (sequence, record id, time, KB,
input id) and one row per conclusion and per fired rule, so that `audit list` asks the
database instead of reading the chain. The index is never trusted: every record read
back is parsed from its line and checked.

An append is one transaction: take the store's writer lock (sqlite_store.py,
postgres_store.py say how), read the chain's head, insert the records, their index rows
and any checkpoint due, commit (durably: fsync on). A writer that dies before the commit
leaves nothing; one that dies after it has its records acknowledged and kept.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from ..results.cds_cards import card_uuid
from .chain import FEEDBACK, GENESIS, AuditLogError, Line, Record, canonical, line_hash
from .filters import Filters, index_entry
from .records import record_line
from .store import Build, Sign, Stored

SCHEMA_VERSION = 1
"""The layout of the tables below; a store written by a newer layout is refused."""

RECORDS = "healthkb_audit_records"
CONCLUSIONS = "healthkb_audit_conclusions"
RULES = "healthkb_audit_rules"
CHECKPOINTS = "healthkb_audit_checkpoints"
SCHEMA = "healthkb_audit_schema"
KBS = "healthkb_audit_kbs"

_COLUMNS = "sequence, record_id, time, kind, kb_id, kb_version, kb_digest, input_id, line"


def schema_statements(text: str, key: str) -> list[str]:
    """The tables and indexes of a store (`text`: the dialect's text column type, `key`:
    its integer primary key)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {SCHEMA} (version INTEGER NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {RECORDS} (sequence {key}, record_id {text} NOT NULL, "
        f"time {text} NOT NULL, kind {text} NOT NULL, kb_id {text} NOT NULL, "
        f"kb_version {text} NOT NULL, kb_digest {text} NOT NULL, input_id {text}, "
        "line TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {RECORDS}_time ON {RECORDS} (time)",
        f"CREATE INDEX IF NOT EXISTS {RECORDS}_record ON {RECORDS} (record_id)",
        f"CREATE INDEX IF NOT EXISTS {RECORDS}_input ON {RECORDS} (input_id)",
        f"CREATE INDEX IF NOT EXISTS {RECORDS}_version ON {RECORDS} (kb_version, time)",
        f"CREATE INDEX IF NOT EXISTS {RECORDS}_digest ON {RECORDS} (kb_digest, time)",
        f"CREATE TABLE IF NOT EXISTS {CONCLUSIONS} (conclusion {text} NOT NULL, "
        f"sequence BIGINT NOT NULL, card {text} NOT NULL, PRIMARY KEY (conclusion, sequence))",
        f"CREATE INDEX IF NOT EXISTS {CONCLUSIONS}_card ON {CONCLUSIONS} (card)",
        f"CREATE TABLE IF NOT EXISTS {RULES} (rule {text} NOT NULL, "
        "sequence BIGINT NOT NULL, PRIMARY KEY (rule, sequence))",
        f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (number {key}, line TEXT NOT NULL)",
        # Added to layout 1 without changing it: a store without it holds no KB copies.
        f"CREATE TABLE IF NOT EXISTS {KBS} (digest {text} PRIMARY KEY, copy TEXT NOT NULL)",
    ]


class SqlStore:
    """The shared half of a database store; a dialect gives connections and the lock."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._connection: Any = None
        self._pid = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def checkpoints_name(self) -> str:
        return f"{self._name} (table {CHECKPOINTS})"

    # --- what a dialect provides ---------------------------------------------------

    def _connect(self, *, create: bool) -> Any:
        """A new connection in which the schema is there (made, if `create`) and known."""
        raise NotImplementedError

    def _lock(self, cursor: Any) -> None:
        """Start the appending transaction holding the store's one writer lock."""
        raise NotImplementedError

    def _read(self) -> Iterator[Any]:
        """A cursor over a snapshot of the store, closed when the iteration ends."""
        raise NotImplementedError

    def _error(self, error: Exception, doing: str) -> AuditLogError:
        """A database error as the message an operator reads."""
        raise NotImplementedError

    _errors: tuple[type[Exception], ...] = ()
    _placeholder = "?"

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self._placeholder)

    # --- the store -----------------------------------------------------------------

    def open(self) -> None:
        try:
            self._writer()
        except self._errors as error:  # a full disk while making the tables, say
            self._drop_connection()
            raise self._error(error, "open the audit store") from None

    def _writer(self) -> Any:
        """The writer's connection: one per process (a forked worker makes its own)."""
        if self._connection is None or self._pid != os.getpid():
            self._connection = self._connect(create=True)
            self._pid = os.getpid()
        return self._connection

    def _transaction(self, work: Callable[[Any], Any], doing: str) -> Any:
        """`work(cursor)` in one locked transaction, committed; rolled back on any error."""
        try:
            connection = self._writer()
            cursor = connection.cursor()
            try:
                self._lock(cursor)
                outcome = work(cursor)
                connection.commit()
                return outcome
            except BaseException:
                _rollback(connection)
                raise
        except self._errors as error:
            self._drop_connection()
            raise self._error(error, doing) from None

    def close(self) -> None:
        # An sqlite3 connection refers to itself (its statement cache), so it is freed
        # only when the cyclic collector runs: a command closes it when it is done, and
        # an SQLite store's write-ahead log is folded into the database file then.
        self._drop_connection()

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(*self._errors):
                connection.close()

    def append(self, builds: list[Build], sign: Sign) -> list[Record]:
        def work(cursor: Any) -> list[Record]:
            sequence, previous = self._head(cursor)
            records, lines, checkpoints = [], [], []
            for offset, build in enumerate(builds):
                record = build(sequence + offset, previous)
                line = record_line(record, self.name)
                previous = line_hash(line)
                records.append(record)
                lines.append(line)
                checkpoint = sign(sequence + offset, previous)
                if checkpoint is not None:
                    checkpoints.append(checkpoint)
            self._insert(cursor, records, lines)
            for checkpoint in checkpoints:
                self._insert_checkpoint(cursor, checkpoint)
            return records

        records: list[Record] = self._transaction(work, "write the audit record")
        return records

    def sign_head(self, sign: Callable[[int, str], Record]) -> Record:
        def work(cursor: Any) -> Record:
            following, head = self._head(cursor)
            if following == 1:
                raise AuditLogError(f"{self.name}: the log is empty: nothing to checkpoint")
            checkpoint = sign(following - 1, head)
            self._insert_checkpoint(cursor, checkpoint)
            return checkpoint

        checkpoint: Record = self._transaction(work, "write the checkpoint")
        return checkpoint

    def add_checkpoints(self, checkpoints: list[Record]) -> None:
        def work(cursor: Any) -> None:
            for checkpoint in checkpoints:
                self._insert_checkpoint(cursor, checkpoint)

        self._transaction(work, "write the checkpoints")

    def _head(self, cursor: Any) -> tuple[int, str]:
        cursor.execute(f"SELECT sequence, line FROM {RECORDS} ORDER BY sequence DESC LIMIT 1")
        row = cursor.fetchone()
        if row is None:
            return 1, GENESIS
        return int(row[0]) + 1, line_hash(str(row[1]).encode("utf-8"))

    def _insert(self, cursor: Any, records: list[Record], lines: list[bytes]) -> None:
        """The records' rows and index rows, one statement per table for the group."""
        rows, conclusions, rules = index_rows(records, lines)
        inserts = (
            (f"INSERT INTO {RECORDS} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows),
            (
                f"INSERT INTO {CONCLUSIONS} (conclusion, sequence, card) VALUES (?, ?, ?)",
                conclusions,
            ),
            (f"INSERT INTO {RULES} (rule, sequence) VALUES (?, ?)", rules),
        )
        for statement, values in inserts:
            if values:
                cursor.executemany(self._sql(statement), values)

    def _insert_checkpoint(self, cursor: Any, checkpoint: Record) -> None:
        cursor.execute(
            self._sql(
                f"INSERT INTO {CHECKPOINTS} (number, line) VALUES "
                f"((SELECT COALESCE(MAX(number), 0) + 1 FROM {CHECKPOINTS}), ?)"
            ),
            (canonical(checkpoint).decode("utf-8"),),
        )

    def lines(self) -> Iterator[Line]:
        try:
            for cursor in self._read():
                cursor.execute(f"SELECT line FROM {RECORDS} ORDER BY sequence")
                for number, (text,) in enumerate(cursor, start=1):
                    data = str(text).encode("utf-8")
                    yield Line(number, data, len(data), torn=False)
        except self._errors as error:
            raise self._error(error, "read the audit log") from None

    def checkpoint_lines(self) -> Iterator[tuple[int, bytes]]:
        try:
            for cursor in self._read():
                cursor.execute(f"SELECT number, line FROM {CHECKPOINTS} ORDER BY number")
                for number, text in cursor:
                    yield int(number), str(text).encode("utf-8")
        except self._errors as error:
            raise self._error(error, "read the checkpoints") from None

    def select(self, filters: Filters) -> Iterator[Stored]:
        where, values = _where(filters)
        statement = self._sql(
            f"SELECT r.sequence, r.line FROM {RECORDS} r{where} ORDER BY r.sequence"
        )
        try:
            for cursor in self._read():
                cursor.execute(statement, values)
                for sequence, text in cursor:
                    yield Stored(int(sequence), str(text).encode("utf-8"))
        except self._errors as error:
            raise self._error(error, "read the audit log") from None

    def keep_kb(self, digest: str, copy: bytes) -> None:
        def work(cursor: Any) -> None:
            cursor.execute(
                self._sql(f"INSERT INTO {KBS} (digest, copy) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                (digest, copy.decode("utf-8")),
            )

        self._transaction(work, "keep the KB's copy")

    def kept_kb(self, digest: str) -> bytes | None:
        try:
            for cursor in self._read():
                cursor.execute(self._sql(f"SELECT copy FROM {KBS} WHERE digest = ?"), (digest,))
                row = cursor.fetchone()
                return None if row is None else str(row[0]).encode("utf-8")
        except self._errors as error:
            if self._missing_table(error):
                return None  # a store written before stores kept KB copies
            raise self._error(error, "read the KB copies") from None
        return None

    def _missing_table(self, error: Exception) -> bool:
        """Whether the error says a table does not exist."""
        raise NotImplementedError


Rows = list[tuple[Any, ...]]


def index_rows(records: list[Record], lines: list[bytes]) -> tuple[Rows, Rows, Rows]:
    """The rows of the records table (`_COLUMNS`), and of the conclusions (conclusion,
    sequence, card) and rules (rule, sequence) tables, for records and their lines."""
    rows, conclusions, rules = [], [], []
    for record, line in zip(records, lines, strict=True):
        entry = index_entry(record)
        rows.append(
            (
                entry.sequence,
                entry.record_id,
                entry.time,
                entry.kind,
                entry.kb_id,
                entry.kb_version,
                entry.kb_digest,
                entry.input_id,
                line.decode("utf-8"),
            )
        )
        if entry.kind != FEEDBACK:
            conclusions += [
                (c, entry.sequence, card_uuid(entry.record_id, c)) for c in entry.conclusions
            ]
        rules += [(rule, entry.sequence) for rule in entry.rules]
    return rows, conclusions, rules


def _where(filters: Filters) -> tuple[str, list[Any]]:
    """The WHERE clause answering `filters` from the indexes, and its values."""
    clauses: list[str] = []
    values: list[Any] = []

    def add(clause: str, *given: Any) -> None:
        clauses.append(clause)
        values.extend(given)

    if filters.since is not None:
        add("r.time >= ?", filters.since)
    if filters.until is not None:
        add("r.time < ?", filters.until)
    if filters.kb_version is not None:
        add("r.kb_version = ?", filters.kb_version)
    if filters.digest is not None:
        # A digest's start: `sha256:` and hexadecimal digits all sort before `~`.
        add("r.kb_digest >= ? AND r.kb_digest < ?", filters.digest, filters.digest + "~")
    if filters.input_id is not None:
        add("r.input_id = ?", filters.input_id)
    if filters.conclusion is not None:
        # EXISTS, a lookup of the (conclusion, sequence) key per candidate: the other
        # filters (a day, an input) choose the rows, not a conclusion most answers reach.
        add(
            f"EXISTS (SELECT 1 FROM {CONCLUSIONS} c WHERE c.conclusion = ? "
            "AND c.sequence = r.sequence)",
            filters.conclusion,
        )
    if filters.record is not None:
        add(
            f"(r.record_id = ? OR r.sequence IN (SELECT sequence FROM {CONCLUSIONS} "
            "WHERE card = ?))",
            filters.record,
            filters.record,
        )
    if filters.rule is not None:
        add(
            f"EXISTS (SELECT 1 FROM {RULES} f WHERE f.rule = ? AND f.sequence = r.sequence)",
            filters.rule,
        )
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), values


def check_version(version: int | None, name: str) -> None:
    """Refuse a store whose tables a newer healthkb laid out."""
    if version is None:
        raise AuditLogError(f"{name}: holds no healthkb audit chain")
    if int(version) > SCHEMA_VERSION:
        raise AuditLogError(
            f"{name}: written by a newer healthkb (store schema {version}; this one knows "
            f"schema {SCHEMA_VERSION}): upgrade healthkb to read or append to it"
        )


def _rollback(connection: Any) -> None:
    # The connection may be gone; the error that broke it is the one raised.
    with contextlib.suppress(Exception):
        connection.rollback()
