"""Problems with a place, and the exceptions that carry them.

Checks never raise on the first problem: they collect `Problem`s, and the loader
raises one `KBError` holding all of them, sorted by place.

Every error the library raises on purpose derives from `HealthKBError` (the public
ones are exported from `healthkb`; the stage that raises each is in brackets)::

    HealthKBError
    ├── KBError                  a broken KB: `.problems`, sorted by place   [content]
    ├── ProfileError (ValueError) a bad profile: `.problems`                 [profiles]
    ├── EvaluationError          the step limit was hit                      [runtime]
    ├── UnknownConclusionError (KeyError)  explain/why-not of an unknown id  [results]
    ├── UnknownLanguageError (ValueError)  a language the KB does not speak  [content]
    ├── ShipmentError            a KB shipped to a worker does not match     [runtime]
    ├── AuditLogError            an audit store that cannot be used          [audit]
    │   └── UnknownRecordError   no record with that id
    ├── MissingData              FHIR data the KB needs is missing          [profiles]
    ├── AnalysisError            the analysis could not decide               [analysis]
    ├── ReleaseError             a release refused                           [editing]
    │   └── FailingCasesError    … because test cases fail
    ├── RevisionError, SideError a KB at a git revision that cannot be read  [editing]
    ├── BatchInputError, BatchOutputError, WorkerError, ClusterError         [batch]
    └── ServeError, AuthSetupError  the service cannot start as asked       [service]

Exceptions that never leave their module (a YAML limit hit while reading, a refused
JSON constant, a condition too complex for its normal form, a usage error of the
command line, a service problem document) are plain `Exception`s turned into
`Problem`s or problem documents where they are caught.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a file, at a line and column (both 1-based; 0 = unknown)."""

    file: str
    line: int
    column: int
    code: str
    message: str
    hint: str = field(default="", compare=False)
    see: tuple[str, ...] = field(default=(), compare=False)
    """Other places that matter, each `file:line:column (what is there)`: where a name
    used here is declared, the other rule of a conflict."""
    witness: dict[str, Any] | None = field(default=None, compare=False)
    """A profile that shows the problem when evaluated (an analysis finding's)."""

    def __str__(self) -> str:
        place = self.file
        if self.line:
            place = f"{place}:{self.line}:{self.column}"
        text = f"{place}: {self.code}: {self.message}"
        if self.hint:
            text = f"{text} ({self.hint})"
        return text + "".join(f"\n{line}" for line in self.detail_lines())

    def shown_from(self, place: Callable[[str], str]) -> Problem:
        """The problem with its file and its `see` places as `place` shows them (the
        command line: relative to the current folder, see cli/common.py)."""
        file = place(self.file) if self.file else self.file
        return replace(self, file=file, see=tuple(place(p) for p in self.see))

    def detail_lines(self) -> list[str]:
        """The lines under the problem's own: `  see: ...`, then `  witness: ...`."""
        lines = [f"  see: {place}" for place in self.see]
        if self.witness is not None:
            lines.append(
                f"  witness: {json.dumps(self.witness, sort_keys=True, ensure_ascii=False)}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }
        if self.see:
            data["see"] = list(self.see)
        if self.witness is not None:
            data["witness"] = self.witness
        return data


class HealthKBError(Exception):
    """Base class of every error this library raises on purpose."""


MAX_LISTED_PROBLEMS = 100
"""How many problems a message lists; the rest are counted ("... and 1,234 more")."""


class _ProblemsError(HealthKBError):
    def __init__(self, problems: Iterable[Problem], summary: str, more: int = 0) -> None:
        self.problems: list[Problem] = sorted(problems)
        self.more = more
        """Problems found beyond `problems`, counted but not described (see ProfileError)."""
        shown, hidden = listed(self)
        lines = "\n".join(str(p) for p in shown)
        if hidden:
            lines += f"\n{more_problems(hidden)}"
        super().__init__(f"{summary}:\n{lines}" if lines else summary)

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its problems, so it crosses to and from worker processes whole
        # (the default would call the class with the message text as its problems).
        return type(self), (self.problems,)


def listed(error: _ProblemsError) -> tuple[list[Problem], int]:
    """The problems of `error` to list (the first MAX_LISTED_PROBLEMS), and how many more
    there are: a file with 200,000 mistakes is not answered with 200,000 lines."""
    shown = error.problems[:MAX_LISTED_PROBLEMS]
    return shown, len(error.problems) - len(shown) + error.more


def more_problems(hidden: int) -> str:
    """The line that stands for problems not listed."""
    noun = "problem" if hidden == 1 else "problems"
    return f"... and {hidden:,} more {noun} (only the first {MAX_LISTED_PROBLEMS} are listed)"


class KBError(_ProblemsError):
    """A knowledge base could not be loaded; `.problems` lists everything wrong with it."""

    def __init__(
        self, problems: Iterable[Problem], more: int = 0, root: str | os.PathLike[str] | None = None
    ) -> None:
        problems = list(problems)
        count = len(problems) + more
        noun = "problem" if count == 1 else "problems"
        super().__init__(problems, f"the knowledge base has {count:,} {noun}", more)
        self.root = root
        """The KB folder the problems' files are relative to, when the raiser knew it."""


class ProfileError(_ProblemsError, ValueError):
    """An input profile does not fit the KB's fact vocabulary; `.problems` names each field.

    At most MAX_LISTED_PROBLEMS are described; `.more` counts the fields beyond them.
    """

    def __init__(self, problems: Iterable[Problem], more: int = 0) -> None:
        super().__init__(problems, "invalid profile", more)


class EvaluationError(HealthKBError):
    """An evaluation could not finish (for example, a runaway chain hit the step limit)."""


class UnknownConclusionError(HealthKBError, KeyError):
    """`explain` or `why_not` was asked about a conclusion id the KB does not declare."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown conclusion"


class UnknownLanguageError(HealthKBError, ValueError):
    """A language was asked for that is not a valid tag, or that the KB does not speak:
    the message says which, and names the KB's languages."""


def check_conclusion_id(value: object) -> None:
    """Refuse a conclusion id that is not text, the same way wherever one is asked for.

    >>> check_conclusion_id(3)
    Traceback (most recent call last):
    TypeError: a conclusion id (str) is expected; got int
    """
    if not isinstance(value, str):
        raise TypeError(f"a conclusion id (str) is expected; got {type(value).__name__}")


SHOWN_CHARACTERS = 60


def shorten(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """`text` whole when short; else its first `limit` characters and its length.

    Every message that echoes what an editor or an app wrote goes through here (or
    `shown`), so a megabyte of text in a value gives a readable problem, not a megabyte.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def shown(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """A value as messages show it (Python's repr), shortened like `shorten`.

    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… (100 characters)"
    >>> shown(10**5000)
    'a number of 5,001 digits'
    >>> shown([[[["low"]]]])
    '[[[[…]]]]'
    """
    return _shown(value, limit, 0)


SHOWN_DEPTH = 3
"""Collections nested deeper than this are shown as `[…]`: a profile from Python may
nest a list thousands deep, which item-by-item showing would recurse through."""


def _shown(value: object, limit: int, depth: int) -> str:
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool):
        # repr() itself refuses ints over 4,300 digits (and is slow well before that).
        digits = _digits(value)
        return repr(value) if digits <= limit else f"a number of {digits:,} digits"
    if isinstance(value, list | tuple | dict):
        return _shown_collection(value, limit, depth)
    try:
        text = repr(value)
    except Exception:
        # Only a value from Python gets here (YAML and JSON give the types above), and
        # its repr is the caller's code: a message about the value must not fail on it.
        text = f"a value of type {type(value).__name__}"
    return shorten(text, limit)


def _digits(number: int) -> int:
    number = abs(number)
    digits = max(1, int(number.bit_length() * 0.30102999566398120))
    while 10**digits <= number:
        digits += 1
    return digits


def _shown_collection(
    value: list[Any] | tuple[Any, ...] | dict[Any, Any], limit: int, depth: int
) -> str:
    """A list, tuple or mapping shown item by item (each item shortened) until `limit` is
    used, and as `[…]` below SHOWN_DEPTH levels."""
    if isinstance(value, dict):
        opening, closing = "{", "}"
    elif isinstance(value, tuple):
        opening, closing = "(", ")"
    else:
        opening, closing = "[", "]"
    if depth >= SHOWN_DEPTH and value:
        return f"{opening}…{closing}"
    inner = max(limit // 3, 10)
    if isinstance(value, dict):
        parts = (
            f"{_shown(k, inner, depth + 1)}: {_shown(v, inner, depth + 1)}"
            for k, v in value.items()
        )
    else:
        parts = (_shown(item, inner, depth + 1) for item in value)
    kept: list[str] = []
    used = 0
    for part in parts:
        if used >= limit:
            return f"{opening}{', '.join(kept)}, …{closing} ({len(value):,} items)"
        kept.append(part)
        used += len(part) + 2
    if isinstance(value, tuple) and len(kept) == 1:
        kept[0] += ","
    return f"{opening}{', '.join(kept)}{closing}"


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` is most likely a misspelling of, if any is close enough."""
    return _closest_among(word, tuple(sorted(set(choices))))


def _closest_among(word: str, options: tuple[str, ...]) -> str | None:
    """`closest` for choices already sorted and without repeats."""
    if len(word) > _REMEMBERED_WORD:
        return _closest_match(word, options)
    return _remembered_match(word, options)


# A name misspelt once is often misspelt everywhere it is used (a fact renamed in
# kb/facts.yaml and not in the 10,000 rules that test it): difflib takes about a
# millisecond against a few hundred names, so each (word, choices) is matched once.
# Long words (hostile requests) are not kept: the memory stays small. (docs/performance.md,
# "A name misspelt in every rule").
_REMEMBERED_WORD = 200


def _closest_match(word: str, options: tuple[str, ...]) -> str | None:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return close[0] if close else None


_remembered_match = functools.lru_cache(maxsize=1024)(_closest_match)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = tuple(sorted(set(choices)))
    close = _closest_among(word, options)
    if close is not None:
        return f"did you mean `{close}`?"
    if not options:
        return ""
    shown = ", ".join(f"`{o}`" for o in options[:12])
    more = ", ..." if len(options) > 12 else ""
    return f"expected one of {shown}{more}"
