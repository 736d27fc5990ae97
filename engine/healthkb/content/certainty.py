"""Certainty: a conclusion is never stated more strongly than its sources' wording.

"may", "could" in a quoted passage make a conclusion at most `possible`; "likely",
"usually" at most `likely`; and a hedged conclusion's statement must say so too.
"""

from __future__ import annotations

import re

from ..errors import Problem
from .model import CERTAINTY_RANK, Conclusion
from .placed import Placed

_HEDGES = {
    "possible": re.compile(r"\b(may|might|could|possibly|perhaps)\b", re.IGNORECASE),
    "likely": re.compile(r"\b(likely|probably|usually|often|tends? to)\b", re.IGNORECASE),
}


def check_certainty(conclusion: Placed[Conclusion]) -> list[Problem]:
    """A conclusion is never stated more strongly than the wording of its sources."""
    item = conclusion.item
    strongest = "established"
    weakest_quote = ""
    for citation in item.because:
        level = quote_certainty(citation.quote)
        if CERTAINTY_RANK[level] < CERTAINTY_RANK[strongest]:
            strongest, weakest_quote = level, citation.quote
    problems = []
    if CERTAINTY_RANK[item.certainty] > CERTAINTY_RANK[strongest]:
        word = _HEDGES[strongest].search(weakest_quote)
        problems.append(
            conclusion.problem(
                "overstated-certainty",
                f"conclusion `{item.id}` is `{item.certainty}` but its source says "
                f"“{word.group(0) if word else strongest}”",
                f"use certainty `{strongest}` and hedge the statement the same way",
                "certainty",
            )
        )
    if (
        item.certainty != "established"
        and not _HEDGES["possible"].search(item.statement)
        and not (item.certainty == "likely" and _HEDGES["likely"].search(item.statement))
    ):
        problems.append(
            conclusion.problem(
                "overstated-statement",
                f"the statement of `{item.id}` does not say it is only {item.certainty}",
                "say “may”, “could” or “likely” in the statement, as the source does",
                "statement",
            )
        )
    return problems


def quote_certainty(quote: str) -> str:
    """The strongest certainty a quote's own wording supports."""
    for level in ("possible", "likely"):
        if _HEDGES[level].search(quote):
            return level
    return "established"
