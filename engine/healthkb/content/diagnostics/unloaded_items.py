"""What failed to load, so that what refers to it is not reported again.

A source file with a typo fails with its own problems; each of the many citations of
that source would otherwise add an "unknown source" problem of its own, burying the
one mistake under consequences of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Unloaded:
    """Items of files that failed to load: references to them are not reported again.

    `ids` are the ids still readable from such files' raw data; `unnamed` is true when
    some failed item's id cannot be read (a YAML syntax error, say), so any unknown id
    may be that item.
    """

    ids: frozenset[str] = frozenset()
    unnamed: bool = False

    @classmethod
    def of(cls, failed: list[Any], items: Callable[[Any], Any]) -> Unloaded:
        """From the raw data of failed files (None: unreadable) and how to list its items."""
        ids: set[str] = set()
        unnamed = False
        for data in failed:
            found = items(data) if data is not None else None
            if not isinstance(found, list):
                unnamed = True
                continue
            for item in found:
                item_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(item_id, str):
                    ids.add(item_id)
                else:
                    unnamed = True
        return cls(frozenset(ids), unnamed)

    def covers(self, item_id: str) -> bool:
        """Whether `item_id` may name an item that failed to load."""
        return self.unnamed or item_id in self.ids


NOTHING_UNLOADED = Unloaded()
