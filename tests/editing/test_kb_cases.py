"""The bundled KB's own YAML test cases (kb/tests/*.yaml), one pytest test per case."""

from __future__ import annotations

import pytest

import healthkb
from healthkb.editing.case_explanations import case_report
from healthkb.editing.cases import read_cases, run_case
from healthkb.render.cases import cases_text

# Read at collection time so that each case is its own test, named after the case.
_KB = healthkb.load()
_CASES = read_cases(_KB)


@pytest.mark.parametrize("placed", _CASES, ids=[c.item.name for c in _CASES])
def test_bundled_case(placed) -> None:
    outcome = run_case(_KB, placed)
    if not outcome.passed:
        # The same report `healthkb test` prints: expected, got, and the why-not.
        pytest.fail(cases_text(case_report(_KB, [outcome])), pytrace=False)
