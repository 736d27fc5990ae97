"""Validated items that remember the file and YAML path they came from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from ..errors import Problem
from ..files.yaml_reader import Located, PathKey
from .rule_model import AllCondition, AnyCondition, Comparison, Condition, NotCondition

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


def walk_comparisons(condition: Condition, path: PathKey) -> Iterator[tuple[Comparison, PathKey]]:
    """Every comparison of a `when` tree with its YAML path."""
    if isinstance(condition, Comparison):
        yield condition, path
    elif isinstance(condition, NotCondition):
        yield from walk_comparisons(condition.not_, (*path, "not"))
    elif isinstance(condition, AllCondition):
        for i, child in enumerate(condition.all):
            yield from walk_comparisons(child, (*path, "all", i))
    elif isinstance(condition, AnyCondition):
        for i, child in enumerate(condition.any):
            yield from walk_comparisons(child, (*path, "any", i))
