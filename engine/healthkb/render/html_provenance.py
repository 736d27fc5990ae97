"""What the report says of a source's provenance, evidence and review dates, as table rows."""

from __future__ import annotations

from ..content.model import Source
from ..results.evidence import provenance
from .html import esc


def provenance_rows(source: Source) -> str:
    """Licence, language, translation, evidence and review dates of a source: `unknown`
    where nothing is known, as the source file says."""
    known = provenance(source)
    rows = [
        ("licence", known["licence"]),
        ("language", known["language"]),
    ]
    translation = known["translation"]
    if translation is not None:
        rows += [
            ("translated from", translation["original_language"]),
            ("original title", translation["original_title"]),
            ("translator", translation["translator"]),
            ("translated", translation["translated"]),
        ]
    evidence = known["evidence"]
    rows += [
        ("evidence", f"{evidence['level']} ({evidence['scale']})"),
        ("reviewed", known["reviewed"]),
        ("review by", known["review_by"]),
    ]
    return "".join(f"<tr><th>{esc(name)}</th><td>{esc(value)}</td></tr>" for name, value in rows)


def disclaimer_html(disclaimer: str | None) -> str:
    """The KB's disclaimer as a paragraph of its own (nothing when it has none)."""
    return f'<p class="disclaimer"><strong>{esc(disclaimer)}</strong></p>' if disclaimer else ""
