"""The declarations the analysis reads (`excludes`, `single_valued`, `kb/silences.yaml`)
are checked like everything else: located problems, a hint, nothing half-loaded."""

from __future__ import annotations

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_FACTS
from healthkb.cli import main

SILENCES = """\
silences:
  - id: rested
    about: [walking_may_help]
    when: {not: {fact: walk.sessions, ge: 0}}
    reason: The source says nothing of people who do not walk.
    because: [{source: mini, quote: "Walking 3–5 times a week may help."}]
"""


def problems_of(make_kb, files: dict[str, str]) -> list[str]:
    with pytest.raises(healthkb.KBError) as caught:
        healthkb.load(make_kb(files))
    return [str(p) for p in caught.value.problems]


def test_a_silence_loads_and_counts_in_the_digest(make_kb) -> None:
    plain = healthkb.load(make_kb())
    silenced = healthkb.load(make_kb({"kb/silences.yaml": SILENCES}, name="silenced"))
    assert list(silenced.content.silences) == ["rested"]
    assert silenced.digest != plain.digest


def test_excludes_names_declared_conclusions_other_than_itself(make_kb) -> None:
    conclusions = MINI_CONCLUSIONS.replace(
        '        quote: "Walking 3–5 times a week may help."\n',
        '        quote: "Walking 3–5 times a week may help."\n'
        "    excludes: [rset, walking_may_help]\n",
    )
    assert problems_of(make_kb, {"kb/conclusions.yaml": conclusions}) == [
        "kb/conclusions.yaml:9:16: unknown-conclusion: conclusion `rset` is not declared in "
        "kb/conclusions.yaml (did you mean `rest`?)",
        "kb/conclusions.yaml:9:22: invalid-value: conclusion `walking_may_help` cannot exclude "
        "itself (name the conclusions it must never be reached with)",
    ]


def test_single_valued_belongs_to_derived_facts_only(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        description: Feels tired.\n",
        "        description: Feels tired.\n        single_valued: false\n",
    )
    (problem,) = problems_of(make_kb, {"kb/facts.yaml": facts})
    assert problem == (
        "kb/facts.yaml:13:9: invalid-value: `single_valued` only applies to derived facts, "
        "not to input fact `walk` (remove it: a profile or background fact gives one value)"
    )


def test_a_silence_is_checked_like_a_rule(make_kb) -> None:
    broken = (
        SILENCES.replace("about: [walking_may_help]", "about: [walking_may_hlep]")
        .replace("walk.sessions", "walk.sesions")
        .replace("Walking 3–5", "Walking 3-5")
    )
    twice = broken + broken.replace("silences:\n", "")
    problems = problems_of(make_kb, {"kb/silences.yaml": twice})
    codes = [p.split(": ")[1] for p in problems]
    assert codes == [
        "unknown-conclusion",
        "unknown-attribute",
        "quote-not-found",
        "duplicate-silence-id",
        "unknown-conclusion",
        "unknown-attribute",
        "quote-not-found",
    ]
    assert "did you mean `walking_may_help`?" in problems[0]
    assert "did you mean `sessions`?" in problems[1]


def test_a_broken_silences_file_stops_analyze_with_exit_2(make_kb, capsys) -> None:
    root = make_kb({"kb/silences.yaml": "silences: [\n"})
    assert main(["analyze", str(root)]) == 2
    assert "kb/silences.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cost", "expected"),
    [
        ("0", "invalid-value: `cost` should be greater than 0, got the number 0"),
        ("-2", "invalid-value: `cost` should be greater than 0, got the number -2"),
        ("cheap", 'wrong-type: `cost` needs a number, got the text "cheap"'),
        (".inf", "invalid-value: `cost` should be a finite number, got the number inf"),
    ],
)
def test_a_malformed_cost_is_a_located_problem(make_kb, cost: str, expected: str) -> None:
    facts = MINI_FACTS.replace(
        "        description: Walks per week.\n",
        f"        description: Walks per week.\n        changeable: true\n        cost: {cost}\n",
    )
    (problem,) = problems_of(make_kb, {"kb/facts.yaml": facts})
    assert problem == (
        f"kb/facts.yaml:11:9: {expected} (a positive number, what changing it counts for in a "
        "what-if (default 1))"
    )


def test_a_cost_needs_a_changeable_attribute(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        description: Walks per week.\n",
        "        description: Walks per week.\n        cost: 2\n",
    )
    (problem,) = problems_of(make_kb, {"kb/facts.yaml": facts})
    assert "`cost` only applies to changeable attributes" in problem
    assert problem.startswith("kb/facts.yaml:")
    assert "add `changeable: true`, or remove `cost`" in problem


def test_changeable_belongs_to_input_facts_only(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        description: Level.\n",
        "        description: Level.\n        changeable: true\n",
    )
    (problem,) = problems_of(make_kb, {"kb/facts.yaml": facts})
    assert problem == (
        "kb/facts.yaml:21:9: invalid-value: `changeable` only applies to input facts, not to "
        "derived fact `walking_load` (remove it: only what a profile gives can be changed)"
    )


def test_changeable_and_costs_load_into_the_vocabulary(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        description: Walks per week.\n",
        "        description: Walks per week.\n        changeable: true\n        cost: 2.5\n",
    )
    kb = healthkb.load(make_kb({"kb/facts.yaml": facts}))
    sessions = kb.content.vocabulary.input["walk"].attributes["sessions"]
    assert (sessions.changeable, sessions.cost) == (True, 2.5)
    tired = kb.content.vocabulary.input["walk"].attributes["tired"]
    assert (tired.changeable, tired.cost) == (False, None)
