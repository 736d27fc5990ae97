"""The PostgreSQL store (`postgresql://USER:PASSWORD@HOST:PORT/DATABASE`): one chain
shared by every host and process that writes to it (psycopg 3, `healthkb[postgres]`).

Appends are serialised by the database: each append is a transaction that first takes
`LOCK TABLE healthkb_audit_records IN EXCLUSIVE MODE` — a lock only one transaction
holds at a time (readers are not blocked) and that PostgreSQL releases at commit or
when the writer's connection dies — then reads the chain's head, inserts, and commits
with `synchronous_commit = on` (the commit is flushed to the write-ahead log on disk
before it is acknowledged). A second writer waits for the lock, then reads the head the
first one committed. The unique `sequence` key would refuse a second record at the same
place even if the lock were bypassed.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from ..files.on_demand import OnDemand, available
from .chain import AuditLogError
from .sql_store import RECORDS, SCHEMA, SCHEMA_VERSION, SqlStore, check_version, schema_statements


def _import_psycopg() -> ModuleType:
    import psycopg  # the optional extra `healthkb[postgres]`

    return psycopg


# Imported when a PostgreSQL store is first opened: every other command skips its cost.
psycopg: Any = OnDemand(_import_psycopg)

CONNECT_SECONDS = 10
# Any fixed number: the advisory lock that lets one process at a time lay out the tables.
_SCHEMA_LOCK = 0x6865616C74686B62


def display_name(location: str) -> str:
    """The location without its password, for messages."""
    parts = urllib.parse.urlsplit(location)
    if parts.password is None:
        return location
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


class PostgresStore(SqlStore):
    """An audit chain in a PostgreSQL database (its tables made by the first writer)."""

    _placeholder = "%s"

    def __init__(self, location: str) -> None:
        super().__init__(display_name(location))
        if not available(psycopg):
            raise AuditLogError(
                f"{self.name}: a PostgreSQL audit store needs psycopg: "
                "pip install 'healthkb[postgres]'"
            )
        self._location = location
        self._errors = (psycopg.Error,)

    def _connect(self, *, create: bool) -> Any:
        try:
            connection = psycopg.connect(self._location, connect_timeout=CONNECT_SECONDS)
        except psycopg.Error as error:
            raise AuditLogError(
                f"{self.name}: cannot connect to the audit store ({_first_line(error)})"
            ) from None
        try:
            connection.execute("SET synchronous_commit = on")
            if create:
                _create_schema(connection)
            _check_schema(connection, self.name)
            connection.commit()
        except BaseException:
            connection.close()
            raise
        return connection

    def _lock(self, cursor: Any) -> None:
        cursor.execute(f"LOCK TABLE {RECORDS} IN EXCLUSIVE MODE")

    def _read(self) -> Iterator[Any]:
        connection = self._connect(create=False)
        try:
            connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            connection.read_only = True
            with connection.cursor(name="healthkb_audit_read") as cursor:
                cursor.itersize = 1000
                yield cursor
        finally:
            with contextlib.suppress(psycopg.Error):
                connection.rollback()
            connection.close()

    def _missing_table(self, error: Exception) -> bool:
        return isinstance(error, psycopg.errors.UndefinedTable)

    def _error(self, error: Exception, doing: str) -> AuditLogError:
        text = _first_line(error)
        if isinstance(error, psycopg.errors.DiskFull):
            return AuditLogError(
                f"{self.name}: cannot {doing} ({text}); not logged, and the store is as it "
                "was before"
            )
        if isinstance(error, psycopg.OperationalError):
            return AuditLogError(
                f"{self.name}: cannot {doing}: the database is unreachable ({text}); not logged"
            )
        return AuditLogError(f"{self.name}: cannot {doing} ({text})")


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _create_schema(connection: Any) -> None:
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        for statement in schema_statements('TEXT COLLATE "C"', "BIGINT PRIMARY KEY"):
            connection.execute(statement)
        count = connection.execute(f"SELECT COUNT(*) FROM {SCHEMA}").fetchone()[0]
        if count == 0:
            connection.execute(f"INSERT INTO {SCHEMA} (version) VALUES (%s)", (SCHEMA_VERSION,))


def _check_schema(connection: Any, name: str) -> None:
    exists = connection.execute("SELECT to_regclass(%s)", (SCHEMA,)).fetchone()[0]
    if exists is None:
        raise AuditLogError(f"{name}: holds no healthkb audit chain")
    row = connection.execute(f"SELECT MAX(version) FROM {SCHEMA}").fetchone()
    check_version(row[0] if row else None, name)
