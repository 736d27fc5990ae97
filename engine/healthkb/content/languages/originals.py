"""A translated source's original text: its sentences, and their alignment with the
translation's, checked so that every aligned anchor names a sentence of each text.

A quote may come from either text (`checks/cross_file.py` resolves it in the
translation first, then in the original); an answer shows a quote from the
translation beside the original sentence it renders, when the alignment says which.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...errors import Problem, did_you_mean
from ..located_items import Placed
from ..model import Source
from ..provenance import OriginalText
from ..sources import SourceText


def original_texts(
    sources: Iterable[Placed[Source]],
) -> dict[str, tuple[OriginalText, SourceText]]:
    """Each source's original text, split into anchored sentences (sources that have one)."""
    return {
        placed.item.id: (placed.item.original, SourceText(placed.item.original.text))
        for placed in sources
        if placed.item.original is not None
    }


def check_original(
    placed: Placed[Source], originals: dict[str, tuple[OriginalText, SourceText]]
) -> list[Problem]:
    """The original is of the language the translation names, and every anchor of its
    alignment is a sentence of the translation (key) and of the original (value)."""
    source = placed.item
    if source.original is None or source.id not in originals:
        return []
    problems = []
    if source.translation is None:
        problems.append(
            placed.problem(
                "original-without-translation",
                f"source `{source.id}` gives an original text but does not say it is a translation",
                "add `translation:` with the original's language, or remove `original:`",
                "original",
            )
        )
    elif source.translation.original_language != source.original.language:
        problems.append(
            placed.problem(
                "original-language-mismatch",
                f"the original is `{source.original.language}` but `translation` says it is "
                f"`{source.translation.original_language}`",
                "give both the same language tag",
                "original",
                "language",
            )
        )
    translated = {s.anchor for s in SourceText(source.text).sentences}
    original = {s.anchor for s in originals[source.id][1].sentences}
    for key, value in source.original.alignment.items():
        for anchor, known, where in ((key, translated, "text"), (value, original, "original")):
            if anchor not in known:
                problems.append(
                    placed.problem(
                        "unknown-sentence",
                        f"`{anchor}` is not a sentence of the source's {where}",
                        did_you_mean(anchor, known),
                        "original",
                        "alignment",
                        key,
                    )
                )
    return problems
