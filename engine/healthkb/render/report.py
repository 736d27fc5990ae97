"""The auditors' static report site: build it from a KB, write it to a folder.

>>> import healthkb
>>> from healthkb.editing.report_data import gather_report
>>> from healthkb.render.report import build_report
>>> pages = build_report(gather_report(healthkb.load()))
>>> sorted(pages)[:2]
['index.html', 'rules/appropriate_running_shoes.html']

The site needs no server and no network: inline CSS, no script, relative links.
The same KB gives the same bytes, so two reports can be compared with `diff -r`.
"""

from __future__ import annotations

from pathlib import Path

from ..editing.report_data import ReportData
from .html import generator_tag
from .html_site import SITE_GENERATOR, site_pages

# The folders the site's pages live in: stale pages in them (a rule since removed) are
# deleted, but only pages the report wrote (they carry its generator tag).
_PAGE_FOLDERS = ("sources", "rules")
_MARKER = generator_tag(SITE_GENERATOR).encode("utf-8")


def build_report(data: ReportData) -> dict[str, str]:
    """Every page of the report, keyed by path relative to the site's folder."""
    return site_pages(data)


def write_report(data: ReportData, out: str | Path) -> list[Path]:
    """Write the report into `out` (created if missing; its parent must exist).

    Returns the files written, sorted. Other files in `out` are left alone, except the
    pages this report wrote before in `sources/` and `rules/` whose rule or source no
    longer exists.
    """
    folder = Path(out)
    pages = build_report(data)
    folder.mkdir(exist_ok=True)
    for name in _PAGE_FOLDERS:
        (folder / name).mkdir(exist_ok=True)
        for stale in sorted((folder / name).glob("*.html")):
            if f"{name}/{stale.name}" not in pages and _written_by_report(stale):
                stale.unlink()
    written = []
    for name, text in sorted(pages.items()):
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def _written_by_report(path: Path) -> bool:
    """Whether a page carries the report's generator tag (it is in the first lines)."""
    if not path.is_file():
        return False
    with path.open("rb") as page:
        return _MARKER in page.read(1024)
