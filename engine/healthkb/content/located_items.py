"""Validated items that remember the file and YAML path they came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import Problem
from ..files.yaml_reader import Located, PathKey

T = TypeVar("T")


@dataclass(frozen=True, init=False)
class Placed(Generic[T]):
    """An item, the file it was read from, and its path inside that file."""

    item: T
    located: Located
    path: PathKey

    def __init__(self, item: T, located: Located, path: PathKey) -> None:
        # What the frozen dataclass's own `__init__` does, written into the instance's
        # `__dict__` at once rather than through `object.__setattr__` field by field:
        # a load makes one per rule and more for the checks (21,600 for the generated
        # 10,000-rule KB), and this takes 0.6x the time (docs/performance.md,
        # "Validating the rules, again").
        fields = self.__dict__
        fields["item"] = item
        fields["located"] = located
        fields["path"] = path

    @property
    def file(self) -> str:
        return self.located.file

    def problem(self, code: str, message: str, hint: str = "", *more: str | int) -> Problem:
        """A problem at this item, or at `more` path steps below it."""
        return self.located.problem((*self.path, *more), code, message, hint)

    def child(self, item: object, *more: str | int) -> Placed[object]:
        return Placed(item, self.located, (*self.path, *more))
