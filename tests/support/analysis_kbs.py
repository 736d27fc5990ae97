"""KBs for the analysis tests: the seed KB with a problem planted, and a tiny KB whose
whole profile space is small enough to evaluate profile by profile."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import healthkb
from healthkb.analysis.analyze import analyze
from healthkb.analysis.encoding import Encoding
from healthkb.analysis.findings import Finding, Report
from healthkb.analysis.gaps import silences_holding
from healthkb.content.loading.loader import read_content
from healthkb.content.reference_evaluator import evaluate

ROOT = Path(__file__).resolve().parents[2]

EXCESS_CALORIES = (
    "Excess calories are likely to be stored as fat accumulation, meaning fat on the "
    "thighs and buttocks may not decrease and could even increase."
)
SEED_CONFLICT = """
  - id: frequent_running_fat_may_not_decrease
    version: 1
    title: Running 3 to 5 times a week may not reduce fat
    status: active
    when: {fact: running.sessions_per_week, between: [3, 5]}
    then: {conclude: thigh_buttock_fat_may_not_decrease}
    because:
      - source: cainiu-2025-running-thigh-fat
        quote: "EXCESS_CALORIES"
""".replace("EXCESS_CALORIES", EXCESS_CALORIES)

DUPLICATE_RULE = """
  - id: stop_on_discomfort_again
    version: 1
    title: Stop and rest on physical discomfort
    status: active
    when: {fact: symptoms.physical_discomfort, eq: true}
    then: {conclude: stop_and_rest}
    because:
      - source: cainiu-2025-running-thigh-fat
        quote: "If you experience any physical discomfort, stop exercising immediately and rest."
"""


def seed_copy(root: Path, planted_rules: str = "", file: str = "rules/fat_outcomes.yaml") -> Path:
    """A copy of the seed KB (without its test cases), with rules appended to `file`."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "kb", root / "kb", ignore=shutil.ignore_patterns("tests"))
    shutil.copytree(ROOT / "rules", root / "rules")
    if planted_rules:
        path = root / file
        path.write_text(path.read_text(encoding="utf-8") + planted_rules, encoding="utf-8")
    return root


def findings_of(root: Path, kind: str | None = None) -> list[Finding]:
    report = analyze(read_content(root))
    return [f for f in report.findings if kind is None or f.kind == kind]


def report_of(root: Path) -> Report:
    return analyze(read_content(root))


def assert_witness_reproduces(root: Path, finding: Finding) -> None:
    """Evaluate the finding's witness with the engine: it must show what the finding says."""
    kb = healthkb.load(root)
    if finding.kind == "unreachable":
        assert finding.witness is None
        return
    assert finding.witness is not None, finding
    kb.validate_profile(finding.witness)  # a complete, valid profile
    result = kb.evaluate(finding.witness)
    fired = {f.rule_id for f in result.fired}
    reached = set(result.conclusion_ids)
    if finding.kind == "conflict":
        assert set(finding.conclusions) <= reached
        assert set(finding.rules) <= fired
        assert [c.conclusions for c in result.conflicts] == [sorted(finding.conclusions)]
    elif finding.kind == "ambiguity":
        assert finding.fact is not None
        fact, attribute = finding.fact.split(".")
        values = {
            json.dumps(d.values[attribute])
            for d in result.derived
            if d.fact == fact and attribute in d.values
        }
        assert len(values) >= 2 and set(finding.rules) <= fired
    elif finding.kind == "redundant":
        assert set(finding.rules) <= fired
    elif finding.kind == "gap":
        assert not set(finding.conclusions) & reached
        encoding = Encoding(kb.content)
        about = set(finding.conclusions)
        holding = silences_holding(encoding, finding.witness)
        assert not [s for s in holding if set(kb.content.silences[s].about) & about]
    elif finding.kind == "silence-contradicted":
        assert set(finding.rules) <= fired and set(finding.conclusions) <= reached
        holding = silences_holding(Encoding(kb.content), finding.witness)
        assert any(set(kb.content.silences[s].about) & set(finding.conclusions) for s in holding)
    else:  # pragma: no cover - a new kind needs its check here
        raise AssertionError(finding.kind)


# --- the tiny KB: every profile can be listed ---------------------------------------

TINY_SOURCE = """\
id: tiny
title: A tiny article
publisher: Test Press
author: A. Writer
published: 2025-01-01
language: en
text: |-
  Steps may help. Steps may not help.
  Rest may help.
"""

TINY_FACTS = """\
input:
  day:
    description: A day.
    attributes:
      steps:
        type: integer
        min: 0
        max: 6
        description: Thousands of steps.
      tired:
        type: bool
        description: Tired.
      mood:
        type: enum
        values: [low, fair, high]
        description: Mood.
      places:
        type: list
        values: [park, hill]
        description: Places walked.
derived:
  load:
    description: Load.
    attributes:
      level:
        type: enum
        values: [light, heavy]
        description: Level.
  rest:
    description: Rest needed.
    attributes:
      needed:
        type: bool
        description: Needed.
background:
  walking:
    description: Walking, as the source says.
    attributes:
      helps:
        type: bool
        description: Walking helps.
    values: {helps: true}
    because:
      - source: tiny
        quote: "Steps may help."
"""

TINY_CONCLUSIONS = """\
conclusions:
  - id: may_help
    kind: outcome
    certainty: possible
    statement: Steps may help.
    because: [{source: tiny, quote: "Steps may help."}]
    excludes: [may_not_help]
  - id: may_not_help
    kind: outcome
    certainty: possible
    statement: Steps may not help.
    because: [{source: tiny, quote: "Steps may not help."}]
  - id: rest
    kind: recommendation
    certainty: possible
    statement: Rest may help.
    because: [{source: tiny, quote: "Rest may help."}]
"""

TINY_MANIFEST = """\
id: tiny-kb
title: Tiny KB
version: 1.0.0
released: 2025-02-01
"""


def tiny_rule(rule_id: str, when: str, then: str) -> str:
    return f"""
  - id: {rule_id}
    version: 1
    title: Rule {rule_id}
    status: active
    when: {when}
    then: {then}
    because: [{{source: tiny, quote: "Steps may help."}}]
"""


def tiny_kb(root: Path, rules: list[str], silences: str = "") -> Path:
    files = {
        "kb/kb.yaml": TINY_MANIFEST,
        "kb/facts.yaml": TINY_FACTS,
        "kb/conclusions.yaml": TINY_CONCLUSIONS,
        "kb/sources/tiny.yaml": TINY_SOURCE,
        "rules/tiny.yaml": "rules:\n" + "".join(rules),
    }
    if silences:
        files["kb/silences.yaml"] = silences
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def every_tiny_profile() -> list[dict[str, Any]]:
    """All 8 x 3 x 4 x 4 = 384 profiles of the tiny vocabulary (None: not given)."""
    profiles = []
    for steps, tired, mood, places in itertools.product(
        [None, *range(7)],
        [None, True, False],
        [None, "low", "fair", "high"],
        [None, ["park"], ["hill"], ["park", "hill"]],
    ):
        day = {
            name: value
            for name, value in (
                ("steps", steps),
                ("tired", tired),
                ("mood", mood),
                ("places", places),
            )
            if value is not None
        }
        profiles.append({"day": day} if day else {})
    return profiles


KINDS = ("conflict", "ambiguity", "unreachable", "redundant", "gap", "silence-contradicted")


def assert_exact(root: Path) -> None:
    """The tiny KB's findings against its whole profile space, evaluated profile by
    profile: each finding true (its witness reproduces it, and what it claims for every
    profile holds), and nothing of any kind missed."""
    content = read_content(root)
    report = report_of(root)
    for finding in report.findings:
        assert_witness_reproduces(root, finding)
    runs = [(p, evaluate(content, p)) for p in every_tiny_profile()]
    rules = content.rules
    order = {rule_id: i for i, rule_id in enumerate(rules)}
    firing = {r: frozenset(i for i, (_, run) in enumerate(runs) if r in run.fired) for r in rules}
    by_kind = {kind: [f for f in report.findings if f.kind == kind] for kind in KINDS}

    never = {r for r in rules if rules[r].status == "active" and not firing[r]}
    assert {f.rules[0] for f in by_kind["unreachable"] if f.message.startswith("rule")} == never
    unreached = {c for c in content.conclusions if not any(c in r.conclusions for _, r in runs)}
    reported = {f.conclusions[0] for f in by_kind["unreachable"] if f.message.startswith("con")}
    assert reported == unreached

    excluded = {("may_help", "may_not_help")}
    pairs = {
        (a, b)
        for a, b in itertools.product(rules, rules)
        if (rules[a].then.conclude, rules[b].then.conclude) in excluded and firing[a] & firing[b]
    }
    assert {f.rules for f in by_kind["conflict"]} == pairs

    def derives(rule_id: str) -> tuple[str, str] | None:
        derive = rules[rule_id].then.derive
        return (derive.fact, json.dumps(derive.values, sort_keys=True)) if derive else None

    ambiguous = set()
    for a, b in itertools.combinations(rules, 2):
        one, other = derives(a), derives(b)
        if one and other and one[0] == other[0] and one[1] != other[1] and firing[a] & firing[b]:
            ambiguous.add((a, b))
    assert {f.rules for f in by_kind["ambiguity"]} == ambiguous

    cyclic = Encoding(content).cyclic_facts
    redundant = {f.rules[0]: f.rules[1] for f in by_kind["redundant"]}
    for rule_id, other in redundant.items():
        assert firing[rule_id] <= firing[other]
    for a, b in itertools.permutations(rules, 2):
        same = rules[a].then == rules[b].then and (derives(a) or ("",))[0] not in cyclic
        if not (same and firing[a] and rules[a].status == rules[b].status == "active"):
            continue
        if firing[a] < firing[b] or (firing[a] == firing[b] and order[a] > order[b]):
            assert a in redundant, (a, b)

    encoding = Encoding(content)
    gap_profiles = [
        p
        for p, run in runs
        if not {"may_help", "may_not_help"} & run.conclusions and not silences_holding(encoding, p)
    ]
    assert bool(by_kind["gap"]) == bool(gap_profiles)
    contradicted = {
        (s, r)
        for s, silence in content.silences.items()
        for r in rules
        if rules[r].status == "active"
        and rules[r].then.conclude in silence.about
        and any(r in run.fired and s in silences_holding(encoding, p) for p, run in runs)
    }
    reported_silences = {(f.places, f.rules[0]) for f in by_kind["silence-contradicted"]}
    assert len(reported_silences) == len(contradicted)
    for finding in by_kind["gap"]:
        assert finding.region is not None
        inside = [p for p, _ in runs if in_region(finding.region, p)]
        assert finding.witness in inside
        assert all(p in gap_profiles for p in inside), finding.region


def in_region(region: dict[str, str], profile: dict[str, Any]) -> bool:
    """Whether a profile meets a gap's region, read from its words: `gt 2 and le 5 or not
    given`, `is low or fair`, `is true`, `contains park, lacks hill`."""
    for attribute, text in region.items():
        fact, name = attribute.split(".")
        value = profile.get(fact, {}).get(name)
        if not any(_meets(part.strip(), value) for part in _alternatives(text)):
            return False
    return True


def _alternatives(text: str) -> list[str]:
    if text.startswith(("contains ", "lacks ")):
        return [text]  # a list attribute: all of its comma-separated conditions
    parts = text.split(" or ")
    if parts[0].startswith("is "):  # `is low or fair`: each value, after one `is`
        parts = [parts[0]] + [p if p == "not given" else f"is {p}" for p in parts[1:]]
    return parts


def _meets(condition: str, value: Any) -> bool:
    if condition == "not given":
        return value is None
    if value is None and not condition.startswith(("contains ", "lacks ")):
        return False
    if condition.startswith(("contains ", "lacks ")):
        items = value or []
        return all(
            (word.split(" ", 1)[1] in items) == word.startswith("contains")
            for word in condition.split(", ")
        )
    if condition.startswith("is "):
        expected = condition[3:]
        if isinstance(value, bool):
            return expected == ("true" if value else "false")
        return str(value) == expected
    if condition == "any number":
        return True
    tests = {"gt": float.__gt__, "ge": float.__ge__, "lt": float.__lt__, "le": float.__le__}
    for test in condition.split(" and "):
        op, number = test.split(" ")
        if op == "eq":
            if float(value) != float(number):
                return False
        elif not tests[op](float(value), float(number)):
            return False
    return True
