"""Assembling checked models into `KBContent`: the digest, the places, the changes.

Its fast paths, and why they give the same answer: docs/performance.md, "Assembling and the digest".
"""

from __future__ import annotations

from pathlib import Path

from ..fhir_mapping import FhirMapping
from ..located_items import Placed
from ..model import Conclusion
from ..rule_model import Rule
from ..silence_model import Silence
from ..versioning.bump import changes_since
from .checking import Checked
from .content_digest import ContentDigest
from .kb_content import CheckedContent, KBContent
from .reading import ReadFiles


def assemble(base: Path, read: ReadFiles, checked: Checked) -> CheckedContent:
    """The checked content, when every file it is made of was read (else only problems)."""
    problems, pending = checked.problems, checked.pending
    if (
        read.manifest is None
        or read.vocabulary is None
        or read.conclusions_file is None
        or read.rules_unread
    ):
        return CheckedContent(None, problems, pending, checked.departures)
    content = dict(
        manifest=read.manifest[0],
        sources={s.item.id: s.item for s in read.sources},
        vocabulary=read.vocabulary.item,
        conclusions={c.item.id: c.item for c in read.conclusions},
        rules={r.item.id: r.item for r in read.rules},
        silences={s.item.id: s.item for s in read.silences},
        # Part of the digest: the mapping changes what the KB answers to FHIR data.
        fhir=read.fhir[0] if read.fhir is not None else FhirMapping(),
    )
    translations = {t.item.language: t.item for t in read.translations}
    lock = read.lock[0] if read.lock else None
    # The items the checks made from the same models: an id read twice is there twice,
    # and the last one counts, as it does in `content` (`versioned.items_of` of it).
    changes = changes_since(lock, checked.versioned_items)
    # A KB that declares no languages keeps the digest it had before they existed.
    languages = read.manifest[0].languages
    worded = {"languages": languages, "translations": translations} if languages else {}
    kb = KBContent(
        root=base,
        rule_files={r.item.id: r.file for r in read.rules},
        citations=checked.citations,
        dnf=checked.dnf,
        silence_dnf=checked.silence_dnf,
        places=_places(read.rules, read.conclusions, read.silences) | _review_places(read),
        strata=checked.strata,
        content_digest=ContentDigest(content | worded),
        translations=translations,
        translation_warnings=tuple(sorted(checked.translation_warnings)),
        lock=lock,
        pending=tuple(sorted(pending)),
        changes=changes,
        links_outside=read.links_outside,
        **content,  # type: ignore[arg-type]
    )
    return CheckedContent(kb, problems, pending, checked.departures, checked.analysable)


def _places(
    rules: list[Placed[Rule]],
    conclusions: list[Placed[Conclusion]],
    silences: list[Placed[Silence]],
) -> dict[tuple[str, str], str]:
    places: dict[tuple[str, str], str] = {}
    for kind, items in (("rule", rules), ("conclusion", conclusions), ("silence", silences)):
        # Where its condition is, for "can never fire" (a conclusion has none).
        when_kind = f"{kind}_when" if kind != "conclusion" else None
        for placed in items:
            located, path, item_id = placed.located, placed.path, placed.item.id
            line, column = located.place(path)
            places.setdefault((kind, item_id), f"{located.file}:{line}:{column}")
            if when_kind is not None:
                line, column = located.place((*path, "when"))
                places.setdefault((when_kind, item_id), f"{located.file}:{line}:{column}")
    return places


def _review_places(read: ReadFiles) -> dict[tuple[str, str], str]:
    """Where each source says when it must be reviewed again (or the source, if it does
    not): what `validate` points at for a review date near or past."""
    places: dict[tuple[str, str], str] = {}
    for placed in read.sources:
        field = ("review_by",) if placed.item.review_by is not None else ()
        line, column = placed.located.place((*placed.path, *field))
        places[("source_review_by", placed.item.id)] = f"{placed.file}:{line}:{column}"
    return places
