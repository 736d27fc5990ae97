"""The auditors' static report site: build it from a KB, write it to a folder.

>>> import healthkb
>>> from healthkb.report import build_report
>>> pages = build_report(healthkb.load())
>>> sorted(pages)[:2]
['index.html', 'rules/appropriate_running_shoes.html']

The site needs no server and no network: inline CSS, no script, relative links.
The same KB gives the same bytes, so two reports can be compared with `diff -r`.
"""

from __future__ import annotations

from pathlib import Path

from .cases import read_cases, run_cases
from .knowledge_base import KnowledgeBase
from .passages import coverage
from .render.html_site import SiteInput, site_pages

# The folders the site owns: stale pages in them (a rule since removed) are deleted.
_OWNED_FOLDERS = ("sources", "rules")


def build_report(kb: KnowledgeBase) -> dict[str, str]:
    """Every page of the report, keyed by path relative to the site's folder.

    Runs the KB's own test cases (`kb/tests/*.yaml`) to show which rules they cover;
    broken case files raise `KBError`, as `healthkb test` would report them.
    """
    outcomes = run_cases(kb, read_cases(kb))
    return site_pages(SiteInput(kb.content, coverage(kb.content), outcomes))


def write_report(kb: KnowledgeBase, out: str | Path) -> list[Path]:
    """Write the report into `out` (created if missing; its parent must exist).

    Returns the files written, sorted. Other files in `out` are left alone, except
    stale `.html` pages in the folders the site owns.
    """
    folder = Path(out)
    pages = build_report(kb)
    folder.mkdir(exist_ok=True)
    for owned in _OWNED_FOLDERS:
        (folder / owned).mkdir(exist_ok=True)
        for stale in (folder / owned).glob("*.html"):
            if f"{owned}/{stale.name}" not in pages:
                stale.unlink()
    written = []
    for name, text in sorted(pages.items()):
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written
