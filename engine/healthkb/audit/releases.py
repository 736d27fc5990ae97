"""Which KB release gave an answer: a record's digest looked up in a KB's changelog.

`healthkb release` writes the released KB's digest into its changelog entry and, sealed,
into its lock file, so the changelog of any later working copy maps each released digest
to its version, and the lock names the latest release's. A digest that none of them
names was an unreleased working copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

UNRELEASED = "unreleased working copy"


class ReleasedEntry(Protocol):
    """A changelog entry (content/model.py's `ChangelogEntry`)."""

    @property
    def version(self) -> str: ...
    @property
    def digest(self) -> str | None: ...


class SealedLock(Protocol):
    """A KB's lock (content/versioning/lock.py's `LockFile`), sealed by `release`."""

    @property
    def kb_version(self) -> str: ...
    @property
    def release_digest(self) -> str | None: ...


def released_digests(
    changelog: Iterable[ReleasedEntry], lock: SealedLock | None = None
) -> dict[str, str]:
    """digest -> version of every release whose changelog entry names its digest, and of
    the release the lock was sealed for (its digest is sealed in the lock: it holds where
    a changelog entry was edited or lost)."""
    found = {entry.digest: entry.version for entry in changelog if entry.digest}
    if lock is not None and lock.release_digest:
        found[lock.release_digest] = lock.kb_version
    return found


def release_of(digest: str, releases: Mapping[str, str]) -> str:
    """`release 0.2.0`, or `unreleased working copy`."""
    version = releases.get(digest)
    return f"release {version}" if version is not None else UNRELEASED
