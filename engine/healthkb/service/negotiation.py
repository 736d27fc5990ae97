"""Which language an answer is in: the request's `Accept-Language` against the KB's.

RFC 4647 matching (`content/languages/tags.py`): each range in the order of its
weight, by lookup, then through its likely script (`zh-CN` finds `zh-Hans`), then by
basic filtering (`zh` finds `zh-Hans`). Every answer says its language in
`Content-Language` (and `Vary: Accept-Language`). When no range matches, the answer is
in the KB's default language with a note saying so (`language_note` in JSON answers, a
`Content-Language` of the default), never a 406: a person asking in a language the KB
does not speak still gets the guidance.

An answer in the default language is exactly what it is without the header; one in
another language says it (`"language": "zh-Hans"`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..content.languages.tags import accepted_ranges, negotiate
from ..errors import shorten
from ..knowledge_base import KnowledgeBase


@dataclass(frozen=True)
class Negotiated:
    """The language of one answer."""

    lang: str | None
    """What to evaluate with (`kb.evaluate(lang=...)`): None for the default language."""
    served: str
    """The answer's language, for `Content-Language`."""
    note: str | None = None
    """Why the answer is not in a language asked for (nothing matched)."""

    def headers(self) -> dict[str, str]:
        return {"Content-Language": self.served, "Vary": "Accept-Language"}


def negotiated(kb: KnowledgeBase, header: str | None) -> Negotiated:
    """The language `Accept-Language: header` asks of `kb`."""
    default = kb.content.default_language
    if header is None or not header.strip():
        return Negotiated(None, default)
    found = negotiate(header, kb.languages)
    if found is not None:
        return Negotiated(None if found == default else found, found)
    asked = shorten(", ".join(accepted_ranges(header)) or header.strip(), 200)
    return Negotiated(
        None,
        default,
        f"none of the languages asked for ({asked}) is available: answered in {default} "
        f"(available: {', '.join(kb.languages)})",
    )
