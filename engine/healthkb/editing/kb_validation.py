"""Every problem of a KB and of its test cases, at once: what `validate` and `release` check.

The KB's own checks (files, quotes, references, versions), its analysis (`healthkb
analyze`: unreachable rules, conflicts, ambiguities are errors; redundant rules and
gaps are warnings) and its test cases (`kb/tests/*.yaml`) are independent: a rule
whose version was not raised does not stop a misspelt conclusion in a test case from
being reported. The analysis runs whenever the rules, silences and vocabulary are
sound enough for it, whatever else is wrong; test cases are checked whenever the files
they are checked against (the vocabulary, the conclusions, every rule file) could be
read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis.analyze import analyze
from ..analysis.findings import Finding
from ..content.loading.kb_content import KBContent
from ..content.loading.loader import check_content
from ..content.located_items import Placed
from ..content.provenance import today_or_environment
from ..errors import KBError, Problem, shorten
from ..files.yaml_reader import read_yaml
from .cases import TestCase, check_cases
from .review_dates import review_problems, review_warnings
from .translations import missing_translation_warnings

MANIFEST_FILE = "kb/kb.yaml"


@dataclass(frozen=True)
class KBCheck:
    """A KB's problems with those of its test cases, sorted by place.

    `content` and `cases` are what could be read; use them only when `problems` is
    empty (see `checked`). Error findings of the analysis are among `problems`;
    `warnings` holds its warning findings (`redundant`, `gap`).
    """

    content: KBContent | None
    cases: list[Placed[TestCase]]
    problems: list[Problem]
    warnings: list[Finding] = field(default_factory=list)


def check_kb(
    root: str | Path | None = None,
    *,
    allow_links_outside: bool = False,
    today: datetime.date | None = None,
) -> KBCheck:
    """Check and analyse the KB under `root` (default: the bundled one) and its test cases
    (links out of `root`: see `load`). `today` (default: `today_or_environment()`) is the
    day review dates are checked on."""
    checked = check_content(root, allow_links_outside=allow_links_outside)
    # A pending version bump is a problem here: validate and release refuse it.
    problems = [*checked.problems, *checked.pending, *checked.departures]
    if checked.content is not None:
        day = today_or_environment() if today is None else today
        problems += review_problems(checked.content, day)
    cases: list[Placed[TestCase]] = []
    warnings: list[Finding] = []
    if checked.content is not None and checked.analysable:
        report = analyze(checked.content)
        problems += [finding.as_problem() for finding in report.errors]
        warnings = report.warnings
    if checked.content is not None:
        try:
            cases = check_cases(checked.content)
        except KBError as error:
            problems += error.problems
    return KBCheck(checked.content, cases, sorted(problems), warnings)


def checked(
    root: str | Path | None = None, today: datetime.date | None = None
) -> tuple[KBContent, list[Placed[TestCase]]]:
    """The KB's content and test cases; raises one `KBError` listing every problem."""
    check = check_kb(root, today=today)
    if check.problems or check.content is None:
        raise KBError(check.problems)
    return check.content, check.cases


def kb_warnings(content: KBContent, today: datetime.date | None = None) -> list[Problem]:
    """What `validate` notes without failing: sources due for review soon, a title and
    description that mention some sources (by title, author or publisher) but not all,
    as after a source was added, and wordings a translation lacks."""
    day = today_or_environment() if today is None else today
    return [
        *review_warnings(content, day),
        *_undescribed_sources(content),
        *missing_translation_warnings(content),
    ]


def _undescribed_sources(content: KBContent) -> list[Problem]:
    manifest = content.manifest
    said = f"{manifest.title}\n{manifest.description}".casefold()
    missing = [
        source
        for source_id, source in sorted(content.sources.items())
        if not any(
            word.casefold() in said for word in (source.title, source.author, source.publisher)
        )
    ]
    # A title naming no source at all ("Mini KB") is generic, not out of date.
    if not missing or len(missing) == len(content.sources):
        return []
    try:
        located = read_yaml(content.root / MANIFEST_FILE, MANIFEST_FILE)
    except KBError:
        return []
    return [
        located.problem(
            ("title",),
            "source-not-described",
            f"the KB's title and description do not mention source `{source.id}` "
            f"(“{shorten(source.title)}”, by {source.author}, {source.publisher})",
            "say in `title` or `description` what the KB now covers",
        )
        for source in missing
    ]
