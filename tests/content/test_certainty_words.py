"""The hedge check reads negated and compound hedges as one hedge each; the table of
hedges in docs/editors.md is the one the check uses."""

from __future__ import annotations

import re

import pytest

from conftest import MINI_CONCLUSIONS, MINI_SOURCE, ROOT
from healthkb.content.checks.certainty import HEDGES, hedges_in, quote_certainty
from healthkb.editing.kb_validation import check_kb

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
    ("Fat sometimes decreases.", "sometimes", "possible"),
    ("Squats can help build muscle.", "can help", "possible"),
    ("Walking may help.", "may help", "possible"),
    ("Fat does not necessarily decrease.", "not necessarily", "possible"),
    ("Fat will likely decrease.", "likely", "likely"),
    ("Fat is likely to decrease.", "is likely to", "likely"),
    ("Fat is unlikely to decrease.", "is unlikely to", "likely"),
    ("Fat is not likely to decrease.", "not likely", "likely"),
    ("Blood pressure, unlikely as it seems, changes.", "unlikely", "likely"),
    ("Fat probably decreases.", "probably", "likely"),
    ("Fat probably not decreases.", "probably not", "likely"),
    ("Fat usually decreases.", "usually", "likely"),
    ("Fat usually not returns.", "usually not", "likely"),
    ("Fat does not usually return.", "not usually", "likely"),
    ("Fat does not always decrease.", "not always", "likely"),
    ("Fat rarely decreases.", "rarely", "likely"),
    ("Fat seldom decreases.", "seldom", "likely"),
    ("Fat often decreases.", "often", "likely"),
    ("Fat tends to decrease.", "tends to", "likely"),
    ("Legs tend to slim.", "tend to", "likely"),
    ("Fat tends not to return.", "tends not to", "likely"),
    ("In general, fat decreases.", "In general", "likely"),
    ("Fat generally decreases.", "generally", "likely"),
]


@pytest.mark.parametrize(("sentence", "hedge", "level"), SENTENCES, ids=[s[1] for s in SENTENCES])
def test_each_hedge_is_read_as_one_hedge_with_its_certainty(sentence, hedge, level) -> None:
    assert hedges_in(sentence) == [(hedge, level)]
    assert quote_certainty(sentence) == level


def test_every_hedge_of_the_check_has_a_sentence_here() -> None:
    assert {h.lower() for _, h, _ in SENTENCES} == set(HEDGES)


@pytest.mark.parametrize(
    "sentence", ["The likelihood is high.", "The mayor walks.", "Running can reduce.", "It will."]
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


# Certainty along the proof: the rules on every derivation of a conclusion, and the
# rules deriving the facts they test, are read for hedges too.
USUALLY_SOURCE = MINI_SOURCE.replace("Eat well.", "Eat well. Tired walkers usually need rest.")
TIRED_RULES = """\
rules:
  - id: enough_walking
    version: 1
    title: Enough walking
    status: active
    when: {{fact: walk.sessions, between: [3, 5]}}
    then:
      derive: {{fact: walking_load, values: {{level: enough}}}}
    because:
      - source: mini
        quote: "Walking 3–5 times a week"
  - id: walking_helps
    version: 1
    title: Walking may help
    status: active
    when: {{fact: walking_load.level, eq: enough}}
    then: {{conclude: walking_may_help}}
    because:
      - source: mini
        quote: "may help"
  - id: tired_walker
    version: 1
    title: A tired walker's load is low
    status: active
    when: {{fact: walk.tired, eq: true}}
    then:
      derive: {{fact: walking_load, values: {{level: low}}}}
    because:
      - source: mini
        quote: "{quote}"
  - id: rest_when_tired
    version: 1
    title: Rest when tired
    status: active
    when: {when}
    then: {{conclude: rest}}
    because:
      - source: mini
        quote: "Rest when tired."
"""


def path_problems(make_kb, when: str, quote: str = "Tired walkers usually need rest.") -> list:
    root = make_kb(
        {
            "kb/sources/mini.yaml": USUALLY_SOURCE,
            "rules/walking.yaml": TIRED_RULES.format(when=when, quote=quote),
        }
    )
    return [p for p in check_kb(root).problems if p.code.startswith("overstated")]


def test_a_rule_quoting_usually_on_the_way_to_an_established_conclusion_is_overstated(
    make_kb,
) -> None:
    problems = path_problems(make_kb, "{fact: walking_load.level, eq: low}")
    assert [(p.file, p.line, p.code) for p in problems] == [
        ("kb/conclusions.yaml", 11, "overstated-certainty")
    ]
    assert problems[0].message == (
        "conclusion `rest` is `established` but rule `tired_walker`, on a derivation of it, "
        "cites “usually” (mini: “Tired walkers usually need rest.”)"
    )
    assert problems[0].hint.startswith("use certainty `likely`")


def test_a_rule_whose_derived_value_the_condition_rejects_is_not_on_the_derivation(
    make_kb,
) -> None:
    assert path_problems(make_kb, "{fact: walking_load.level, eq: enough}") == []


def test_a_fact_tested_under_not_rests_on_its_absence_not_on_its_rules(make_kb) -> None:
    when = "{all: [{fact: walk.tired, eq: true}, {not: {fact: walking_load.level, eq: low}}]}"
    assert path_problems(make_kb, when) == []


def test_any_branch_of_a_condition_is_a_derivation_of_its_own(make_kb) -> None:
    when = "{any: [{fact: walk.tired, eq: true}, {fact: walking_load.level, eq: low}]}"
    assert [p.code for p in path_problems(make_kb, when)] == ["overstated-certainty"]


def test_can_help_in_a_conclusions_own_quote_is_no_longer_read_as_established(make_kb) -> None:
    source = MINI_SOURCE.replace("Eat well.", "Eat well. Squats can help build muscle.")
    squats = UNLIKELY.replace("pressure_unchanged", "squats_build_muscle").replace(
        "Blood pressure is unlikely to change.", "Squats can help build muscle."
    )
    conclusions = MINI_CONCLUSIONS + squats.format(
        certainty="established", statement="Squats will reduce the fat on your thighs."
    )
    root = make_kb({"kb/sources/mini.yaml": source, "kb/conclusions.yaml": conclusions})
    found = [(p.code, p.message) for p in check_kb(root).problems if p.code.startswith("over")]
    assert found == [
        (
            "overstated-certainty",
            "conclusion `squats_build_muscle` is `established` but its source says “can help”",
        )
    ]
