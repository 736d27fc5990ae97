"""Problems with a place, and the exceptions that carry them.

Checks never raise on the first problem: they collect `Problem`s, and the loader
raises one `KBError` holding all of them, sorted by place.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a file, at a line and column (both 1-based; 0 = unknown)."""

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str = field(default="", compare=False)

    def __str__(self) -> str:
        place = self.file
        if self.line:
            place = f"{place}:{self.line}:{self.column}"
        text = f"{place}: {self.code}: {self.message}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return text

    def to_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class HealthKBError(Exception):
    """Base class of every error this library raises on purpose."""


class _ProblemsError(HealthKBError):
    def __init__(self, problems: Iterable[Problem], summary: str) -> None:
        self.problems: list[Problem] = sorted(problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{summary}:\n{lines}" if lines else summary)


class KBError(_ProblemsError):
    """A knowledge base could not be loaded; `.problems` lists everything wrong with it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        problems = list(problems)
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(problems, f"the knowledge base has {count} {noun}")


class ProfileError(_ProblemsError, ValueError):
    """An input profile does not fit the KB's fact vocabulary; `.problems` names each field."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__(problems, "invalid profile")


class EvaluationError(HealthKBError):
    """An evaluation could not finish (for example, a runaway chain hit the step limit)."""


class UnknownConclusionError(HealthKBError, KeyError):
    """`explain` or `why_not` was asked about a conclusion id the KB does not declare."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown conclusion"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    if not options:
        return ""
    shown = ", ".join(f"`{o}`" for o in options[:12])
    more = ", ..." if len(options) > 12 else ""
    return f"expected one of {shown}{more}"
