"""The numbers a passage of text states, and how it compares with them.

"more than 30 minutes" is (gt, 30); "at least three" is (ge, 3); "3–5 times",
"3-5", "three to five" and "between 3 and 5" are (between, 3, 5); "under 20" and
"less than 20" are (lt, 20); "十几" (Chinese for “ten-odd”) is (between, 10, 19); a
number with no comparative is (eq, n). Used to check that a rule's conditions compare
with the numbers its quotes and title give (checks/numbers.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORDS = {
    "zero": 0,
    "one": 1,
    "once": 1,
    "two": 2,
    "twice": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")

# A number: digits (with a decimal part), “twenty-five”, or a number word.
_NUMBER = (
    r"(?:\d+(?:\.\d+)?"
    rf"|(?:{'|'.join(_TENS)})[- ](?:{'|'.join(_UNITS)})"
    rf"|\b(?:{'|'.join(sorted(_WORDS, key=len, reverse=True))})\b)"
)
_BEFORE = {
    "gt": r"more than|over|longer than|greater than|above|exceeding|in excess of",
    "ge": r"at least|no less than|no fewer than|a minimum of|minimum of",
    "lt": r"less than|fewer than|under|below|shorter than",
    "le": r"at most|no more than|up to|not more than|a maximum of|maximum of",
}
_AFTER = {"ge": r"or more|or longer|or above", "le": r"or less|or fewer|or shorter|or under"}

# Both patterns begin with `(?=\w)`: every match starts with a letter or a digit (a
# number, or a word before it), so the lookahead changes no match, and `re` skips the
# spaces and punctuation without trying each alternative there (a third faster).
_RANGE = re.compile(
    rf"(?=\w)(?:\bbetween\s+(?P<low>{_NUMBER})\s+and\s+(?P<high>{_NUMBER})"
    rf"|(?P<from>{_NUMBER})\s*(?:–|—|-|\bto\b)\s*(?P<to>{_NUMBER}))",
    re.IGNORECASE,
)
_SINGLE = re.compile(
    r"(?=\w)(?:(?P<before>"
    + "|".join(rf"\b(?:{words})" for words in _BEFORE.values())
    + rf")\s+)?(?P<number>{_NUMBER})(?:\s+\w+)?(?:\s+(?P<after>"
    + "|".join(_AFTER.values())
    + r")\b)?",
    re.IGNORECASE,
)
_TEN_ODD = re.compile(r"十几")
# What every range holds ("between" or a separator): a text without it is not scanned
# for ranges (most titles and quotes; loading reads every rule's title).
_RANGE_WORDS = re.compile(r"between|–|—|-|to", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_BEFORE_WORDS = {relation: re.compile(words) for relation, words in _BEFORE.items()}
_AFTER_WORDS = {relation: re.compile(words) for relation, words in _AFTER.items()}


@dataclass(frozen=True)
class NumberMention:
    """A number (or a range) a text states, and how the text compares with it."""

    relation: str
    """eq, gt, ge, lt, le or between."""
    low: float
    high: float
    words: str
    """The words as written, e.g. "more than 30"."""


def value_of(text: str) -> float:
    """The value of a number as written ("30", "2.5", "thirty", “twenty-five”)."""
    lowered = text.lower()
    if _DIGITS.fullmatch(lowered):
        return float(lowered)
    tens, _, unit = lowered.replace("-", " ").partition(" ")
    return float(_WORDS[tens] + (_WORDS[unit] if unit else 0))


def numbers_in(text: str) -> list[NumberMention]:
    """Every number and range `text` states, in order."""
    found: list[NumberMention] = []
    taken: list[tuple[int, int]] = []
    for match in _TEN_ODD.finditer(text):
        found.append(NumberMention("between", 10, 19, match.group(0)))
        taken.append(match.span())
    ranges = _RANGE.finditer(text) if _RANGE_WORDS.search(text) else ()
    for match in ranges:
        if _overlaps(match.span(), taken):
            continue
        low = value_of(match.group("low") or match.group("from"))
        high = value_of(match.group("high") or match.group("to"))
        if low < high:
            found.append(NumberMention("between", low, high, match.group(0)))
            taken.append(match.span())
    for match in _SINGLE.finditer(text):
        if _overlaps(match.span("number"), taken):
            continue
        value = value_of(match.group("number"))
        relation = _relation(match.group("before"), match.group("after"))
        if relation == "eq" and match.group("number").lower() == "one":
            continue  # "the one before it": a pronoun far more often than a number
        end = match.end("after") if match.group("after") else match.end("number")
        found.append(NumberMention(relation, value, value, text[match.start() : end]))
    return found


def _relation(before: str | None, after: str | None) -> str:
    for relation, words in (_BEFORE_WORDS if before else _AFTER_WORDS).items():
        said = before or after
        if said and words.fullmatch(said.lower()):
            return relation
    return "eq"


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)
