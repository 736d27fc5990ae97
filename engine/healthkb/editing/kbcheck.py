"""Every problem of a KB and of its test cases, at once: what `validate` and `release` check.

The KB's own checks (files, quotes, references, versions, which rules can fire) and
its test cases (`kb/tests/*.yaml`) are independent: a rule whose version was not
raised does not stop a misspelt conclusion in a test case from being reported. Test
cases are checked whenever the files they are checked against (the vocabulary, the
conclusions, every rule file) could be read, whatever else is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..content.loader import KBContent, check_content
from ..content.placed import Placed
from ..errors import KBError, Problem
from .cases import TestCase, check_cases


@dataclass(frozen=True)
class KBCheck:
    """A KB's problems with those of its test cases, sorted by place.

    `content` and `cases` are what could be read; use them only when `problems` is
    empty (see `checked`).
    """

    content: KBContent | None
    cases: list[Placed[TestCase]]
    problems: list[Problem]


def check_kb(root: str | Path | None = None) -> KBCheck:
    """Check the KB under `root` (default: the bundled one) and its test cases."""
    checked = check_content(root)
    # A pending version bump is a problem here: validate and release refuse it.
    problems = [*checked.problems, *checked.pending]
    cases: list[Placed[TestCase]] = []
    if checked.content is not None:
        try:
            cases = check_cases(checked.content)
        except KBError as error:
            problems += error.problems
    return KBCheck(checked.content, cases, sorted(problems))


def checked(root: str | Path | None = None) -> tuple[KBContent, list[Placed[TestCase]]]:
    """The KB's content and test cases; raises one `KBError` listing every problem."""
    check = check_kb(root)
    if check.problems or check.content is None:
        raise KBError(check.problems)
    return check.content, check.cases
