"""Which KB release gave an answer: a record's digest looked up in a KB's changelog.

`healthkb release` writes the released KB's digest into its changelog entry (and its
lock file), so the changelog of any later working copy maps each released digest to its
version. A digest that no entry names was an unreleased working copy.
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


def released_digests(changelog: Iterable[ReleasedEntry]) -> dict[str, str]:
    """digest -> version of every release whose entry names its digest."""
    return {entry.digest: entry.version for entry in changelog if entry.digest}


def release_of(digest: str, releases: Mapping[str, str]) -> str:
    """`release 0.2.0`, or `unreleased working copy`."""
    version = releases.get(digest)
    return f"release {version}" if version is not None else UNRELEASED
