"""What would it take: the smallest changes of changeable attributes that reach (or stop) a
conclusion, proved cheapest, confirmed by evaluation, with their passages."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

import healthkb
from conftest import MINI_CONCLUSIONS, MINI_FACTS, ROOT
from healthkb.analysis.change_space import cell_values
from healthkb.analysis.encoding import Encoding
from healthkb.cli import main
from healthkb.content.reference_evaluator import evaluate

FAILS = ROOT / "kb" / "examples" / "fails_conditions.yaml"
MEETS = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
}


def changes(proposal: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    return [(c["attribute"], c["from"], c["to"]) for c in proposal["changes"]]


def test_what_it_takes_to_reach_fat_decrease_from_the_failing_example(kb) -> None:
    result = kb.evaluate_file(FAILS)
    answer = result.what_if("thigh_buttock_fat_may_decrease").to_dict()
    assert answer["conclusion"] == "thigh_buttock_fat_may_decrease"
    (proposal,) = answer["proposals"]  # every changeable attribute must change: no other way
    assert changes(proposal) == [
        ("diet.frequent_high_calorie_foods", True, False),
        ("diet.limits_high_fat_high_sugar", False, True),
        ("diet.low_calorie", False, True),
        ("diet.nutrient_rich", False, True),
        ("running.intensity", "low", "moderate"),
        ("running.minutes_per_session", 15.0, 31.0),
        ("running.sessions_per_week", 2, 3),
    ]
    assert proposal["cost"] == 7
    assert proposal["reaches"][0] == "thigh_buttock_fat_may_decrease"
    assert proposal["loses"] == []
    cited = {(p["rule"], p["fires"]) for p in proposal["passages"]}
    assert cited == {
        ("calorie_deficit", True),
        ("diet_controlled", True),
        ("fat_may_decrease", True),
        ("running_load_adequate", True),
    }
    adequate = next(p for p in proposal["passages"] if p["rule"] == "running_load_adequate")
    assert "more than 30 minutes" in adequate["quote"]
    # Confirmed by the engine itself, not only by the solver.
    changed = result.what_if("thigh_buttock_fat_may_decrease").proposals[0].profile
    assert kb.evaluate(changed).conclusion_ids == [
        "thigh_buttock_fat_may_decrease",
        "be_patient_and_consistent",
        "warm_up_and_stretch",
        "wear_appropriate_running_shoes",
        "fat_loss_is_whole_body",
    ]


def test_a_number_moves_to_the_nearest_value_that_works(kb) -> None:
    thirty = {**MEETS, "running": {**MEETS["running"], "minutes_per_session": 30}}
    answer = kb.evaluate(thirty).what_if("thigh_buttock_fat_may_decrease").to_dict()
    first = answer["proposals"][0]
    assert changes(first) == [("running.minutes_per_session", 30.0, 31.0)]
    assert first["cost"] == 1
    seven = {**MEETS, "running": {**MEETS["running"], "sessions_per_week": 7}}
    answer = kb.evaluate(seven).what_if("thigh_buttock_fat_may_decrease").to_dict()
    assert changes(answer["proposals"][0]) == [("running.sessions_per_week", 7, 5)]


def test_avoiding_gives_alternatives_cheapest_first_none_containing_an_earlier_one(kb) -> None:
    result = kb.evaluate_file(FAILS)
    answer = result.what_if("thigh_buttock_fat_may_not_decrease", avoid=True, alternatives=5)
    proposals = answer.to_dict()["proposals"]
    assert [changes(p) for p in proposals] == [
        [("running.intensity", "low", "moderate")],
        [("running.sessions_per_week", 2, 3)],
        [("running.minutes_per_session", 15.0, 20.0)],
        # Not eating high-calorie foods often is not enough alone: the diet is still
        # neither low-calorie nor limiting high-fat foods, so still uncontrolled.
        [("diet.frequent_high_calorie_foods", True, False), ("diet.low_calorie", False, True)],
        [
            ("diet.frequent_high_calorie_foods", True, False),
            ("diet.limits_high_fat_high_sugar", False, True),
        ],
    ]
    assert [p["cost"] for p in proposals] == [1, 1, 1, 2, 2]
    assert answer.avoid is True
    for proposal in answer.proposals:
        assert (
            "thigh_buttock_fat_may_not_decrease" not in kb.evaluate(proposal.profile).conclusion_ids
        )
        stopped = {p["rule"] for p in proposal.to_dict()["passages"] if not p["fires"]}
        assert "fat_may_not_decrease" in stopped


def test_no_change_of_changeable_attributes_is_an_answer_too(kb) -> None:
    # Discomfort is how the person feels, not something the vocabulary marks changeable.
    result = kb.evaluate_file(FAILS)
    answer = result.what_if("stop_and_rest")
    assert answer.to_dict() == {"conclusion": "stop_and_rest", "avoid": False, "proposals": []}
    assert str(answer) == "no change of changeable attributes can reach stop_and_rest"


def test_a_proposal_says_which_safety_advice_it_would_lose(kb) -> None:
    result = kb.evaluate_file(FAILS)
    (proposal,) = result.what_if("warm_up_and_stretch", avoid=True, alternatives=1).proposals
    assert [(c.attribute, c.before, c.after) for c in proposal.changes] == [
        ("running.sessions_per_week", 2, 0)
    ]
    assert proposal.loses == (
        "be_patient_and_consistent",
        "warm_up_and_stretch",
        "wear_appropriate_running_shoes",
    )
    assert "loses safety advice: be_patient_and_consistent, warm_up_and_stretch" in str(
        result.what_if("warm_up_and_stretch", avoid=True, alternatives=1)
    )


def test_a_reached_conclusion_needs_nothing_changed(kb) -> None:
    answer = kb.evaluate(MEETS).what_if("thigh_buttock_fat_may_decrease")
    assert [(p.changes, p.cost) for p in answer.proposals] == [((), 0)]
    assert str(answer).endswith(
        "nothing to change: thigh_buttock_fat_may_decrease is already reached"
    )


EXCLUSIVE_CONCLUSIONS = (
    MINI_CONCLUSIONS
    + """\
  - id: walking_is_too_much
    kind: outcome
    certainty: possible
    statement: Walking may be too much.
    excludes: [walking_may_help]
    because:
      - source: mini
        quote: "Walking 3–5 times a week may help."
"""
)
EXCLUSIVE_RULES = """\
rules:
  - id: walking_helps
    version: 1
    title: Walking may help
    status: active
    when: {fact: walk.sessions, ge: 3}
    then: {conclude: walking_may_help}
    because: [{source: mini, quote: "may help"}]
  - id: too_much
    version: 1
    title: Too much walking
    status: active
    when: {fact: walk.sessions, ge: 6}
    then: {conclude: walking_is_too_much}
    because: [{source: mini, quote: "may help"}]
"""
CHANGEABLE_FACTS = MINI_FACTS.replace(
    "        description: Walks per week.\n",
    "        description: Walks per week.\n        changeable: true\n",
)


def test_no_proposal_reaches_two_conclusions_that_exclude_each_other(make_kb) -> None:
    kb = healthkb.load(
        make_kb(
            {
                "kb/facts.yaml": CHANGEABLE_FACTS,
                "kb/conclusions.yaml": EXCLUSIVE_CONCLUSIONS,
                "rules/walking.yaml": EXCLUSIVE_RULES,
            }
        )
    )
    result = kb.evaluate({"walk": {"sessions": 8}})
    assert result.conflicts  # the KB's defect: 8 sessions reach both
    helps = result.what_if("walking_may_help", alternatives=1).to_dict()["proposals"]
    assert [changes(p) for p in helps] == [[("walk.sessions", 8, 5)]]
    # Every profile that is told it is too much is also told walking helps: no way there.
    assert result.what_if("walking_is_too_much").proposals == ()


def test_a_declared_cost_steers_the_search_to_the_cheaper_attribute(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "        description: Walks per week.\n",
        "        description: Walks per week.\n        changeable: true\n        cost: 3\n",
    ).replace(
        "        description: Feels tired.\n",
        "        description: Feels tired.\n        changeable: true\n        cost: 0.5\n",
    )
    rules = EXCLUSIVE_RULES.replace(
        "when: {fact: walk.sessions, ge: 3}",
        "when: {any: [{fact: walk.sessions, ge: 3}, {fact: walk.tired, eq: false}]}",
    )
    kb = healthkb.load(
        make_kb(
            {
                "kb/facts.yaml": facts,
                "kb/conclusions.yaml": EXCLUSIVE_CONCLUSIONS,
                "rules/walking.yaml": rules,
            }
        )
    )
    proposals = (
        kb.evaluate({"walk": {"sessions": 1, "tired": True}})
        .what_if("walking_may_help")
        .to_dict()["proposals"]
    )
    assert [(changes(p), p["cost"]) for p in proposals] == [
        ([("walk.tired", True, False)], 0.5),
        ([("walk.sessions", 1, 3)], 3),
    ]


def _cheapest_by_brute_force(kb: Any, profile: dict[str, Any], conclusion: str) -> int | None:
    """Every combination of a value per changeable attribute (one per cell is enough)."""
    content = kb.content
    encoding = Encoding(content)
    options: list[tuple[tuple[str, str], list[Any]]] = []
    for key, attribute in sorted(encoding.inputs.items()):
        if not attribute.spec.changeable:
            continue
        now = (profile.get(key[0]) or {}).get(key[1])
        if attribute.spec.type == "bool":
            values: list[Any] = [True, False]
        elif attribute.spec.type == "enum":
            values = list(attribute.spec.values or [])
        else:
            values = cell_values(attribute, now, encoding.thresholds[key])
        # An attribute the profile leaves out may stay out (a change costs only if made).
        options.append((key, [None, *values] if now is None else values))
    best = None
    for combination in itertools.product(*(values for _, values in options)):
        changed = {fact: dict(values) for fact, values in profile.items()}
        cost = 0
        for (key, _), value in zip(options, combination, strict=True):
            now = (profile.get(key[0]) or {}).get(key[1])
            if value != now:
                cost += 1
            if value is not None:
                changed.setdefault(key[0], {})[key[1]] = value
        if conclusion in evaluate(content, changed).conclusions:
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize(
    "profile",
    [
        {"running": {"intensity": "low", "sessions_per_week": 2, "minutes_per_session": 15.0}},
        {
            "running": {"intensity": "high", "sessions_per_week": 6, "minutes_per_session": 31.0},
            "diet": {
                "low_calorie": True,
                "nutrient_rich": True,
                "limits_high_fat_high_sugar": True,
                "frequent_high_calorie_foods": False,
            },
        },
        {
            "running": {
                "intensity": "moderate",
                "sessions_per_week": 4,
                "minutes_per_session": 45.0,
            },
            "diet": {
                "low_calorie": True,
                "nutrient_rich": False,
                "limits_high_fat_high_sugar": True,
                "frequent_high_calorie_foods": True,
            },
        },
    ],
)
@pytest.mark.parametrize(
    "conclusion", ["thigh_buttock_fat_may_decrease", "thigh_buttock_fat_may_not_decrease"]
)
def test_the_first_proposal_is_as_cheap_as_any_combination_of_changes(
    kb, profile, conclusion
) -> None:
    # Every given attribute of these profiles is changeable, so every combination is a
    # candidate; the solver's answer must cost what the cheapest of them costs.
    cheapest = _cheapest_by_brute_force(kb, kb.evaluate(profile).profile, conclusion)
    proposals = kb.evaluate(profile).what_if(conclusion, alternatives=1).proposals
    assert (proposals[0].cost if proposals else None) == cheapest


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_explain_what_if_prints_the_issue_s_json_shape(capsys) -> None:
    args = ("explain", str(FAILS), "--conclusion", "thigh_buttock_fat_may_not_decrease")
    code, out, _ = run(
        capsys, *args, "--what-if", "--avoid", "--alternatives", "2", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"conclusion", "avoid", "proposals"}
    assert data["conclusion"] == "thigh_buttock_fat_may_not_decrease"
    assert len(data["proposals"]) == 2
    assert set(data["proposals"][0]) == {"changes", "cost", "reaches", "loses", "passages"}
    assert data["proposals"][0]["changes"] == [
        {"attribute": "running.intensity", "from": "low", "to": "moderate"}
    ]
    again = run(capsys, *args, "--what-if", "--avoid", "--alternatives", "2", "--format", "json")
    assert again[1] == out  # byte for byte


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--avoid"], "--avoid only applies with --what-if"),
        (["--alternatives", "2"], "--alternatives only applies with --what-if"),
        (["--what-if", "--why-not"], "give one of them"),
        (["--what-if", "--format", "html"], "--what-if prints text or json, not html"),
        (["--what-if", "--alternatives", "0"], "--alternatives must be from 1 to 20; got 0"),
        (["--what-if", "--conclusion", "stop_rest"], "did you mean `stop_and_rest`?"),
    ],
)
def test_explain_what_if_refuses_unusable_options_with_exit_2(capsys, extra, message) -> None:
    code, out, err = run(capsys, "explain", str(FAILS), "--conclusion", "stop_and_rest", *extra)
    assert (code, out) == (2, "")
    assert message in err


def test_explain_what_if_of_an_invalid_profile_exits_2_with_the_problem(tmp_path, capsys) -> None:
    profile = tmp_path / "bad.yaml"
    profile.write_text("running: {sessions_per_week: 40}\n", encoding="utf-8")
    code, _, err = run(
        capsys, "explain", str(profile), "--conclusion", "stop_and_rest", "--what-if"
    )
    assert code == 2
    assert "invalid profile" in err
    assert "bad.yaml:1:11: invalid-value" in err


def test_a_detached_result_cannot_answer_a_what_if(kb) -> None:
    result = kb.evaluate(MEETS)
    detached = type(result).model_validate(result.model_dump())
    with pytest.raises(healthkb.HealthKBError, match="detached"):
        detached.what_if("thigh_buttock_fat_may_decrease")
    with pytest.raises(ValueError, match="from 1 to 20"):
        result.what_if("thigh_buttock_fat_may_decrease", alternatives=0)
    with pytest.raises(TypeError):
        result.what_if(3)  # type: ignore[arg-type]


def test_a_changeable_list_gains_the_fewest_members_that_work(make_kb) -> None:
    facts = MINI_FACTS.replace(
        "      tired:\n",
        "      days:\n        type: list\n        values: [mon, tue, wed]\n"
        "        description: Days.\n        changeable: true\n      tired:\n",
    )
    rules = EXCLUSIVE_RULES.replace(
        "when: {fact: walk.sessions, ge: 3}", "when: {fact: walk.days, contains_any: [mon, wed]}"
    )
    kb = healthkb.load(
        make_kb(
            {
                "kb/facts.yaml": facts,
                "kb/conclusions.yaml": EXCLUSIVE_CONCLUSIONS,
                "rules/walking.yaml": rules,
            }
        )
    )
    answer = kb.evaluate({"walk": {"days": ["tue"]}}).what_if("walking_may_help")
    (proposal,) = answer.proposals
    ((attribute, before, after),) = [(c.attribute, c.before, c.after) for c in proposal.changes]
    # One member added (mon or wed: as near as each other), tue kept: the fewest flips.
    assert (attribute, before, proposal.cost) == ("walk.days", ["tue"], 1)
    assert after in (["mon", "tue"], ["tue", "wed"])
