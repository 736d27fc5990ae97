"""Where each value of a YAML file is, kept in the shape of the data rather than by path.

A 10,000-rule KB has some 400,000 values. Keying each value's line and column by its
whole path (a tuple per value, hashed on the way in) cost a third of reading the files.
`PlaceTree` keeps the places beside the data instead: one small dict per mapping (key
to place) and one list per sequence, nested as the data is. Looking a path up walks it,
step by step, only when a place is asked for (a problem to locate, an item's place).
It reads as the mapping of path to place it replaces: `tree[path]`, `path in tree`,
and iterating gives every path, in the order the file gives them.

Its fast paths, and why they give the same answer: docs/performance.md,
"The YAML files at PyYAML's pace".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

PathKey = tuple[str | int, ...]
Place = tuple[int, int]

Entry = tuple[int, int, "Marks"] | int
"""A value's line and column (both 0 where it has no place of its own) and the places
inside it (None for a scalar); or, for a scalar whose line says its column (the tree's
`columns`), its line alone: `yaml_lines.py` makes no tuple for most of its values."""

Marks = dict[str, Entry] | list[Entry] | None
"""The places of the values inside a mapping (by key) or a sequence (by index)."""


class PlaceTree(Mapping[PathKey, Place]):
    """Line and column (1-based) of every value of one file, by its path in the data."""

    __slots__ = ("_columns", "_flat", "_root", "_root_place")

    def __init__(
        self, root_place: Place, root: Marks, columns: Callable[[int], int] | None = None
    ) -> None:
        self._root_place = root_place
        self._root = root
        self._columns = columns or _no_columns
        """The column of the value placed by its line alone (an `int` entry) on a line."""
        self._flat: dict[PathKey, Place] | None = None

    def __getitem__(self, path: PathKey) -> Place:
        place = self.nearest(path, exact=True)
        if place is None:
            raise KeyError(path)
        return place

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self.nearest(path, exact=True) is not None

    def nearest(self, path: PathKey, *, exact: bool = False) -> Place | None:
        """The place of the value at `path`, or (unless `exact`) of its nearest enclosing
        value that has one; None when there is none."""
        place: Place | None = self._root_place
        found = place
        marks = self._root
        for step in path:
            entry: Entry | None = None
            if type(marks) is dict:
                entry = marks.get(step) if isinstance(step, str) else None
            elif isinstance(marks, list) and isinstance(step, int) and 0 <= step < len(marks):
                entry = marks[step]
            if entry is None:
                return None if exact else found
            if isinstance(entry, int):
                line, column, marks = entry, self._columns(entry), None
            else:
                line, column, marks = entry
            place = (line, column) if line else None
            found = place or found
        return place if exact else found

    def _flattened(self) -> dict[PathKey, Place]:
        if self._flat is None:
            flat: dict[PathKey, Place] = {(): self._root_place}
            _flatten(self._root, (), flat, self._columns)
            self._flat = flat
        return self._flat

    def __iter__(self) -> Iterator[PathKey]:
        return iter(self._flattened())

    def __len__(self) -> int:
        return len(self._flattened())


def _flatten(
    marks: Marks, path: PathKey, flat: dict[PathKey, Place], columns: Callable[[int], int]
) -> None:
    items = marks.items() if isinstance(marks, dict) else enumerate(marks or ())
    for step, entry in items:
        here = (*path, step)
        if isinstance(entry, int):
            flat[here] = (entry, columns(entry))
            continue
        line, column, inner = entry
        if line:
            flat[here] = (line, column)
        if inner is not None:
            _flatten(inner, here, flat, columns)


def _no_columns(line: int) -> int:
    raise TypeError(f"no column for a value placed by its line alone ({line})")
