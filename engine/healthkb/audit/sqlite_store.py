"""The SQLite store (`sqlite:///PATH`): one chain in one database file, on one host.

Appends are serialised by SQLite itself: each append is a `BEGIN IMMEDIATE`
transaction, which takes the database's one writer lock before it reads the chain's
head, so two writers (threads or processes) never chain after the same record; a
writer waits for the lock up to `BUSY_SECONDS`. The database is in WAL mode with
`synchronous=FULL`, so a committed append is on the disk, and readers (verify, list)
read a snapshot without holding writers up.
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .chain import AuditLogError
from .sql_store import SCHEMA, SCHEMA_VERSION, SqlStore, check_version, schema_statements

BUSY_SECONDS = 60.0


class SqliteStore(SqlStore):
    """An audit chain in an SQLite database file (created by the first append)."""

    _errors = (sqlite3.Error,)

    def __init__(self, location: str, path: Path) -> None:
        super().__init__(location)
        self.path = path

    def _connect(self, *, create: bool) -> Any:
        if not create and not self.path.exists():
            raise AuditLogError(f"{self.name}: no such audit store ({self.path} does not exist)")
        if create and not self.path.parent.is_dir():
            raise AuditLogError(
                f"{self.name}: cannot create the audit store (no folder {self.path.parent})"
            )
        if self.path.exists() and not self.path.is_file():
            raise AuditLogError(f"{self.name}: not-a-file: {self.path} is not a regular file")
        mode = "rwc" if create else "ro"
        uri = f"file:{urllib.parse.quote(str(self.path))}?mode={mode}"
        connection = sqlite3.connect(
            uri, uri=True, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute("PRAGMA synchronous=FULL")
            if create:
                connection.execute("PRAGMA journal_mode=WAL")
                _create_schema(connection)
            _check_schema(connection, self.name)
        except BaseException:
            connection.close()
            raise
        return connection

    def _lock(self, cursor: Any) -> None:
        cursor.execute("BEGIN IMMEDIATE")

    def _read(self) -> Iterator[Any]:
        connection = self._connect(create=False)
        try:
            cursor = connection.cursor()
            cursor.execute("BEGIN")  # one snapshot for the whole read
            yield cursor
        finally:
            with contextlib.suppress(sqlite3.Error):
                connection.rollback()
            connection.close()

    def _missing_table(self, error: Exception) -> bool:
        return "no such table" in str(error)

    def _error(self, error: Exception, doing: str) -> AuditLogError:
        text = str(error)
        if "disk is full" in text or "disk I/O error" in text:
            return AuditLogError(
                f"{self.name}: cannot {doing} ({text}); not logged, and the store is as it "
                "was before"
            )
        if "not a database" in text:
            return AuditLogError(f"{self.name}: not an SQLite audit store ({text})")
        return AuditLogError(f"{self.name}: cannot {doing} ({text})")


def _create_schema(connection: sqlite3.Connection) -> None:
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in schema_statements("TEXT", "INTEGER PRIMARY KEY"):
            connection.execute(statement)
        if connection.execute(f"SELECT COUNT(*) FROM {SCHEMA}").fetchone()[0] == 0:
            connection.execute(f"INSERT INTO {SCHEMA} (version) VALUES (?)", (SCHEMA_VERSION,))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _check_schema(connection: sqlite3.Connection, name: str) -> None:
    try:
        row = connection.execute(f"SELECT MAX(version) FROM {SCHEMA}").fetchone()
    except sqlite3.OperationalError:
        raise AuditLogError(f"{name}: holds no healthkb audit chain") from None
    check_version(row[0] if row else None, name)
