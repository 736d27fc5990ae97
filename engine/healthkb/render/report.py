"""The auditors' static report site: build it from a KB, write it to a folder.

>>> import healthkb
>>> from healthkb.editing.report_data import gather_report
>>> from healthkb.render.report import build_report
>>> pages = build_report(gather_report(healthkb.load()))
>>> sorted(pages)[:2]
['index.html', 'rules/appropriate_running_shoes.html']

The site needs no server and no network: inline CSS, no script, relative links.
The same KB gives the same bytes, so two reports can be compared with `diff -r`.

A KB in several languages gets the site in each: the one asked for (its default
language unless `healthkb report --lang`) at the top, every other under
`lang/<tag>/`, each page with a switch to the same page in the others. The KB's own
wording (statements, titles, questions, labels, reasons) comes from its translation,
the site's headings and table heads from the message catalogue (`SITE_WORDS`), as are
the pages' titles, footers and conditions' words; the other sentences of the site's own
prose stay in English.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

from ..content.languages.messages import word
from ..content.languages.translated import in_language
from ..editing.report_data import ReportData
from .html import esc, generator_tag, language_switch
from .html_site import SITE_GENERATOR, site_pages

# The folders the site's pages live in: stale pages in them (a rule since removed) are
# deleted, but only pages the report wrote (they carry its generator tag).
_PAGE_FOLDERS = ("sources", "rules")
_MARKER = generator_tag(SITE_GENERATOR).encode("utf-8")


LANGUAGES_FOLDER = "lang"

SITE_WORDS = (
    "Sources",
    "Rules",
    "Conclusions",
    "Background facts",
    "Test cases",
    "Conditions",
    "Citations",
    "Test cases covering this rule",
    "knowledge base",
    "version",
    "digest",
    "test cases",
    "analysis",
    "source",
    "publisher",
    "author",
    "published",
    "sentences",
    "encoded",
    "left out",
    "partly encoded",
    "untouched",
    "accounted for",
    "rule",
    "status",
    "title",
    "outcome",
    "case",
    "file",
    "result",
    "rules fired",
    "address",
    "text sha256",
)
"""The site's headings (`<h2>`) and table heads (`<th>`), worded in each language."""


def build_report(data: ReportData, lang: str | None = None) -> dict[str, str]:
    """Every page of the report, keyed by path relative to the site's folder: in `lang`
    (one of the KB's languages; its default for None) at the top, in each other
    language of the KB under `lang/<tag>/`."""
    content = data.content
    top = lang or content.default_language
    if len(content.languages) < 2:
        return site_pages(data)
    others = [tag for tag in content.languages if tag != top]
    folders = {top: "", **{tag: f"{LANGUAGES_FOLDER}/{tag}/" for tag in others}}
    pages: dict[str, str] = {}
    for tag, folder in folders.items():
        worded = dataclasses.replace(data, content=in_language(content, tag))
        for name, text in site_pages(worded).items():
            pages[folder + name] = _localized(text, tag, name, folder, folders)
    return pages


def _localized(text: str, tag: str, name: str, folder: str, folders: dict[str, str]) -> str:
    """A page of the site in language `tag`: its `<html lang>`, and a switch linking to
    the same page in each language (relative links, so the site works from a folder)."""
    up = "../" * (len(PurePosixPath(folder + name).parts) - 1)
    links = [(other, esc(up + place + name)) for other, place in folders.items()]
    switch = language_switch(tag, sorted(links, key=lambda link: link[0] != "en"))
    for english in SITE_WORDS:
        worded = esc(word(tag, english))
        for element in ("h2", "th"):
            text = text.replace(
                f"<{element}>{english}</{element}>", f"<{element}>{worded}</{element}>"
            )
    return text.replace('<html lang="en">', f'<html lang="{esc(tag)}">', 1).replace(
        "<body>\n", "<body>\n" + switch, 1
    )


def write_report(data: ReportData, out: str | Path, lang: str | None = None) -> list[Path]:
    """Write the report into `out` (created if missing; its parent must exist).

    Returns the files written, sorted. Other files in `out` are left alone, except the
    pages this report wrote before in `sources/` and `rules/` whose rule or source no
    longer exists.
    """
    folder = Path(out)
    pages = build_report(data, lang)
    folder.mkdir(exist_ok=True)
    tops = sorted({name.rsplit("/", 2)[0] + "/" for name in pages if name.count("/") >= 3})
    for top in ["", *tops]:
        for name in _PAGE_FOLDERS:
            (folder / top / name).mkdir(parents=True, exist_ok=True)
            for stale in sorted((folder / top / name).glob("*.html")):
                if f"{top}{name}/{stale.name}" not in pages and _written_by_report(stale):
                    stale.unlink()
    written = []
    for name, text in sorted(pages.items()):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def _written_by_report(path: Path) -> bool:
    """Whether a page carries the report's generator tag (it is in the first lines)."""
    if not path.is_file():
        return False
    with path.open("rb") as page:
        return _MARKER in page.read(1024)
