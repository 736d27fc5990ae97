"""Validated items that remember the file and YAML path they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import Problem
from ..files.yaml_reader import Located, PathKey

T = TypeVar("T")


@dataclass(frozen=True)
class Placed(Generic[T]):
    """An item, the file it was read from, and its path inside that file."""

    item: T
    located: Located
    path: PathKey

    @property
    def file(self) -> str:
        return self.located.file

    def problem(self, code: str, message: str, hint: str = "", *more: str | int) -> Problem:
        """A problem at this item, or at `more` path steps below it."""
        return self.located.problem((*self.path, *more), code, message, hint)

    def child(self, item: object, *more: str | int) -> Placed[object]:
        return Placed(item, self.located, (*self.path, *more))
