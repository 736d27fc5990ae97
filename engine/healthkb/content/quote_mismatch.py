"""Where a quote that is not found differs from its source, word by word.

A quote is aligned with the source on words, not characters: "2 or 3 sessions" against
"Two or three sessions" differs in the words "2" and "3", which is what the editor needs
to hear; aligned on characters, the quote would start one character off and every
character after it would differ. Where two words differ in a character or two ("3-5"
and "3–5", "walking" and "Walking"), the first of them is named with its Unicode name,
since many look alike.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

MAX_DIFFERENCES = 3
"""How many differences a message names; the others are counted."""


@dataclass(frozen=True)
class Difference:
    """One place where the quote and the source differ: the quote's words there and the
    source's (`""` for words one has and the other leaves out; `None` for words the
    quote goes on with after the source text ends)."""

    quote: str
    source: str | None

    def describe(self, first: bool) -> str:
        if self.source is None:
            return f"the quote goes on with “{self.quote}” after the source text ends"
        if not self.source:
            return f"the quote has “{self.quote}”, which the source does not"
        if not self.quote:
            return f"the source has “{self.source}”, which the quote leaves out"
        verb = "the quote starts with" if first else "the quote has"
        return f"{verb} “{self.quote}” where the source has “{self.source}”" + _characters(
            self.quote, self.source
        )


@dataclass(frozen=True)
class WordMismatch:
    """The words of a quote that match before the first difference, the differences
    (at most MAX_DIFFERENCES), how many more there are, and where in the folded source
    the aligned quote starts."""

    matched: int
    differences: tuple[Difference, ...]
    more: int
    start: int

    def describe(self) -> str:
        first = "word matches" if self.matched == 1 else f"{self.matched} words match"
        head = f"the quote's first {first}, then " if self.matched else ""
        parts = [
            d.describe(first=not self.matched and i == 0) for i, d in enumerate(self.differences)
        ]
        text = head + "; and ".join(parts)
        if self.more:
            text += f"; and {self.more} more difference(s)"
        return text


def word_mismatch(needle: str, folded: str) -> WordMismatch | None:
    """How `needle` (a quote, white space folded) differs from the passage of `folded`
    (the source text, folded) it is closest to, or None if no passage resembles it.

    Words are aligned without their trailing punctuation ("well" with "well."), then
    compared whole."""
    quote = needle.split(" ")
    source, offsets = _words(folded)
    quote_keys, source_keys = _keys(quote), _keys(source)
    longest = difflib.SequenceMatcher(
        None, quote_keys, source_keys, autojunk=False
    ).find_longest_match(0, len(quote), 0, len(source))
    if longest.size == 0:
        return None
    low = max(0, longest.b - longest.a)
    high = min(len(source), low + len(quote) + len(quote) // 2 + 2)
    window = source[low:high]
    matcher = difflib.SequenceMatcher(None, quote_keys, source_keys[low:high], autojunk=False)
    same = sum(len(" ".join(quote[b.a : b.a + b.size])) for b in matcher.get_matching_blocks())
    if same < min(8, len(needle)) and same * 3 < len(needle):
        return None  # a word or two in common: no passage resembles it
    codes = _trimmed(list(matcher.get_opcodes()), quote, window)
    if not codes:
        return None
    found: list[tuple[int, Difference]] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            found += [
                (i1 + k, Difference(quote[i1 + k], window[j1 + k]))
                for k in range(i2 - i1)
                if not _same_word(quote, i1 + k, window[j1 + k])
            ]
        elif tag == "delete" and high == len(source) and j1 == len(window):
            found.append((i1, Difference(" ".join(quote[i1:i2]), None)))
        else:
            found.append((i1, Difference(" ".join(quote[i1:i2]), " ".join(window[j1:j2]))))
    if not found:
        return None
    first = codes[0][3]
    return WordMismatch(
        found[0][0],
        tuple(difference for _, difference in found[:MAX_DIFFERENCES]),
        max(0, len(found) - MAX_DIFFERENCES),
        offsets[low + first] if low + first < len(offsets) else len(folded) - 1,
    )


def _keys(words: list[str]) -> list[str]:
    return [word.rstrip(_TRAILING) or word for word in words]


_TRAILING = ".,;:!?"


def _same_word(quote: list[str], at: int, source_word: str) -> bool:
    """Whether the quote's word is the source's: the same, or (for its first and last
    words) the end or the start of it, as a quote may begin or end inside a word."""
    word = quote[at]
    if word == source_word:
        return True
    return (at == len(quote) - 1 and source_word.startswith(word)) or (
        at == 0 and source_word.endswith(word)
    )


_Code = tuple[str, int, int, int, int]


def _trimmed(found: Sequence[_Code], quote: list[str], window: list[str]) -> list[_Code]:
    """The differences that make the quote not found: not the source's words before and
    after it, nor its first word being the end of a source word ("alking" in
    "Walking"), nor its last word the start of one ("week" in "week,")."""
    codes = list(found)
    while codes and codes[0][0] == "insert":
        codes.pop(0)
    while codes and codes[-1][0] == "insert":
        codes.pop()
    if codes and codes[-1][0] == "replace" and codes[-1][2] == len(quote):
        # The source's words past the quote's end are not part of the difference.
        _, i1, i2, j1, j2 = codes[-1]
        j2 = min(j2, j1 + i2 - i1)
        same = i2 - i1 == 1 and window[j1].startswith(quote[-1])
        codes[-1] = ("equal" if same else "replace", i1, i2, j1, j2)
    if codes and codes[0][0] == "replace" and codes[0][1] == 0:
        _, i1, i2, j1, j2 = codes[0]
        j1 = max(j1, j2 - (i2 - i1))
        same = i2 - i1 == 1 and window[j2 - 1].endswith(quote[0])
        codes[0] = ("equal" if same else "replace", i1, i2, j1, j2)
    return codes


def _words(folded: str) -> tuple[list[str], list[int]]:
    words, offsets, at = [], [], 0
    for word in folded.split(" "):
        words.append(word)
        offsets.append(at)
        at += len(word) + 1
    return words, offsets


def _characters(quote: str, source: str) -> str:
    """The first differing character of two words that differ in one or two characters
    (of the same length): often two that look alike."""
    if len(quote) != len(source):
        return ""
    differing = [i for i, (q, s) in enumerate(zip(quote, source, strict=True)) if q != s]
    if not 0 < len(differing) <= 2:
        return ""
    at = differing[0]
    return f": {character(quote[at])} where the source has {character(source[at])}"


def character(char: str) -> str:
    """A character with its code point and Unicode name: “–” (U+2013 EN DASH)."""
    name = unicodedata.name(char, "UNNAMED CHARACTER")
    return f"“{char}” (U+{ord(char):04X} {name})"
