"""The numbers a passage of text states, and how it compares with them.

"more than 30 minutes" is (gt, 30); "at least three" is (ge, 3); "3–5 times",
"3-5", "three to five" and "between 3 and 5" are (between, 3, 5); "under 20" and
"less than 20" are (lt, 20); "十几" (Chinese for “ten-odd”) is (between, 10, 19); a
number with no comparative is (eq, n). Used to check that a rule's conditions compare
with the numbers its quotes and title give (checks/numbers.py).

Its fast paths, and why they give the same answer: docs/performance.md,
"Checking the files: each distinct value once".
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

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
_DIGIT_RUN = re.compile(r"(\d+)")  # a group: `split` keeps the runs
# The same for a text all ASCII, whose only digits are 0-9: a third faster than `\d`,
# which looks each character up among Unicode's digits (every title is split).
_ASCII_DIGIT_RUN = re.compile(r"([0-9]+)")
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


# A mention's relation, low and high (`NumberReader.stated`).
Stated = tuple[str, float, float]


def value_of(text: str) -> float:
    """The value of a number as written ("30", "2.5", "thirty", “twenty-five”)."""
    lowered = text.lower()
    if _DIGITS.fullmatch(lowered):
        return float(lowered)
    tens, _, unit = lowered.replace("-", " ").partition(" ")
    return float(_WORDS[tens] + (_WORDS[unit] if unit else 0))


def numbers_in(text: str) -> list[NumberMention]:
    """Every number and range `text` states, in order."""
    return [found.mention(text, (0, 0, 0, 0), [0]) for found in _scan(text)]


@dataclass(frozen=True)
class _Found:
    """A mention found by `_scan`, by its places in the text scanned: the span of its
    words, and the number's span (None for a range or "十几", whose values are in `low`
    and `high`)."""

    relation: str
    low: float
    high: float
    words: tuple[int, int]
    number: tuple[int, int] | None

    def mention(
        self, text: str, runs_before: tuple[int, int, int, int], extra: list[int]
    ) -> NumberMention:
        """The mention in `text`, when the text scanned was its shape (`NumberReader`):
        `runs_before` says how many runs of digits come before each of the four places
        (the words' start and end, the number's), `extra` how many digits the first so
        many runs have beyond their one `0` in the shape (all 0 for the text itself)."""
        before_start, before_end, number_start, number_end = runs_before
        words = text[self.words[0] + extra[before_start] : self.words[1] + extra[before_end]]
        if self.number is None:
            return NumberMention(self.relation, self.low, self.high, words)
        start, end = self.number
        value = value_of(text[start + extra[number_start] : end + extra[number_end]])
        return NumberMention(self.relation, value, value, words)


def _scan(text: str) -> list[_Found]:
    found: list[_Found] = []
    taken: list[tuple[int, int]] = []
    for match in _TEN_ODD.finditer(text):
        found.append(_Found("between", 10, 19, match.span(), None))
        taken.append(match.span())
    ranges = _RANGE.finditer(text) if _RANGE_WORDS.search(text) else ()
    for match in ranges:
        if _overlaps(match.span(), taken):
            continue
        low = value_of(match.group("low") or match.group("from"))
        high = value_of(match.group("high") or match.group("to"))
        if low < high:
            found.append(_Found("between", low, high, match.span(), None))
            taken.append(match.span())
    for match in _SINGLE.finditer(text):
        if _overlaps(match.span("number"), taken):
            continue
        relation = _relation(match.group("before"), match.group("after"))
        if relation == "eq" and match.group("number").lower() == "one":
            continue  # "the one before it": a pronoun far more often than a number
        end = match.end("after") if match.group("after") else match.end("number")
        found.append(_Found(relation, 0, 0, (match.start(), end), match.span("number")))
    return found


class NumberReader:
    """`numbers_in` for a caller reading many texts (loading reads every rule's title and
    quotes): each text is read once, and texts that differ only in their digits share
    one scan.

    The shape of a text is the text with each run of digits written as one `0`
    ("Rule 12: more than 30" and "Rule 7: more than 5" are both "Rule 0: more than 0").
    The patterns treat every digit alike (`\\d`, `\\w` and `\\b` see a digit as any
    other) and a match never begins or ends inside a run of digits (a number takes the
    whole run, and a word after it takes the whole word), so the shape's matches are the
    text's, run for run; only the values differ, and they are read from the text. A
    range is the exception: whether "5-3" is one depends on its values, so a text whose
    shape may hold a range is scanned itself.
    """

    def __init__(self) -> None:
        self._texts: dict[str, list[NumberMention]] = {}
        self._stated: dict[str, list[Stated]] = {}
        self._shapes: dict[str, _Shape | None] = {}  # None: the shape may hold a range
        # For a shape whose every number is one run of digits (a title's, usually): each
        # mention's relation and the index in `split` of its run.
        self._plans: dict[str, list[tuple[str, int]]] = {}

    def numbers_in(self, text: str) -> list[NumberMention]:
        """Every number and range `text` states, in order (as the function)."""
        mentions = self._texts.get(text)
        if mentions is None:
            mentions = self._texts[text] = self._read(text)
        return mentions

    def stated(self, text: str, *, keep: bool = True) -> list[Stated]:
        """What `numbers_in(text)` gives without the words: each mention's relation, low
        and high. The number check compares with these, and reads the words only for a
        problem; a title's values are its runs of digits, so nothing is sliced.

        `keep`: keep the answer for the next time `text` is read (a quote, cited by many
        rules). A rule's title is read with `keep=False`: titles seldom repeat, and
        keeping 10,000 of them took as long as reading them (a dict growing, and
        10,000 lists kept alive in fresh memory)."""
        found = self._stated.get(text) if keep else None
        if found is None:
            parts = _split_runs(text)
            plan = self._plans.get("0".join(parts[::2])) if len(parts) > 1 else None
            if plan is not None:  # each number is a run, whose value `value_of` would read
                found = [(said, (value := float(parts[run])), value) for said, run in plan]
            else:
                found = self._read_stated(text, parts)
            if keep:
                self._stated[text] = found
        return found

    def _read(self, text: str) -> list[NumberMention]:
        parts = _split_runs(text)  # text, run of digits, text, ..., text
        found = self._shape_of(parts) if len(parts) > 1 else None
        if found is None:
            return numbers_in(text)
        runs = parts[1::2]
        extra = _extra_digits(runs)
        mentions = []
        for one, runs_before, run in found:
            if run is None:
                mentions.append(one.mention(text, runs_before, extra))
            else:  # the number is one run of digits, whose value `value_of` would read
                start, end = one.words
                words = text[start + extra[runs_before[0]] : end + extra[runs_before[1]]]
                value = float(runs[run])
                mentions.append(NumberMention(one.relation, value, value, words))
        return mentions

    def _read_stated(self, text: str, parts: list[str]) -> list[Stated]:
        """`stated` of a text split into `parts` whose shape has no plan (yet)."""
        found = self._shape_of(parts) if len(parts) > 1 else None
        if found is None:
            return [(m.relation, m.low, m.high) for m in self.numbers_in(text)]
        stated: list[Stated] = []
        for one, runs_before, run in found:
            if run is None:  # a number in words or with decimals, or "十几": as `_read`
                mention = one.mention(text, runs_before, _extra_digits(parts[1::2]))
                stated.append((mention.relation, mention.low, mention.high))
            else:
                value = float(parts[2 * run + 1])  # the run's value, as `_read`
                stated.append((one.relation, value, value))
        return stated

    def _shape_of(self, parts: list[str]) -> _Shape | None:
        """The mentions of the shape of the text split into `parts` (None: scan the text
        itself)."""
        shape = "0".join(parts[::2])
        if shape not in self._shapes:
            found = self._shapes[shape] = _shape_mentions(shape)
            if found is not None and all(run is not None for _, _, run in found):
                self._plans[shape] = [
                    (one.relation, 2 * run + 1) for one, _, run in found if run is not None
                ]
        return self._shapes[shape]


def _split_runs(text: str) -> list[str]:
    """`_DIGIT_RUN.split(text)`: the text between runs of digits, and the runs."""
    return (_ASCII_DIGIT_RUN if text.isascii() else _DIGIT_RUN).split(text)


def _extra_digits(runs: list[str]) -> list[int]:
    """How many digits the first so many runs have beyond their one `0` in the shape."""
    return list(accumulate((len(run) - 1 for run in runs), initial=0))


# A shape's mentions, each with the runs of digits before each of its four places (see
# `_Found.mention`) and, when its number is one run, that run's index.
_Shape = list[tuple[_Found, tuple[int, int, int, int], int | None]]


def _shape_mentions(shape: str) -> _Shape | None:
    if _RANGE_WORDS.search(shape) and _RANGE.search(shape):
        return None
    zeros = [match.start() for match in _DIGIT_RUN.finditer(shape)]
    found: _Shape = []
    for one in _scan(shape):
        number = one.number or (0, 0)
        # A run of digits is before a place when its `0` is.
        a, b, c, d = (bisect_left(zeros, place) for place in (*one.words, *number))
        run = c if one.number is not None and shape[number[0] : number[1]] == "0" else None
        found.append((one, (a, b, c, d), run))
    return found


def _relation(before: str | None, after: str | None) -> str:
    for relation, words in (_BEFORE_WORDS if before else _AFTER_WORDS).items():
        said = before or after
        if said and words.fullmatch(said.lower()):
            return relation
    return "eq"


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)
