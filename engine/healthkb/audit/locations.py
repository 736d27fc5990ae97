"""A store from its location: a file path, `sqlite:///PATH` or `postgresql://…`."""

from __future__ import annotations

import re
from pathlib import Path

from .chain import AuditLogError
from .file_store import FileStore
from .postgres_store import PostgresStore
from .sqlite_store import SqliteStore
from .store import POSTGRES_PREFIXES, SQLITE_PREFIX, Store

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def open_store(location: str | Path) -> Store:
    """The store a location names (nothing is opened or connected until it is used).

    >>> open_store("audit.jsonl").name, open_store("sqlite:///audit.db").name
    ('audit.jsonl', 'sqlite:///audit.db')
    """
    if isinstance(location, Path):
        return FileStore(location)
    if location.startswith(SQLITE_PREFIX):
        path = location[len(SQLITE_PREFIX) :]
        if not path:
            raise AuditLogError(f"{location}: give the database file: sqlite:///PATH")
        return SqliteStore(location, Path(path))
    if location.startswith(POSTGRES_PREFIXES):
        return PostgresStore(location)
    scheme = _SCHEME.match(location)
    if scheme is not None and not Path(location).exists():
        raise AuditLogError(
            f"{location}: unknown kind of audit store `{scheme.group(0)}` (give a file path, "
            "sqlite:///PATH or postgresql://USER@HOST/DATABASE)"
        )
    return FileStore(location)
