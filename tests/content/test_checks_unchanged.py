"""The checks across files report, on broken KBs, exactly what they reported before they
were made faster (issue 23): every problem, departure, pending change and warning, with
its file, line, column, code, message, hint and order, and the same strata.

tests/content/golden/broken_kbs.txt was written by main at 59e0d10, before the checks
read each rule's `when` in one pass and compared titles' numbers without their words,
from the variants of the generated 1,000-rule KB that tests/support/broken_kbs.py
makes (named ones aimed at each check, and 40 of random edits). Rewrite it only for a
change meant to alter what the checks say, with `write_expected` of that module (the
variants made in an empty folder, the text written to the golden file).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.broken_kbs import checked_text, expected_texts, write_variants

EXPECTED = expected_texts(Path(__file__).parent / "golden" / "broken_kbs.txt")


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {root.name: root for root in write_variants(tmp_path_factory.mktemp("variants"))}


def test_every_variant_is_recorded(variants: dict[str, Path]) -> None:
    assert sorted(variants) == sorted(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_checks_report_what_they_reported_before(variants: dict[str, Path], name: str) -> None:
    assert checked_text(variants[name]) == EXPECTED[name]
