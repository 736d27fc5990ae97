"""Evaluations are isolated, deterministic, thread-safe and bounded, and profiles are checked."""

from __future__ import annotations

import json
import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

import healthkb
from conftest import MINI_FACTS, MINI_RULES, ROOT

MEETS = {
    "running": {"intensity": "high", "sessions_per_week": 4, "minutes_per_session": 45},
    "diet": {"low_calorie": True, "nutrient_rich": True, "limits_high_fat_high_sugar": True},
    "goals": {"target_areas": ["thighs", "buttocks"], "weight_management_concern": True},
}
FAILS = {
    "running": {"intensity": "low", "sessions_per_week": 2, "minutes_per_session": 15},
    "diet": {"frequent_high_calorie_foods": True},
    "symptoms": {"physical_discomfort": True},
}


def dump(result: healthkb.Result) -> str:
    return json.dumps(result.model_dump(mode="json"), sort_keys=True)


def test_nothing_leaks_from_one_evaluation_to_the_next(kb) -> None:
    first = dump(kb.evaluate(MEETS))
    assert kb.evaluate({}).conclusions == []
    assert set(kb.evaluate(FAILS).conclusion_ids) == {
        "stop_and_rest",
        "thigh_buttock_fat_may_not_decrease",
    }
    assert dump(kb.evaluate(MEETS)) == first


def test_same_profile_gives_byte_identical_json_whatever_the_key_order(kb) -> None:
    reordered = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(MEETS.items()))}
    assert dump(kb.evaluate(reordered)) == dump(kb.evaluate(MEETS))


def test_results_do_not_depend_on_rule_or_file_order(kb, tmp_path: Path) -> None:
    copy = tmp_path / "shuffled"
    shutil.copytree(ROOT / "kb", copy / "kb")
    (copy / "rules").mkdir()
    rules = [
        rule
        for path in sorted((ROOT / "rules").glob("*.yaml"))
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    ]
    random.Random(7).shuffle(rules)
    # Different files, different order inside them.
    for number, start in enumerate(range(0, len(rules), 4)):
        chunk = {"rules": rules[start : start + 4]}
        text = yaml.safe_dump(chunk, allow_unicode=True, sort_keys=False)
        (copy / "rules" / f"z{9 - number}.yaml").write_text(text, encoding="utf-8")
    shuffled = healthkb.load(copy)
    assert shuffled.digest == kb.digest
    for profile in (MEETS, FAILS, {}):
        assert dump(shuffled.evaluate(profile)) == dump(kb.evaluate(profile))


def test_concurrent_evaluations_agree_with_serial_ones(kb) -> None:
    profiles = [MEETS, FAILS, {}, {"goals": {"weight_management_concern": True}}] * 50
    serial = [dump(kb.evaluate(p)) for p in profiles]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda p: dump(kb.evaluate(p)), profiles))
    assert concurrent == serial


def test_two_kbs_in_one_process_do_not_collide(kb, make_kb) -> None:
    mini = healthkb.load(make_kb())
    stricter = healthkb.load(
        make_kb(
            {
                "rules/walking.yaml": MINI_RULES.replace(
                    "between: [3, 5]", "between: [4, 5]"
                ).replace("title: Enough walking", "title: Enough walking, 4–5 times")
            },
            name="stricter",
        )
    )
    walk3 = {"walk": {"sessions": 3}}
    for _ in range(3):
        assert mini.evaluate(walk3).conclusion_ids == ["walking_may_help"]
        assert stricter.evaluate(walk3).conclusion_ids == []
        assert kb.evaluate(MEETS).conclusion(  # the bundled KB is untouched by both
            "thigh_buttock_fat_may_decrease"
        )
    assert len({mini.digest, stricter.digest, kb.digest}) == 3


def test_a_runaway_chain_stops_at_the_step_limit_and_the_kb_stays_usable() -> None:
    limited = healthkb.load(max_steps=2)
    with pytest.raises(healthkb.EvaluationError, match="more than 2 rule firings"):
        limited.evaluate(MEETS)
    assert limited.evaluate({"symptoms": {"physical_discomfort": True}}).conclusion_ids == [
        "stop_and_rest"
    ]
    assert limited.evaluate({}).conclusions == []


def test_invalid_profile_names_every_bad_field_with_what_is_allowed(kb) -> None:
    bad = {
        "running": {"intensity": "extreme", "sessions_per_week": 15, "minutes_per_sesion": 40},
        "diett": {"low_calorie": True},
        "goals": {"target_areas": ["thighs", "knees"]},
        "symptoms": {"physical_discomfort": "yes"},
    }
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(bad)
    assert isinstance(caught.value, ValueError)
    lines = sorted(str(p) for p in caught.value.problems)
    assert lines == sorted(
        [
            "profile: unknown-fact: `diett`: unknown fact (did you mean `diet`?)",
            "profile: invalid-value: `goals.target_areas.1`: 'knees' is not allowed "
            "(allowed: a list of thighs, buttocks, abdomen, arms, whole_body)",
            "profile: invalid-value: `running.intensity`: 'extreme' is not allowed "
            "(allowed: one of low, moderate, high)",
            "profile: unknown-attribute: `running.minutes_per_sesion`: unknown attribute "
            "(did you mean `minutes_per_session`?)",
            "profile: invalid-value: `running.sessions_per_week`: 15 is not allowed "
            "(allowed: a whole number from 0 to 14 sessions per week)",
            "profile: invalid-value: `symptoms.physical_discomfort`: 'yes' is not allowed "
            "(allowed: true or false)",
        ]
    )


@pytest.mark.parametrize(
    "number", [2**53, -(2**53), 2**1024, 10**5000], ids=["2^53", "-2^53", "2^1024", "10^5000"]
)
def test_a_whole_number_beyond_what_the_engine_compares_is_refused_where_no_bound_is_declared(
    make_kb, number: int
) -> None:
    # Without a bound, 2^1024 and more was an OverflowError from pydantic's own checks.
    facts = MINI_FACTS.replace("        min: 0\n        max: 14\n", "")
    kb = healthkb.load(make_kb({"kb/facts.yaml": facts}))
    assert kb.evaluate({"walk": {"sessions": 2**53 - 1}}).conclusion_ids == []
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate({"walk": {"sessions": number}})
    (problem,) = caught.value.problems
    assert problem.message.startswith("`walk.sessions`: ")
    assert problem.hint == "allowed: a whole number from -(2^53 - 1) to 2^53 - 1"


@pytest.mark.parametrize(
    ("profile", "got"),
    [([], "a list"), ("running", 'the text "running"'), (None, "None"), (3, "the number 3")],
)
def test_a_profile_that_is_not_a_mapping_is_refused(kb, profile, got) -> None:
    with pytest.raises(healthkb.ProfileError) as caught:
        kb.evaluate(profile)
    assert [p.message for p in caught.value.problems] == [
        f"a profile is a mapping of facts; got {got}"
    ]


def test_the_pydantic_profile_model_is_accepted(kb) -> None:
    model = kb.profile_model.model_validate(MEETS)
    assert dump(kb.evaluate(model)) == dump(kb.evaluate(MEETS))


def test_results_are_stamped_with_the_kb_identity(kb) -> None:
    result = kb.evaluate(MEETS)
    assert (result.kb_id, result.kb_version) == ("healthkb-running-fat-loss", "0.1.2")
    assert result.kb_digest == kb.digest and result.kb_digest.startswith("sha256:")
    for conclusion in result.conclusions:
        assert conclusion.rule_id in kb.content.rules
        assert conclusion.rule_version == kb.content.rules[conclusion.rule_id].version
        assert conclusion.citations


def test_a_passage_cited_twice_is_listed_once_with_its_interpretation(kb) -> None:
    result = kb.evaluate({"goals": {"target_areas": ["thighs"]}})
    citations = result.conclusion("fat_loss_is_whole_body").citations
    spans = [(c.source, c.start, c.end) for c in citations]
    assert len(spans) == len(set(spans))
    (whole_body,) = [c for c in citations if c.quote.startswith("Fat loss is a whole-body")]
    assert whole_body.interpretation and "specific body area" in whole_body.interpretation


def test_cleaning_a_session_fires_no_rule_that_tests_an_absence(make_kb) -> None:
    # While the session is emptied, `walk` disappears before `walking_load` would: a
    # rule on "walking_load and no tired walk" must not fire then, nor show next time.
    rules = MINI_RULES + (
        "  - id: rested_walker\n    version: 1\n    title: Enough walking, not tired\n"
        "    status: active\n    when:\n      all:\n"
        "        - {fact: walking_load.level, eq: enough}\n"
        "        - not: {fact: walk.tired, eq: true}\n"
        "    then: {conclude: walking_may_help}\n"
        '    because:\n      - source: mini\n        quote: "may help"\n'
    )
    kb = healthkb.load(make_kb({"rules/walking.yaml": rules}))
    profile = {"walk": {"sessions": 4, "tired": True}}
    first, second = kb.evaluate(profile), kb.evaluate(profile)
    assert "rested_walker" not in {f.rule_id for f in first.fired}
    assert second.model_dump() == first.model_dump()
