"""`healthkb analyze`: every finding is true, shown by its witness, and none is missed.

Witnesses are evaluated with the engine and must reproduce their finding. On the tiny
KB the whole profile space is evaluated, profile by profile, and compared with what
the analysis proves: exact, not sampled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import healthkb
from conftest import MINI_FACTS, MINI_RULES, write_kb
from support.analysis_kbs import (
    DUPLICATE_RULE,
    SEED_CONFLICT,
    assert_exact,
    assert_witness_reproduces,
    findings_of,
    report_of,
    seed_copy,
    tiny_kb,
    tiny_rule,
)


def test_the_seed_kb_has_no_findings() -> None:
    report = report_of(Path(__file__).resolve().parents[2])
    assert report.findings == ()


def test_the_issues_contradiction_is_a_conflict_shown_by_a_profile(tmp_path) -> None:
    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    (finding,) = findings_of(root, "conflict")
    assert finding.severity == "error"
    assert finding.conclusions == (
        "thigh_buttock_fat_may_decrease",
        "thigh_buttock_fat_may_not_decrease",
    )
    assert finding.rules == ("fat_may_decrease", "frequent_running_fat_may_not_decrease")
    assert finding.places == ("rules/fat_outcomes.yaml:4:5", "rules/fat_outcomes.yaml:38:5")
    assert_witness_reproduces(root, finding)


def test_load_does_not_analyse_so_a_conflicting_kb_loads_and_its_results_say_so(
    tmp_path,
) -> None:
    kb = healthkb.load(seed_copy(tmp_path / "kb", SEED_CONFLICT))
    result = kb.evaluate(
        {
            "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
            "diet": {
                "low_calorie": True,
                "nutrient_rich": True,
                "limits_high_fat_high_sugar": True,
            },
        }
    )
    (conflict,) = result.conflicts
    assert conflict.rules == ["fat_may_decrease", "frequent_running_fat_may_not_decrease"]
    assert result.model_dump()["conflicts"][0]["conclusions"] == [
        "thigh_buttock_fat_may_decrease",
        "thigh_buttock_fat_may_not_decrease",
    ]
    # A sound result has no `conflicts` entry at all: its JSON is what it always was.
    assert "conflicts" not in kb.evaluate({"symptoms": {"physical_discomfort": True}}).model_dump()


def test_a_contradiction_across_a_derived_fact_is_unreachable(tmp_path) -> None:
    # `walking_load.level eq low` is derived only below 3 walks a week.
    rules = MINI_RULES + (
        "  - id: low_walking\n    version: 1\n    title: Low\n    status: active\n"
        "    when: {fact: walk.sessions, lt: 3}\n"
        "    then: {derive: {fact: walking_load, values: {level: low}}}\n"
        '    because: [{source: mini, quote: "Walking 3–5 times a week"}]\n'
        "  - id: low_but_often\n    version: 1\n    title: Low but often\n    status: active\n"
        "    when: {all: [{fact: walking_load.level, eq: low}, {fact: walk.sessions, ge: 3}]}\n"
        "    then: {conclude: rest}\n"
        '    because: [{source: mini, quote: "Rest when tired."}]\n'
    )
    root = write_kb(tmp_path / "kb", {"rules/walking.yaml": rules})
    healthkb.load(root)  # loads: only the analysis can tell
    (finding,) = findings_of(root, "unreachable")
    assert finding.rules == ("low_but_often",)
    assert finding.message == (
        "rule `low_but_often` can never fire: no profile meets both `walking_load.level eq "
        "low` and `walk.sessions ge 3` (`walking_load` is derived with level: low only by "
        "`low_walking`)"
    )
    assert finding.witness is None


def test_a_threshold_beyond_the_vocabulary_names_every_rule_after_it(tmp_path) -> None:
    root = write_kb(
        tmp_path / "kb", {"rules/walking.yaml": MINI_RULES.replace("between: [3, 5]", "gt: 14")}
    )
    messages = [f.message for f in findings_of(root, "unreachable")]
    assert messages == [
        "conclusion `walking_may_help` can never be reached: every rule that concludes it "
        "(`walking_helps`) can never fire",
        "rule `enough_walking` can never fire: no profile meets `walk.sessions gt 14`",
        "rule `walking_helps` can never fire: no profile meets `walking_load.level eq enough` "
        "(`walking_load` is derived with level: enough only by `enough_walking` (which can "
        "never fire))",
    ]


LOW_RUNNING = (
    "if the running intensity is low, sessions last only十几minutes each and occur "
    "infrequently per week"
)


def test_each_alternative_of_a_rule_that_never_fires_says_why(tmp_path) -> None:
    rules = MINI_RULES + (
        "  - id: never_either_way\n    version: 1\n    title: Never\n    status: active\n"
        "    when:\n      any:\n"
        "        - {fact: walk.sessions, lt: 0}\n"
        "        - {all: [{fact: walk.tired, eq: true}, {fact: walking_load.level, eq: low}]}\n"
        "    then: {conclude: rest}\n"
        '    because: [{source: mini, quote: "Rest when tired."}]\n'
    )
    root = write_kb(tmp_path / "kb", {"rules/walking.yaml": rules})
    (finding,) = findings_of(root, "unreachable")
    assert finding.message == (
        "rule `never_either_way` can never fire: none of its 2 alternatives can hold: "
        "(1) no profile meets `walk.sessions lt 0`; (2) no profile meets "
        "`walking_load.level eq low` (no active rule derives a `walking_load` that meets it)"
    )
    assert finding.places == ("rules/walking.yaml:34:5",)  # its `when`


def test_two_values_of_a_single_valued_attribute_are_an_ambiguity(tmp_path) -> None:
    overlap = """
  - id: running_load_insufficient_too
    version: 1
    title: Moderate running 3 times a week, read as insufficient
    status: active
    when:
      all:
        - {fact: running.intensity, eq: moderate}
        - {fact: running.sessions_per_week, eq: 3}
    then:
      derive: {fact: running_load, values: {level: insufficient}}
    because:
      - source: cainiu-2025-running-thigh-fat
        quote: "LOW_RUNNING"
""".replace("LOW_RUNNING", LOW_RUNNING)
    root = seed_copy(tmp_path / "kb", overlap, "rules/running_and_diet.yaml")
    (finding,) = findings_of(root, "ambiguity")
    assert finding.fact == "running_load.level"
    assert finding.rules == ("running_load_adequate", "running_load_insufficient_too")
    assert_witness_reproduces(root, finding)
    # Declared multi-valued, the same derivations are no longer a finding.
    facts = root / "kb/facts.yaml"
    facts.write_text(
        facts.read_text(encoding="utf-8").replace(
            "        values: [adequate, insufficient]\n",
            "        values: [adequate, insufficient]\n        single_valued: false\n",
        ),
        encoding="utf-8",
    )
    assert findings_of(root, "ambiguity") == []


def test_duplicates_and_narrower_rules_are_redundant(tmp_path) -> None:
    planted = (
        DUPLICATE_RULE
        + """
  - id: stop_when_running_hard_with_discomfort
    version: 1
    title: Stop hard running on physical discomfort
    status: active
    when:
      all:
        - {fact: symptoms.physical_discomfort, eq: true}
        - {fact: running.intensity, eq: high}
    then: {conclude: stop_and_rest}
    because:
      - source: cainiu-2025-running-thigh-fat
        quote: "If you experience any physical discomfort, stop exercising immediately and rest."
"""
    )
    root = seed_copy(tmp_path / "kb", planted, "rules/safety_and_habits.yaml")
    found = findings_of(root, "redundant")
    assert [(f.rules, f.severity) for f in found] == [
        (("stop_on_discomfort_again", "stop_on_discomfort"), "warning"),
        (("stop_when_running_hard_with_discomfort", "stop_on_discomfort"), "warning"),
    ]
    assert found[0].message == (
        "rule `stop_on_discomfort_again` duplicates rule `stop_on_discomfort`: same "
        "conditions, same effect"
    )
    for finding in found:
        assert_witness_reproduces(root, finding)


def test_a_silence_removed_shows_its_gap_as_regions_and_witnesses(tmp_path) -> None:
    root = seed_copy(tmp_path / "kb")
    silences = root / "kb/silences.yaml"
    text = silences.read_text(encoding="utf-8")
    start = text.index("  - id: adequate_running_uncontrolled_diet")
    end = text.index("  - id: insufficient_running_controlled_diet")
    silences.write_text(text[:start] + text[end:], encoding="utf-8")
    found = findings_of(root, "gap")
    assert found and all(f.severity == "warning" for f in found)
    for finding in found:
        assert finding.region and finding.places == ("kb/conclusions.yaml:5:5",)
        assert_witness_reproduces(root, finding)
        profile = finding.witness
        assert profile is not None
        result = healthkb.load(root).evaluate(profile)
        derived = {(d.fact, str(d.values)) for d in result.derived}
        # Every gap left is the one the removed silence covered.
        assert ("running_load", "{'level': 'adequate'}") in derived
        assert ("diet_control", "{'state': 'uncontrolled'}") in derived


def test_a_conclusion_no_active_rule_concludes_is_unreachable(tmp_path) -> None:
    root = write_kb(
        tmp_path / "kb",
        {
            "rules/walking.yaml": MINI_RULES.replace(
                "status: active\n    when: {fact: walk.tired",
                "status: draft\n    when: {fact: walk.tired",
            )
        },
    )
    (finding,) = findings_of(root)
    assert finding.kind == "unreachable" and finding.conclusions == ("rest",)
    assert finding.message == "conclusion `rest` can never be reached: no active rule concludes it"


def test_no_float_lies_between_two_neighbouring_thresholds(tmp_path) -> None:
    facts = MINI_FACTS.replace(
        "      tired:\n",
        "      pace:\n        type: number\n        description: Pace.\n      tired:\n",
    )
    rules = MINI_RULES + (
        "  - id: between_neighbours\n    version: 1\n    title: Never\n    status: active\n"
        "    when: {all: [{fact: walk.pace, gt: 1.0}, {fact: walk.pace, lt: 1.0000000000000002}]}\n"
        "    then: {conclude: rest}\n"
        '    because: [{source: mini, quote: "Rest when tired."}]\n'
        "  - id: a_tenth_and_more\n    version: 1\n    title: Fine\n    status: active\n"
        "    when: {all: [{fact: walk.pace, gt: 0.1},\n"
        "                 {fact: walk.pace, lt: 0.30000000000000004}]}\n"
        "    then: {conclude: rest}\n"
        '    because: [{source: mini, quote: "Rest when tired."}]\n'
    )
    root = write_kb(tmp_path / "kb", {"kb/facts.yaml": facts, "rules/walking.yaml": rules})
    assert [f.rules for f in findings_of(root, "unreachable")] == [("between_neighbours",)]
    kb = healthkb.load(root)
    redundant = findings_of(root, "redundant")
    for finding in redundant:
        assert_witness_reproduces(root, finding)
    assert kb


# --- exact: the tiny KB's whole profile space against the analysis ------------------

CONCLUDE_HELP = "{conclude: may_help}"
CONCLUDE_NOT = "{conclude: may_not_help}"
CONCLUDE_REST = "{conclude: rest}"
HEAVY = "{derive: {fact: load, values: {level: heavy}}}"
LIGHT = "{derive: {fact: load, values: {level: light}}}"
REST_NEEDED = "{derive: {fact: rest, values: {needed: true}}}"

RULE_SETS = {
    "every operator on input facts": [
        tiny_rule(
            "r1",
            "{all: [{fact: day.steps, between: [2, 4]}, {fact: day.mood, in: [fair, high]}]}",
            CONCLUDE_HELP,
        ),
        tiny_rule(
            "r2",
            "{all: [{fact: day.steps, lt: 3}, {not: {fact: day.tired, eq: true}}]}",
            CONCLUDE_NOT,
        ),
        tiny_rule(
            "r3",
            "{all: [{fact: day.places, contains_any: [park]}, {fact: day.steps, ge: 5}]}",
            CONCLUDE_HELP,
        ),
        tiny_rule(
            "r4",
            "{all: [{fact: day.places, contains: hill}, {fact: day.mood, ne: low}]}",
            CONCLUDE_REST,
        ),
        tiny_rule("r5", "{fact: day.steps, gt: 6}", CONCLUDE_REST),
        tiny_rule(
            "r6",
            "{all: [{fact: day.steps, eq: 3}, {fact: day.mood, eq: fair},"
            " {fact: day.tired, eq: false}]}",
            CONCLUDE_HELP,
        ),
        tiny_rule(
            "r7",
            "{all: [{fact: day.mood, not_in: [low, fair]}, {fact: day.steps, le: 1}]}",
            CONCLUDE_HELP,
        ),
        tiny_rule(
            "r8",
            "{any: [{fact: day.tired, ne: false}, {fact: day.places, contains: park}]}",
            CONCLUDE_REST,
        ),
    ],
    "derived facts, negation and background": [
        tiny_rule("d1", "{fact: day.steps, ge: 4}", HEAVY),
        tiny_rule("d2", "{fact: day.steps, le: 4}", LIGHT),
        tiny_rule(
            "c1",
            "{all: [{fact: load.level, eq: heavy}, {fact: walking.helps, eq: true}]}",
            CONCLUDE_HELP,
        ),
        tiny_rule("c2", "{not: {fact: load.level, eq: heavy}}", CONCLUDE_NOT),
        tiny_rule(
            "c3", "{all: [{fact: load.level, eq: light}, {fact: day.steps, ge: 5}]}", CONCLUDE_REST
        ),
        tiny_rule("c4", "{fact: walking.helps, eq: false}", CONCLUDE_REST),
        tiny_rule(
            "d3", "{any: [{fact: day.tired, eq: true}, {fact: day.mood, eq: low}]}", REST_NEEDED
        ),
        tiny_rule(
            "c5",
            "{all: [{fact: rest.needed, eq: true}, {not: {fact: day.places, contains: park}}]}",
            CONCLUDE_REST,
        ),
        tiny_rule(
            "c6",
            "{all: [{fact: load.level, eq: light}, {not: {fact: load.level, eq: heavy}}]}",
            CONCLUDE_NOT,
        ),
    ],
    "a positive cycle with no way in": [
        tiny_rule("d1", "{fact: load.level, eq: heavy}", REST_NEEDED),
        tiny_rule("d2", "{fact: rest.needed, eq: true}", HEAVY),
        tiny_rule("c1", "{fact: rest.needed, eq: true}", CONCLUDE_REST),
        tiny_rule("c2", "{fact: day.steps, ge: 2}", CONCLUDE_HELP),
        tiny_rule("c3", "{fact: day.steps, le: 1}", CONCLUDE_NOT),
    ],
    "a positive cycle with a way in": [
        tiny_rule("d1", "{fact: load.level, eq: heavy}", REST_NEEDED),
        tiny_rule("d2", "{fact: rest.needed, eq: true}", HEAVY),
        tiny_rule("d3", "{fact: day.steps, eq: 6}", HEAVY),
        tiny_rule("c1", "{fact: rest.needed, eq: true}", CONCLUDE_REST),
        tiny_rule("c2", "{fact: load.level, eq: heavy}", CONCLUDE_HELP),
        tiny_rule(
            "c3",
            "{all: [{fact: rest.needed, eq: true}, {fact: day.tired, eq: true}]}",
            CONCLUDE_NOT,
        ),
    ],
}

SILENCE = """\
silences:
  - id: few_steps
    about: [may_help]
    when: {any: [{fact: day.steps, le: 3}, {not: {fact: day.steps, ge: 0}}]}
    reason: The source says nothing about few steps.
    because: [{source: tiny, quote: "Steps may not help."}]
"""


@pytest.mark.parametrize("name", sorted(RULE_SETS))
@pytest.mark.parametrize("silences", ["", SILENCE], ids=["no silence", "a silence"])
def test_the_analysis_agrees_with_every_profile_of_the_tiny_kb(tmp_path, name, silences) -> None:
    assert_exact(tiny_kb(tmp_path / "kb", RULE_SETS[name], silences))


def test_the_same_kb_gives_the_same_findings_whatever_was_analysed_before(tmp_path) -> None:
    from healthkb.render.findings_text import report_json

    root = seed_copy(tmp_path / "kb", SEED_CONFLICT)
    first = report_json(report_of(root))
    for name in sorted(RULE_SETS):
        report_of(tiny_kb(tmp_path / name.replace(" ", "_"), RULE_SETS[name]))
    assert report_json(report_of(root)) == first
