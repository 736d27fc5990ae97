"""`healthkb diff OLD NEW --prove`: the conclusions gained or lost over every valid profile,
each region with its conditions and a witness, or "proven unchanged in behaviour"."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import healthkb
from healthkb.analysis.proven_diff import prove_diff
from healthkb.cli import main
from healthkb.content.loading.loader import read_content
from healthkb.content.reference_evaluator import evaluate
from support.analysis_kbs import seed_copy

RUNNING_RULES = "rules/running_and_diet.yaml"
THREE_SESSIONS = "{fact: running.sessions_per_week, between: [3, 5]}"
TWO_SESSIONS = "{fact: running.sessions_per_week, between: [2, 5]}"


def edited(root: Path, file: str, old: str, new: str) -> Path:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_lowered_threshold_is_proved_to_gain_the_decrease_for_two_sessions(
    tmp_path, capsys
) -> None:
    old = seed_copy(tmp_path / "old")
    new = edited(seed_copy(tmp_path / "new"), RUNNING_RULES, THREE_SESSIONS, TWO_SESSIONS)
    code, out, _ = run(capsys, "diff", str(old), str(new), "--prove", "--format", "json")
    assert code == 0
    proof = json.loads(out)
    assert proof["unchanged"] is False
    (difference,) = proof["differences"]
    assert (difference["conclusion"], difference["change"]) == (
        "thigh_buttock_fat_may_decrease",
        "gained",
    )
    assert difference["region"] == (
        "(diet.frequent_high_calorie_foods is not given or diet.frequent_high_calorie_foods is "
        "false) and diet.limits_high_fat_high_sugar is true and diet.low_calorie is true and "
        "diet.nutrient_rich is true and running.intensity is one of [moderate, high] and "
        "running.minutes_per_session > 30 and running.sessions_per_week is 2"
    )
    witness = difference["witness"]
    assert (
        "thigh_buttock_fat_may_decrease" not in healthkb.load(old).evaluate(witness).conclusion_ids
    )
    assert "thigh_buttock_fat_may_decrease" in healthkb.load(new).evaluate(witness).conclusion_ids
    code, text, _ = run(capsys, "diff", str(old), str(new), "--prove")
    assert "proven over every valid profile: 1 region(s) conclude differently" in text
    assert "  gained thigh_buttock_fat_may_decrease where\n" in text
    assert "running.sessions_per_week is 2\n    for example {" in text


def test_a_wording_and_layout_change_is_proved_unchanged(tmp_path, capsys) -> None:
    old = seed_copy(tmp_path / "old")
    new = seed_copy(tmp_path / "new")
    edited(
        new,
        RUNNING_RULES,
        "title: Running at moderate to high intensity, 3–5 times a week, for more than 30 minutes",
        "title: Running moderately or hard, three to five times a week, over half an hour",
    )
    edited(
        new,
        RUNNING_RULES,
        THREE_SESSIONS,
        "\n          fact: running.sessions_per_week\n          between: [3, 5]",
    )
    edited(
        new,
        "kb/conclusions.yaml",
        "Choose appropriate running shoes to protect your feet and knees.\n",
        "Wear running shoes that suit you, to protect your feet and knees.\n",
    )
    code, out, _ = run(capsys, "diff", str(old), str(new), "--prove")
    assert code == 0
    assert out.endswith("proven unchanged in behaviour: no valid profile concludes differently\n")
    assert prove_diff(read_content(old), read_content(new)).to_dict() == {
        "unchanged": True,
        "differences": [],
    }


def test_a_retired_rule_is_proved_to_lose_its_conclusion_where_it_fired(tmp_path) -> None:
    old = seed_copy(tmp_path / "old")
    new = edited(
        seed_copy(tmp_path / "new"),
        "rules/safety_and_habits.yaml",
        "title: Stop and rest on physical discomfort\n    status: active",
        "title: Stop and rest on physical discomfort\n    status: retired",
    )
    proof = prove_diff(read_content(old), read_content(new))
    assert [(d.conclusion, d.change, d.region) for d in proof.differences] == [
        ("stop_and_rest", "lost", "symptoms.physical_discomfort is true")
    ]
    assert proof.differences[0].witness == {"symptoms": {"physical_discomfort": True}}


def test_the_regions_hold_exactly_the_profiles_that_conclude_differently(tmp_path) -> None:
    old = seed_copy(tmp_path / "old")
    new = edited(seed_copy(tmp_path / "new"), RUNNING_RULES, THREE_SESSIONS, TWO_SESSIONS)
    edited(
        new,
        RUNNING_RULES,
        "{fact: running.minutes_per_session, lt: 20}",
        "{fact: running.minutes_per_session, lt: 25}",
    )
    before, after = read_content(old), read_content(new)
    proof = prove_diff(before, after)
    assert {(d.conclusion, d.change) for d in proof.differences} == {
        ("thigh_buttock_fat_may_decrease", "gained"),
        ("thigh_buttock_fat_may_not_decrease", "gained"),
    }
    kb = healthkb.load(new)
    chance = random.Random(22)
    for _ in range(400):
        profile = kb.validate_profile(_random_profile(chance)).model_dump(exclude_none=True)
        was, now = evaluate(before, profile).conclusions, evaluate(after, profile).conclusions
        for conclusion in sorted(now ^ was):
            change = "gained" if conclusion in now else "lost"
            regions = [
                d for d in proof.differences if (d.conclusion, d.change) == (conclusion, change)
            ]
            assert any(d.contains(profile) for d in regions), (profile, conclusion, change)
        for difference in proof.differences:
            if difference.contains(profile):
                reached = difference.conclusion in now, difference.conclusion in was
                assert reached == (
                    (True, False) if difference.change == "gained" else (False, True)
                )


def _random_profile(chance: random.Random) -> dict[str, Any]:
    def maybe(value: Any) -> Any:
        return value if chance.random() < 0.85 else None

    running = {
        "intensity": maybe(chance.choice(["low", "moderate", "high"])),
        "sessions_per_week": maybe(chance.randint(0, 7)),
        "minutes_per_session": maybe(chance.choice([10, 15, 19.5, 20, 22, 25, 29, 30, 31, 45])),
    }
    diet = {
        name: maybe(chance.random() < 0.6)
        for name in (
            "low_calorie",
            "nutrient_rich",
            "limits_high_fat_high_sugar",
            "frequent_high_calorie_foods",
        )
    }
    return {
        "running": {k: v for k, v in running.items() if v is not None},
        "diet": {k: v for k, v in diet.items() if v is not None},
    }


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Editor", "-c", "user.email=e@example.org", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def test_prove_takes_git_revisions_as_diff_does(tmp_path, capsys) -> None:
    repo = seed_copy(tmp_path / "repo")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    edited(repo, RUNNING_RULES, THREE_SESSIONS, TWO_SESSIONS)
    git(repo, "commit", "-q", "-am", "two sessions are enough")
    code, out, _ = run(
        capsys, "diff", "HEAD~1", "HEAD", "--repo", str(repo), "--prove", "--format", "json"
    )
    assert code == 0
    assert [d["conclusion"] for d in json.loads(out)["differences"]] == [
        "thigh_buttock_fat_may_decrease"
    ]
    code, out, _ = run(capsys, "diff", "HEAD", str(repo), "--repo", str(repo), "--prove")
    assert out.endswith("proven unchanged in behaviour: no valid profile concludes differently\n")


def test_prove_of_a_side_that_does_not_load_exits_2(tmp_path, capsys) -> None:
    old = seed_copy(tmp_path / "old")
    code, _, err = run(capsys, "diff", str(old), str(tmp_path / "nowhere"), "--prove")
    assert code == 2
    assert "nowhere" in err
