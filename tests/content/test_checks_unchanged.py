"""The checks across files report, on broken KBs, exactly what they reported before they
were made faster (issue 23): every problem, departure, pending change and warning, with
its file, line, column, code, message, hint and order, and the same strata.

tests/content/golden/broken_kbs.txt was written by main at 59e0d10, before the checks
read each rule's `when` in one pass and compared titles' numbers without their words,
from the variants of the generated 1,000-rule KB that tests/support/broken_kbs.py
makes (named ones aimed at each check, and 40 of random edits); `quotes_cited_again`
and `source_unloaded` by main at 4ed9c05, before the one pass kept only the rules'
citations the citation check needs. Rewrite it only for a change meant to alter what
the checks say, with `write_expected` of that module (the variants made in an empty
folder, the text written to the golden file).

The one pass's gathering is also held to the plain way on every variant: the rules'
citations kept once (`CitedOnce`) against all of them, and the strata from what the
pass gathered (`Movable`) against the strata worked out from the normal forms.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from healthkb.content.checks.cross_file import (
    CitationIndex,
    CitedOnce,
    all_citations,
    check_citations,
)
from healthkb.content.checks.stratification import stratify_rules
from healthkb.content.languages.originals import original_texts
from healthkb.content.loading.checking import check_files
from healthkb.content.loading.reading import ReadFiles, read_files
from healthkb.content.sources import SourceText
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


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_rules_citations_kept_once_give_every_problem_and_passage(
    variants: dict[str, Path], name: str
) -> None:
    read = read_files(variants[name])
    every = _citation_check(read, once=False)
    assert _citation_check(read, once=True) == every


def _citation_check(read: ReadFiles, *, once: bool) -> tuple[list[str], list[str]]:
    """The citation check's problems and the passages it resolved, with the rules'
    citations all given or kept once."""
    index = CitationIndex(
        {s.item.id: SourceText(s.item.text) for s in read.sources},
        originals=original_texts(read.sources),
    )
    kept = CitedOnce(index)
    for rule in read.rules if once else ():
        kept.add(rule)
    cited = all_citations(
        read.sources,
        read.vocabulary,
        read.conclusions,
        read.rules,
        read.silences,
        rules_cited=kept.cited if once else None,
    )
    problems = check_citations(cited, index, read.broken_sources)
    return [repr(p) for p in problems], [repr(item) for item in index.resolved.items()]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_strata_from_the_one_pass_are_those_of_the_normal_forms(
    variants: dict[str, Path], name: str
) -> None:
    read = read_files(variants[name])
    checked = check_files(read)
    if read.vocabulary is None or not checked.strata:
        return  # not stratified (a rule unread, named twice, or naming the undeclared)
    active = [rule for rule in read.rules if rule.item.status == "active"]
    plain = stratify_rules(active, checked.dnf, read.vocabulary.item)
    assert list(plain.strata.items()) == list(checked.strata.items())
    assert plain.problems == [p for p in checked.problems if p.code == "negation-cycle"]
