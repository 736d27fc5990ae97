"""Random rule sets on the tiny KB: the analysis agrees with every one of its profiles.

Rules are drawn from every operator on every kind of attribute, nested in `all`, `any`
and `not`, on input, derived and background facts, deriving or concluding; each set
is analysed and compared, finding by finding, with the evaluation of all 384 profiles
(`analysis_kbs.assert_exact`). Raise HEALTHKB_FUZZ_EXAMPLES to search harder.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

import healthkb
from support.analysis_kbs import assert_exact, tiny_kb
from support.fuzzing import budget

STEPS = st.integers(-1, 7)
COMPARISONS = st.one_of(
    st.builds(
        lambda op, v: {"fact": "day.steps", op: v},
        st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
        STEPS,
    ),
    st.builds(
        lambda low, span: {"fact": "day.steps", "between": [low, low + span]},
        STEPS,
        st.integers(0, 3),
    ),
    st.builds(
        lambda op, vs: {"fact": "day.steps", op: vs},
        st.sampled_from(["in", "not_in"]),
        st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True),
    ),
    st.builds(
        lambda op, v: {"fact": "day.tired", op: v}, st.sampled_from(["eq", "ne"]), st.booleans()
    ),
    st.builds(
        lambda op, v: {"fact": "day.mood", op: v},
        st.sampled_from(["eq", "ne"]),
        st.sampled_from(["low", "fair", "high"]),
    ),
    st.builds(
        lambda op, vs: {"fact": "day.mood", op: vs},
        st.sampled_from(["in", "not_in"]),
        st.lists(st.sampled_from(["low", "fair", "high"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(lambda v: {"fact": "day.places", "contains": v}, st.sampled_from(["park", "hill"])),
    st.builds(
        lambda vs: {"fact": "day.places", "contains_any": vs},
        st.lists(st.sampled_from(["park", "hill"]), min_size=1, max_size=2, unique=True),
    ),
    st.builds(
        lambda op, v: {"fact": "load.level", op: v},
        st.sampled_from(["eq", "ne"]),
        st.sampled_from(["light", "heavy"]),
    ),
    st.builds(lambda v: {"fact": "rest.needed", "eq": v}, st.booleans()),
    st.builds(lambda v: {"fact": "walking.helps", "eq": v}, st.booleans()),
)

CONDITIONS = st.recursive(
    COMPARISONS,
    lambda inner: st.one_of(
        st.builds(lambda cs: {"all": cs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda cs: {"any": cs}, st.lists(inner, min_size=1, max_size=2)),
        st.builds(lambda c: {"not": c}, inner),
    ),
    max_leaves=4,
)

THEN = st.sampled_from(
    [
        {"conclude": "may_help"},
        {"conclude": "may_not_help"},
        {"conclude": "rest"},
        {"derive": {"fact": "load", "values": {"level": "light"}}},
        {"derive": {"fact": "load", "values": {"level": "heavy"}}},
        {"derive": {"fact": "rest", "values": {"needed": True}}},
    ]
)


def rule_text(number: int, when: dict[str, Any], then: dict[str, Any]) -> str:
    rule = {
        "id": f"r{number}",
        "version": 1,
        "title": f"Rule {number}",
        "status": "active",
        "when": when,
        "then": then,
        "because": [{"source": "tiny", "quote": "Steps may help."}],
    }
    text = yaml.safe_dump([rule], sort_keys=False, allow_unicode=True)
    return "".join(f"  {line}\n" for line in text.splitlines())


@budget(25)
@given(st.lists(st.tuples(CONDITIONS, THEN), min_size=2, max_size=6))
def test_random_rule_sets_are_analysed_exactly(
    rules: list[tuple[dict[str, Any], dict[str, Any]]],
) -> None:
    folder = Path(tempfile.mkdtemp())
    try:
        root = tiny_kb(folder / "kb", [rule_text(i, w, t) for i, (w, t) in enumerate(rules)])
        try:
            healthkb.load(root)
        except healthkb.KBError as error:
            # Negation cycles, and out-of-range values the checks refuse: not this test's.
            assume(False)
            raise AssertionError from error  # pragma: no cover
        assert_exact(root)
    finally:
        shutil.rmtree(folder)
