"""Which parts of each source are encoded, left out, or untouched, and what cites them.

A passage is one resolved span of a source's text. An encoded passage is cited by
rules, conclusions or background facts (several may cite the same span); a left-out
passage is listed in the source's `left_out` with the reason it is not encoded. Any
sentence that overlaps neither is untouched: nobody has decided about it yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..content.loading.kb_content import KBContent
from ..content.model import Citation
from ..content.sources import Sentence

CiterKind = Literal["rule", "conclusion", "background"]


@dataclass(frozen=True, order=True)
class Citer:
    """Something that cites a passage: a rule, a conclusion or a background fact."""

    kind: CiterKind
    id: str
    interpretation: str | None = None


@dataclass(frozen=True)
class Passage:
    """One span of a source: encoded (cited) or left out (with its reason)."""

    source: str
    start: int
    end: int
    quote: str
    paragraph: str
    sentence: str
    cited_by: tuple[Citer, ...] = ()
    left_out: str | None = None

    @property
    def id(self) -> str:
        """An HTML id, stable for as long as the source text does not change."""
        return passage_id(self.source, self.start, self.end, self.left_out is not None)


def passage_id(source: str, start: int, end: int, left_out: bool = False) -> str:
    """The id of the passage `source[start:end]` in every rendered page."""
    kind = "left-out" if left_out else "passage"
    return f"{kind}-{source}-{start}-{end}"


@dataclass(frozen=True)
class SourceCoverage:
    """A source's passages, in text order, and the sentences no passage touches."""

    source: str
    encoded: tuple[Passage, ...]
    left_out: tuple[Passage, ...]
    untouched: tuple[Sentence, ...]

    @property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(sorted((*self.encoded, *self.left_out), key=_order))


def _order(passage: Passage) -> tuple[int, int, str]:
    return (passage.start, -passage.end, passage.id)


def _citations(content: KBContent) -> list[tuple[Citation, Citer]]:
    found: list[tuple[Citation, Citer]] = []
    for rule in content.rules.values():
        found += [(c, Citer("rule", rule.id, c.interpretation)) for c in rule.because]
    for conclusion in content.conclusions.values():
        found += [
            (c, Citer("conclusion", conclusion.id, c.interpretation)) for c in conclusion.because
        ]
    for name, fact in content.vocabulary.background.items():
        found += [(c, Citer("background", name, c.interpretation)) for c in fact.because]
    return found


def coverage(content: KBContent) -> dict[str, SourceCoverage]:
    """For every source (sorted by id): encoded and left-out passages, untouched sentences."""
    citers: dict[tuple[str, int, int], set[Citer]] = {}
    for citation, citer in _citations(content):
        resolved = content.citations.resolve(citation)
        citers.setdefault((resolved.source, resolved.start, resolved.end), set()).add(citer)
    result = {}
    for source_id in sorted(content.sources):
        text = content.citations.texts[source_id]
        encoded = []
        for (source, start, end), by in citers.items():
            if source == source_id:
                sentences = text.sentences_in(start, end)
                encoded.append(
                    Passage(
                        source,
                        start,
                        end,
                        text.text[start:end],
                        text.paragraph_at(start).anchor,
                        sentences[0].anchor,
                        cited_by=tuple(sorted(by)),
                    )
                )
        left_out = []
        for item in content.sources[source_id].left_out:
            resolved = content.citations.resolved[(source_id, item.quote)]
            left_out.append(
                Passage(
                    source_id,
                    resolved.start,
                    resolved.end,
                    resolved.quote,
                    resolved.paragraph,
                    resolved.sentence_anchor,
                    left_out=item.reason,
                )
            )
        spans = [(p.start, p.end) for p in (*encoded, *left_out)]
        untouched = tuple(
            s for s in text.sentences if not any(a < s.end and s.start < b for a, b in spans)
        )
        result[source_id] = SourceCoverage(
            source_id,
            tuple(sorted(encoded, key=_order)),
            tuple(sorted(left_out, key=_order)),
            untouched,
        )
    return result
