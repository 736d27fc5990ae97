"""`healthkb impact OLD NEW INPUT`: what a release changes, counted over a population and
checked against evaluating every profile under both KBs, one by one."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from test_batch import copy_kb, lengthen_running_sessions
from tests.benchmarks import population

import healthkb
from healthkb.cli import main


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, Path, Path]:
    old = copy_kb(tmp_path / "old")
    new = copy_kb(tmp_path / "new")
    lengthen_running_sessions(new)
    people = population.write(tmp_path / "people.jsonl", 700)
    with people.open("a") as file:
        file.write("not json\n")
        file.write('{"id": "bad", "profile": {"running": {"pace": 3}}}\n')
    return old, new, people


def expected_report(old: Path, new: Path, people: Path) -> dict[str, Any]:
    """The counts, from evaluating each profile under each KB on its own."""
    before, after = healthkb.load(old), healthkb.load(new)
    gained: Counter[str] = Counter()
    lost: Counter[str] = Counter()
    changed, moved, refused = 0, [], 0
    lines = people.read_text().splitlines()
    for text in lines:
        try:
            line = json.loads(text)
            was = set(before.evaluate(line["profile"]).conclusion_ids)
            now = after.evaluate(line["profile"])
        except (ValueError, healthkb.ProfileError):
            refused += 1
            continue
        now_ids = set(now.conclusion_ids)
        if was != now_ids:
            changed += 1
            gained.update(now_ids - was)
            lost.update(was - now_ids)
            moved.append(line["id"])
    return {
        "profiles": len(lines),
        "refused": refused,
        "changed": changed,
        "conclusions": {
            c: {"gained": gained[c], "lost": lost[c]} for c in sorted(gained.keys() | lost.keys())
        },
        "moved": moved,
    }


def impact_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["impact", *args, "--format", "json", "--quiet"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_impact_counts_are_those_of_evaluating_every_profile_under_both_kbs(
    release: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, people = release
    expected = expected_report(old, new, people)
    report = impact_json(capsys, str(old), str(new), str(people), "--workers", "1")
    assert report["profiles"] == expected["profiles"] == 702
    assert report["refused"] == expected["refused"] == 2
    assert report["refused_by"] == {"input": 1, "old": 0, "new": 0, "both": 1}
    assert report["changed"] == expected["changed"] > 20
    assert report["conclusions"] == expected["conclusions"]
    # The one rule edit is responsible for every profile that changed (it fired for
    # each of them under OLD), and the examples are the first of them, in input order.
    assert report["edits"] == [
        {
            "rule": "running_load_adequate",
            "change": "changed",
            "profiles": expected["changed"],
            "examples": expected["moved"][:3],
        }
    ]
    assert report["unattributed"] == 0
    assert report["old"]["digest"] != report["new"]["digest"]


def test_impact_counts_the_population_in_each_proven_region_and_names_the_unreached(
    release: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old, new, people = release
    report = impact_json(capsys, str(old), str(new), str(people), "--workers", "1")
    regions = report["regions"]
    assert regions, "the edit is proved to change some answers"
    # Every profile that changed lies in a region of what it gained or lost.
    by_change = Counter()
    for region in regions:
        by_change[region["conclusion"], region["change"]] += region["profiles"]
    for conclusion, counts in report["conclusions"].items():
        assert by_change[conclusion, "gained"] == counts["gained"]
        assert by_change[conclusion, "lost"] == counts["lost"]
    # A population that nobody of lies in a region: the region is reported as unreached.
    nobody = tmp_path / "nobody.jsonl"
    nobody.write_text('{"id": "dev", "profile": {"symptoms": {"physical_discomfort": true}}}\n')
    report = impact_json(capsys, str(old), str(new), str(nobody), "--workers", "1")
    assert [r["profiles"] for r in report["regions"]] == [0] * len(regions)
    assert [r["region"] for r in report["regions"]] == [r["region"] for r in regions]
    assert main(["impact", str(old), str(new), str(nobody), "--workers", "1", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Proved to conclude differently, but no profile here lies there:" in text
    for region in regions:
        assert f"  {region['change']} {region['conclusion']} where {region['region']}" in text


def test_impact_on_two_workers_is_the_same_report(
    release: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, people = release
    one = impact_json(capsys, str(old), str(new), str(people), "--workers", "1", "--examples", "5")
    two = impact_json(capsys, str(old), str(new), str(people), "--workers", "2", "--examples", "5")
    assert one == two
    assert len(one["edits"][0]["examples"]) == 5


def test_impact_of_a_kb_on_itself_is_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = population.write(tmp_path / "people.jsonl", 50)
    report = impact_json(capsys, ".", ".", str(people), "--workers", "1")
    assert (report["profiles"], report["refused"], report["changed"]) == (50, 0, 0)
    assert report["conclusions"] == {} and report["edits"] == []


def test_impact_text_and_markdown_say_the_same_counts(
    release: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, people = release
    report = impact_json(capsys, str(old), str(new), str(people), "--workers", "1")
    changed = report["changed"]
    assert main(["impact", str(old), str(new), str(people), "--workers", "1", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert f"702 profiles read, 2 refused (1 unreadable, 1 by both KBs), {changed} changed" in text
    assert f"running_load_adequate  changed   {changed:>8}  person-" in text
    args = ["impact", str(old), str(new), str(people), "--workers", "1", "--format", "markdown"]
    assert main(args) == 0
    markdown = capsys.readouterr().out
    assert f"| `running_load_adequate` | changed | {changed} | `person-" in markdown


def test_a_side_that_does_not_load_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    people = population.write(tmp_path / "people.jsonl", 5)
    new = copy_kb(tmp_path / "new")
    (new / "rules" / "running_and_diet.yaml").write_text("rules: [")
    assert main(["impact", ".", str(new), str(people), "--workers", "1"]) == 2
    assert "NEW (" in capsys.readouterr().err
