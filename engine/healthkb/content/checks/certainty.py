"""Certainty: a conclusion is never stated more strongly than its sources' wording.

The hedges a quote or a statement may use, each with the strongest certainty it
allows. Negated and compound hedges are one hedge each ("unlikely", "not likely",
"may not", "could even"), read as whole words and phrases: "unlikely" is not
"likely", and "likelihood" is no hedge at all. docs/editors.md lists them all.
"""

from __future__ import annotations

import re

from ...errors import Problem
from ..languages.hedges import chinese_hedges_in
from ..located_items import Placed
from ..model import CERTAINTY_RANK, Conclusion

HEDGES: dict[str, str] = {
    # At most `possible`: the source says it can happen, no more.
    "may": "possible",
    "may not": "possible",
    "might": "possible",
    "might not": "possible",
    "could": "possible",
    "could even": "possible",
    "possibly": "possible",
    "perhaps": "possible",
    "maybe": "possible",
    "sometimes": "possible",
    "can help": "possible",
    "may help": "possible",
    "not necessarily": "possible",
    # At most `likely`: the source says it is more probable than not (or, negated,
    # that its opposite is).
    "likely": "likely",
    "not likely": "likely",
    "unlikely": "likely",
    "probably": "likely",
    "probably not": "likely",
    "usually": "likely",
    "often": "likely",
    "tends to": "likely",
    "tend to": "likely",
    "tends not to": "likely",
    "is likely to": "likely",
    "is unlikely to": "likely",
    "usually not": "likely",
    "not usually": "likely",
    "not always": "likely",
    "rarely": "likely",
    "seldom": "likely",
    "in general": "likely",
    "generally": "likely",
}

# Longest phrases first, so that "may not" is found as one hedge rather than "may".
_HEDGE = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(phrase).replace(r"\ ", r"\s+")
        for phrase in sorted(HEDGES, key=lambda p: (-len(p), p))
    )
    + r")\b",
    re.IGNORECASE,
)


def hedges_in(text: str) -> list[tuple[str, str]]:
    """Each hedge in `text`, as written, with the certainty it allows at most."""
    return [
        (match.group(0), HEDGES[re.sub(r"\s+", " ", match.group(0).lower())])
        for match in _HEDGE.finditer(text)
    ]


def quote_hedges(quote: str) -> list[tuple[str, str]]:
    """The hedges of a quote, in English or, from a source's original text, in Chinese."""
    chinese = [(word, level) for word, level in chinese_hedges_in(quote) if level != "certain"]
    return hedges_in(quote) + chinese


def quote_certainty(quote: str) -> str:
    """The strongest certainty a quote's own wording supports."""
    return _weakest(quote_hedges(quote))[1]


def _weakest(found: list[tuple[str, str]]) -> tuple[str, str]:
    """The hedge allowing the least certainty, and that certainty ('' if none)."""
    weakest = ("", "established")
    for word, level in found:
        if CERTAINTY_RANK[level] < CERTAINTY_RANK[weakest[1]]:
            weakest = (word, level)
    return weakest


def check_certainty(
    conclusion: Placed[Conclusion], weakest: dict[str, tuple[str, str]] | None = None
) -> list[Problem]:
    """A conclusion is never stated more strongly than the wording of its sources.

    `weakest` keeps the weakest hedge of each quote already read, for a caller that
    checks many conclusions: a passage quoted by many is read once."""
    item = conclusion.item
    strongest, word = "established", ""
    known = {} if weakest is None else weakest
    for citation in item.because:
        hedge = known.get(citation.quote)
        if hedge is None:
            hedge = known[citation.quote] = _weakest(quote_hedges(citation.quote))
        found, level = hedge
        if CERTAINTY_RANK[level] < CERTAINTY_RANK[strongest]:
            strongest, word = level, found
    problems = []
    if CERTAINTY_RANK[item.certainty] > CERTAINTY_RANK[strongest]:
        problems.append(
            conclusion.problem(
                "overstated-certainty",
                f"conclusion `{item.id}` is `{item.certainty}` but its source says “{word}”",
                f"use certainty `{strongest}` and hedge the statement the same way",
                "certainty",
            )
        )
    # The clinician-facing statement is held to the same certainty as the person-facing one.
    statements = [("statement", "the statement", item.statement)]
    if item.clinician_statement is not None:
        statements.append(
            ("clinician_statement", "the clinician statement", item.clinician_statement)
        )
    for field, name, text in statements:
        if not _hedged_enough(item.certainty, text):
            words = "“may”, “could”" + (" or “likely”" if item.certainty == "likely" else "")
            problems.append(
                conclusion.problem(
                    "overstated-statement",
                    f"{name} of `{item.id}` does not say it is only {item.certainty}",
                    f"say {words} in {name}, as the source does (see the table of hedges "
                    "in docs/editors.md)",
                    field,
                )
            )
    return problems


def _hedged_enough(certainty: str, statement: str) -> bool:
    """A `possible` statement must say so with a word of possibility; a `likely` one with
    any hedge; an `established` one needs none."""
    levels = {level for _, level in hedges_in(statement)}
    return (
        certainty == "established"
        or "possible" in levels
        or (certainty == "likely" and bool(levels))
    )
