"""What the auditors' report shows, gathered: the KB's passages, its test cases'
outcomes, sentence and rule coverage, and the analysis. `render/report.py` turns it
into pages; nothing is computed while rendering."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..analysis.analyze import analyze
from ..analysis.findings import Report
from ..content.loading.kb_content import KBContent
from ..knowledge_base import KnowledgeBase
from .cases import CaseOutcome, read_cases, run_cases
from .coverage import Coverage
from .coverage import coverage as sentence_and_rule_coverage
from .passages import SourceCoverage, coverage


@dataclass(frozen=True)
class ReportData:
    """Everything the site shows: the KB, its passages and its test cases' outcomes."""

    content: KBContent
    coverage: dict[str, SourceCoverage]
    cases: Sequence[CaseOutcome]
    # Sentence by sentence, as `healthkb coverage` counts them: the site's figures and
    # the text it shades as untouched come from here, so both count the same way.
    sentences: Coverage
    analysis: Report | None = None


def gather_report(kb: KnowledgeBase) -> ReportData:
    """Everything the report shows about `kb`.

    Runs the KB's own test cases (`kb/tests/*.yaml`) to show which rules they cover;
    broken case files raise `KBError`, as `healthkb test` would report them. Analyses
    the KB (`healthkb analyze`) for the findings page.
    """
    outcomes = run_cases(kb, read_cases(kb))
    sentences = sentence_and_rule_coverage(kb.content, outcomes)
    return ReportData(kb.content, coverage(kb.content), outcomes, sentences, analyze(kb.content))
