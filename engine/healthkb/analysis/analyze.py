"""`analyze(content)`: every finding about a KB, proved with z3 over all profiles.

>>> from healthkb.content.loading.loader import read_content
>>> report = analyze(read_content())
>>> report.findings
()
"""

from __future__ import annotations

import time

from ..content.loading.kb_content import KBContent
from .encoding import Encoding
from .findings import Finding, Report
from .gaps import gaps
from .overlaps import ambiguities, conflicts, redundancies
from .prove import Prover
from .reachability import rule_witnesses, unreachable_conclusions, unreachable_rules
from .silences import contradicted_silences


def analyze(content: KBContent) -> Report:
    """Conflicts, ambiguities, unreachable rules and conclusions, redundant rules and gaps.

    `content` must be a KB without problems (`read_content`, or `check_content` with
    `analysable`). Only active rules count, as only they fire.
    """
    started = time.perf_counter()
    encoding = Encoding(content)
    prover = Prover(encoding)
    witnesses = rule_witnesses(encoding, prover)
    findings: list[Finding] = []
    findings += unreachable_rules(encoding, prover, witnesses)
    findings += unreachable_conclusions(encoding, witnesses)
    findings += conflicts(encoding, prover, witnesses)
    findings += ambiguities(encoding, prover, witnesses)
    findings += redundancies(encoding, prover, witnesses)
    findings += gaps(encoding, prover, witnesses)
    findings += contradicted_silences(encoding, prover, witnesses)
    return Report(
        kb_id=content.manifest.id,
        kb_version=content.version,
        kb_digest=content.digest,
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        questions=prover.questions,
        seconds=time.perf_counter() - started,
    )
