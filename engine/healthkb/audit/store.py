"""Where an audit chain is kept: a JSON Lines file, an SQLite file or a PostgreSQL database.

A store is named by a location: a file path (JSON Lines, as always), `sqlite:///PATH`
(PATH relative to the current folder; `sqlite:////abs/path` for an absolute one) or
`postgresql://USER:PASSWORD@HOST:PORT/DATABASE`. Every store holds one chain, each
record as the very line the file store would write (so the hashes, the checkpoints and
every check are the same), and serialises its appends itself: the file by an exclusive
`flock`, SQLite by `BEGIN IMMEDIATE` (its one writer lock), PostgreSQL by an exclusive
lock on the records table taken inside the appending transaction (docs/auditors.md).

The database stores also index each record (time, KB version and digest, input id,
conclusions, rules) so that an auditor's filtered list does not read the whole chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .chain import Line, Record

if TYPE_CHECKING:
    from .filters import Filters

SQLITE_PREFIX = "sqlite:///"
POSTGRES_PREFIXES = ("postgresql://", "postgres://")

Build = Callable[[int, str], Record]
"""Builds the record at a sequence number, given the `previous` hash of the line before."""
Sign = Callable[[int, str], "Record | None"]
"""Called with each appended record's sequence number and line hash, in order, while the
store is still locked: the checkpoint to append after it, if one is due."""


@dataclass(frozen=True)
class Stored:
    """One record as a store gives it back: its place in the chain and its line."""

    number: int
    """Its line number (file) or its position in the chain (database), 1-based."""
    data: bytes
    """The record's line as written, without the newline."""


class Store(Protocol):
    """What the audit log needs of the place its chain is kept."""

    @property
    def name(self) -> str:
        """The store as messages name it (a path, or a URL without its password)."""
        ...

    @property
    def checkpoints_name(self) -> str:
        """Where the store's signed checkpoints are, as messages name it."""
        ...

    def open(self) -> None:
        """Check now that records can be appended (connect, check the schema): what
        `serve` does before it starts; AuditLogError if not."""
        ...

    def close(self) -> None:
        """Let go of what is held open between appends (a database connection); the
        store opens it again if used."""
        ...

    def lines(self) -> Iterator[Line]:
        """Every record's line, in the chain's order, as it was when the read began."""
        ...

    def append(self, builds: list[Build], sign: Sign) -> list[Record]:
        """Build each record after the chain's head and write them all, durably, or none."""
        ...

    def sign_head(self, sign: Callable[[int, str], Record]) -> Record:
        """Sign the chain's last record now (`sign(sequence, line hash)`), append the
        checkpoint and return it; AuditLogError if the store is empty."""
        ...

    def add_checkpoints(self, checkpoints: list[Record]) -> None:
        """Append checkpoints signed elsewhere (a chain being copied), durably."""
        ...

    def checkpoint_lines(self) -> Iterator[tuple[int, bytes]]:
        """(number, line) of every signed checkpoint, in the order they were appended."""
        ...

    def select(self, filters: Filters) -> Iterator[Stored]:
        """The records that may match `filters`, in the chain's order (a database store
        answers from its index; the caller checks each record against the filters)."""
        ...

    def keep_kb(self, digest: str, copy: bytes) -> None:
        """Keep the copy of the KB with this digest (kb_copies.py), durably, unless the
        store holds one already."""
        ...

    def kept_kb(self, digest: str) -> bytes | None:
        """The store's copy of the KB with this digest, if it holds one."""
        ...


def is_database(location: str) -> bool:
    """Whether a location names a database store rather than a JSON Lines file."""
    return location.startswith((SQLITE_PREFIX, *POSTGRES_PREFIXES))
