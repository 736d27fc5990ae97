"""The hedge check reads negated and compound hedges as one hedge each; the table of
hedges in docs/editors.md is the one the check uses."""

from __future__ import annotations

import re

import pytest

from conftest import MINI_CONCLUSIONS, MINI_SOURCE, ROOT
from healthkb.content.checks.certainty import HEDGES, hedges_in, quote_certainty
from healthkb.editing.kbcheck import check_kb

# Each hedge of the table, in a sentence, with the certainty it allows at most.
SENTENCES = [
    ("Fat may decrease.", "may", "possible"),
    ("Fat may not decrease.", "may not", "possible"),
    ("Fat might decrease.", "might", "possible"),
    ("Fat might not decrease.", "might not", "possible"),
    ("Fat could decrease.", "could", "possible"),
    ("Fat could even increase.", "could even", "possible"),
    ("Fat possibly decreases.", "possibly", "possible"),
    ("Perhaps fat decreases.", "Perhaps", "possible"),
    ("Maybe fat decreases.", "Maybe", "possible"),
    ("Fat is likely to decrease.", "likely", "likely"),
    ("Fat is not likely to decrease.", "not likely", "likely"),
    ("Blood pressure is unlikely to change.", "unlikely", "likely"),
    ("Fat probably decreases.", "probably", "likely"),
    ("Fat probably not decreases.", "probably not", "likely"),
    ("Fat usually decreases.", "usually", "likely"),
    ("Fat often decreases.", "often", "likely"),
    ("Fat tends to decrease.", "tends to", "likely"),
    ("Legs tend to slim.", "tend to", "likely"),
]


@pytest.mark.parametrize(("sentence", "hedge", "level"), SENTENCES, ids=[s[1] for s in SENTENCES])
def test_each_hedge_is_read_as_one_hedge_with_its_certainty(sentence, hedge, level) -> None:
    assert hedges_in(sentence) == [(hedge, level)]
    assert quote_certainty(sentence) == level


def test_every_hedge_of_the_check_has_a_sentence_here() -> None:
    assert {h.lower() for _, h, _ in SENTENCES} == set(HEDGES)


@pytest.mark.parametrize(
    "sentence", ["The likelihood is high.", "The mayor walks.", "Walking can help.", "It will."]
)
def test_words_that_only_look_like_hedges_are_not_hedges(sentence) -> None:
    assert (hedges_in(sentence), quote_certainty(sentence)) == ([], "established")


def test_compound_hedges_across_a_line_break_are_one_hedge() -> None:
    assert hedges_in("it may\n  not decrease") == [("may\n  not", "possible")]


def test_the_table_in_the_editors_guide_lists_every_hedge() -> None:
    text = (ROOT / "docs/editors.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (`.+?`) \| `(\w+)` \|", text, re.MULTILINE)
    documented = {word: level for words, level in rows for word in re.findall(r"`([^`]+)`", words)}
    assert documented == HEDGES


SOURCE = MINI_SOURCE.replace("Eat well.", "Eat well. Blood pressure is unlikely to change.")
UNLIKELY = """\
  - id: pressure_unchanged
    kind: information
    certainty: {certainty}
    statement: {statement}
    because:
      - source: mini
        quote: "Blood pressure is unlikely to change."
"""


def codes(make_kb, certainty: str, statement: str) -> list[str]:
    conclusions = MINI_CONCLUSIONS + UNLIKELY.format(certainty=certainty, statement=statement)
    root = make_kb({"kb/sources/mini.yaml": SOURCE, "kb/conclusions.yaml": conclusions})
    # Only the certainty checks: the new conclusion has no rule (the analysis says so).
    return [p.code for p in check_kb(root).problems if p.code.startswith("overstated")]


def test_statement_hedged_with_unlikely_is_accepted_at_likely(make_kb) -> None:
    assert codes(make_kb, "likely", "Your blood pressure is unlikely to change.") == []


def test_unhedged_conclusion_citing_unlikely_is_overstated(make_kb) -> None:
    assert codes(make_kb, "established", "Your blood pressure will not change.") == [
        "overstated-certainty"
    ]


def test_possible_conclusion_needs_a_word_of_possibility_not_unlikely(make_kb) -> None:
    assert codes(make_kb, "possible", "Your blood pressure is unlikely to change.") == [
        "overstated-statement"
    ]
