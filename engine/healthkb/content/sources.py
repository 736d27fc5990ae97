"""Source texts: paragraphs, sentences and stable anchors; resolving quotes to passages.

A source's text is written one paragraph per line. Paragraphs are numbered `p1`,
`p2`, ... over non-blank lines, and sentences within them `p3.s1`, `p3.s2`, ...
Quotes match verbatim except that runs of white space are folded to one space:
an editor typing "3-5" for the article's "3–5" is told about the dash.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import warnings
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from .quote_mismatch import WordMismatch, word_mismatch

_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "prof", "st", "e.g", "i.e", "etc", "vs", "no", "fig"}
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+|$)|[。！？]+[”’」』)]*")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Sentence:
    anchor: str
    paragraph: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    anchor: str
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...]


class ResolvedCitation(BaseModel):
    """A citation resolved to its place: paragraph and sentence anchors, character span.

    `quote` is the cited text as the source has it; `sentence_anchor` (`p7.s2`) names the
    sentence the quote starts in and `sentence_anchors` every sentence it spans. In JSON
    the anchors keep their first names, `sentence` and `sentences`, so that answers stay
    byte-identical; the attributes `sentence` and `sentences` are deprecated aliases
    (removed in 0.3): they hold anchors, not sentences.
    """

    model_config = ConfigDict(frozen=True, serialize_by_alias=True, validate_by_name=True)

    source: str
    quote: str
    paragraph: str
    sentence_anchor: str = Field(alias="sentence")
    sentence_anchors: tuple[str, ...] = Field(alias="sentences")
    start: int
    end: int
    interpretation: str | None = None
    # In the JSON only when set, so that answers citing a source without an original
    # text stay byte-identical.
    language: str | None = Field(default=None, exclude_if=lambda value: value is None)
    """The original's language when the quote is from the source's original text (its
    anchors are the original's); None for a quote from the text itself."""
    original: dict[str, str] | None = Field(default=None, exclude_if=lambda value: value is None)
    """For a quote from a translation whose original is at hand: the original sentence
    the quote's first sentence renders (`language`, `sentence`, `text`)."""

    @property
    def sentence(self) -> str:
        """Deprecated alias of `sentence_anchor` (an anchor such as `p7.s2`)."""
        warnings.warn(
            "ResolvedCitation.sentence is deprecated: use sentence_anchor",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.sentence_anchor

    @property
    def sentences(self) -> tuple[str, ...]:
        """Deprecated alias of `sentence_anchors`."""
        warnings.warn(
            "ResolvedCitation.sentences is deprecated: use sentence_anchors",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.sentence_anchors


@dataclass(frozen=True)
class QuoteMismatch:
    """Why a quote was not found: the closest passage, and how the quote differs from it
    word by word (see quote_mismatch.py)."""

    sentence: Sentence | None
    words: WordMismatch | None = None

    def describe(self) -> str:
        if self.sentence is None:
            return "nothing in the source resembles it"
        excerpt = _shorten(self.sentence.text)
        text = f"the closest passage is {self.sentence.anchor} (“{excerpt}”)"
        if self.words is None:
            return text
        return f"{text}; {self.words.describe()}"


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fold(text: str) -> str:
    """The text with every run of white space folded to one space, ends trimmed."""
    return _WHITESPACE.sub(" ", text).strip()


class SourceText:
    """A source text split into anchored paragraphs and sentences, searchable by quote."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.paragraphs = tuple(_split_paragraphs(text))
        self.sentences = tuple(s for p in self.paragraphs for s in p.sentences)
        self._folded, self._origin = _fold_with_map(text)

    def find(self, quote: str) -> list[tuple[int, int]]:
        """Every (start, end) span in the original text where `quote` occurs."""
        needle = fold(quote)
        if not needle:
            return []
        spans = []
        at = self._folded.find(needle)
        while at != -1:
            start = self._origin[at]
            end = self._origin[at + len(needle) - 1] + 1
            spans.append((start, end))
            at = self._folded.find(needle, at + 1)
        return spans

    def sentences_in(self, start: int, end: int) -> list[Sentence]:
        return [s for s in self.sentences if s.start < end and start < s.end]

    def paragraph_at(self, offset: int) -> Paragraph:
        return next(p for p in self.paragraphs if p.start <= offset < p.end)

    def resolve(
        self, source_id: str, quote: str, interpretation: str | None, span: tuple[int, int]
    ) -> ResolvedCitation:
        start, end = span
        sentences = self.sentences_in(start, end)
        return ResolvedCitation(
            source=source_id,
            quote=self.text[start:end],
            paragraph=self.paragraph_at(start).anchor,
            sentence_anchor=sentences[0].anchor,
            sentence_anchors=tuple(s.anchor for s in sentences),
            start=start,
            end=end,
            interpretation=interpretation,
            # Given, as every other field is: results hold citations with every field set.
            language=None,
            original=None,
        )

    def closest(self, quote: str) -> QuoteMismatch:
        """The passage that best explains why `quote` was not found."""
        needle = fold(quote)
        words = word_mismatch(needle, self._folded)
        if words is not None:
            return QuoteMismatch(self._sentence_at_folded(words.start), words)
        return QuoteMismatch(self._most_similar_sentence(needle))

    def _sentence_at_folded(self, folded_at: int) -> Sentence | None:
        # The sentence holding the offset or, on the space between two, the next one.
        offset = self._origin[folded_at]
        return next((s for s in self.sentences if offset < s.end), None)

    def _most_similar_sentence(self, needle: str) -> Sentence | None:
        best, best_ratio = None, 0.3
        for sentence in self.sentences:
            ratio = difflib.SequenceMatcher(None, needle, fold(sentence.text)).ratio()
            if ratio > best_ratio:
                best, best_ratio = sentence, ratio
        return best


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold white space, remembering each folded character's offset in the original."""
    chars: list[str] = []
    origin: list[int] = []
    in_space = False
    for offset, char in enumerate(text):
        if char.isspace():
            if not in_space and chars:
                chars.append(" ")
                origin.append(offset)
            in_space = True
        else:
            chars.append(char)
            origin.append(offset)
            in_space = False
    return "".join(chars), origin


def _split_paragraphs(text: str) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        body = line.strip()
        if body:
            start = offset + (len(line) - len(line.lstrip()))
            anchor = f"p{len(paragraphs) + 1}"
            sentences = tuple(_split_sentences(anchor, body, start))
            paragraphs.append(Paragraph(anchor, start, start + len(body), body, sentences))
        offset += len(line)
    return paragraphs


def _split_sentences(paragraph: str, text: str, base: int) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if _ends_with_abbreviation(text[start : match.start()]) and match.group().startswith("."):
            continue
        sentences.append(_sentence(paragraph, len(sentences) + 1, text, start, end, base))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        sentences.append(_sentence(paragraph, len(sentences) + 1, text, start, len(text), base))
    return sentences


def _sentence(paragraph: str, number: int, text: str, start: int, end: int, base: int) -> Sentence:
    body = text[start:end].rstrip()
    return Sentence(
        f"{paragraph}.s{number}", paragraph, base + start, base + start + len(body), body
    )


def _ends_with_abbreviation(text: str) -> bool:
    words = text.split()
    return bool(words) and words[-1].lower().rstrip(".") in _ABBREVIATIONS
