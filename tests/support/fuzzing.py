"""What the robustness properties share: budgets, generated values, and the checks that
say an error is healthkb's own (short, located, naming a field) and not a traceback.

The budgets are small so the suite stays quick; to search harder, raise them all:
`HEALTHKB_FUZZ_EXAMPLES=2000 pytest tests/test_robustness_*.py` (then the inputs are
random, not the same every run).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import math
import os
import types
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import healthkb
from healthkb.cli import main

ROOT = Path(__file__).resolve().parents[2]

_BUDGET = os.environ.get("HEALTHKB_FUZZ_EXAMPLES")


def budget(examples: int) -> settings:
    """`examples` in the suite (derandomised: the same inputs every run), or the budget."""
    return settings(
        max_examples=int(_BUDGET) if _BUDGET else examples,
        derandomize=not _BUDGET,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- values of every kind ------------------------------------------------------------------

VOCABULARY_WORDS = [
    "running",
    "diet",
    "goals",
    "symptoms",
    "intensity",
    "sessions_per_week",
    "minutes_per_session",
    "low_calorie",
    "target_areas",
    "physical_discomfort",
    "high",
    "thighs",
]
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "\u2028",
    "\u2029",
    "\x85",
    "\ufeff",
    "\u202e",
    "\ud800",
    "e\u0301",
    "𝔘𝔫𝔦",
    "NaN",
    "true",
    "null",
    "`",
    "{{",
    "%s",
]
ODD_NUMBERS: list[Any] = [
    0,
    -1,
    15,
    2**63,
    -(2**64),
    10**100,
    math.nan,
    math.inf,
    -math.inf,
    -0.0,
    1e-300,
    5e-324,
    1.7976931348623157e308,
    45.0,
]

texts = (
    st.text(st.characters(exclude_categories=()), max_size=20)
    | st.sampled_from(ODD_TEXT)
    | st.sampled_from(VOCABULARY_WORDS)
    | st.sampled_from([100_000]).map(lambda length: "x" * length)  # built: a repr this long warns
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(ODD_NUMBERS)
    # Built, not listed: Python cannot repr an int of more than 4,300 digits.
    | st.sampled_from([4301, -6000]).map(lambda n: 10 ** abs(n) * (1 if n > 0 else -1))
    | texts
)
keys = texts | st.integers() | st.none() | st.booleans() | st.floats()


def _nested(depth: int) -> Any:
    value: Any = "low"
    for _ in range(depth):
        value = [value] if depth % 2 else {"running": value}
    return value


class _Opaque:
    """An object of the caller's own class, whose repr fails."""

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


# What only a caller in Python can pass: no file holds these.
python_scalars = (
    st.binary(max_size=8)
    | st.decimals()
    | st.fractions()
    | st.complex_numbers()
    | st.datetimes()
    | st.sets(st.integers(), max_size=3)
    | st.frozensets(texts, max_size=3)
    | st.builds(_Opaque)
)
any_values = st.recursive(
    scalars | python_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(keys, inner, max_size=4)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(keys, inner, max_size=3).map(types.MappingProxyType)
    ),
    max_leaves=12,
) | st.integers(1, 3000).map(_nested)


# JSON and YAML writers refuse integers of more than 4,300 digits; raw text has them.
def writable_number(value: Any) -> bool:
    return not isinstance(value, int) or value.bit_length() < 13_000  # about 3,900 digits


writable_scalars = scalars.filter(writable_number)
writable = st.recursive(
    writable_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)

EXAMPLE_PROFILES: list[dict[str, Any]] = [
    yaml.safe_load(p.read_text()) for p in sorted((ROOT / "kb/examples").glob("*.yaml"))
]


@functools.cache
def _read_kb_data(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def kb_data(name: str) -> Any:
    """A bundled KB file's data, a fresh copy to change at will."""
    return copy.deepcopy(_read_kb_data(name))


# -- values that fit a vocabulary ------------------------------------------------------

# Which operators test which attribute type, as docs/editors.md lists them.
OPERATORS = {
    "bool": ["eq", "ne"],
    "enum": ["eq", "ne", "in", "not_in"],
    "integer": ["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"],
    "number": ["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"],
    "list": ["contains", "contains_any"],
}


def attributes_of(facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(`fact.attribute`, its declaration) for every attribute of a facts file's data."""
    return [
        (f"{fact}.{attribute}", spec)
        for kind in ("input", "derived", "background")
        for fact, declared in facts[kind].items()
        for attribute, spec in declared["attributes"].items()
    ]


# Whole numbers at the edges of what a machine word holds, and far beyond.
EDGE_WHOLE_NUMBERS = st.sampled_from([2**53 + 1, 2**63 - 1, -(2**63), 2**63, -(2**64), 10**20])
HUGE_WHOLE_NUMBERS = st.sampled_from([400, 5000]).map(lambda digits: 10**digits)


def values_of(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values in an attribute's range; any number at all where it has no bound."""
    if spec["type"] == "bool":
        return st.booleans()
    if spec["type"] in ("enum", "list"):
        return st.sampled_from(spec["values"])
    low, high = spec.get("min"), spec.get("max")
    whole = st.integers(low, high)
    if low is None or high is None:
        edges = EDGE_WHOLE_NUMBERS | HUGE_WHOLE_NUMBERS | HUGE_WHOLE_NUMBERS.map(int.__neg__)
        whole |= edges.filter(lambda n: (low is None or n >= low) and (high is None or n <= high))
    if spec["type"] == "integer":
        return whole
    return whole | st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def profiles_for(draw: st.DrawFn, facts: dict[str, Any]) -> dict[str, Any]:
    """A profile of any values the vocabulary allows, some attributes left out."""
    profile = {}
    for fact, declared in facts["input"].items():
        values = {
            attribute: draw(
                st.lists(values_of(spec), unique=True)
                if spec["type"] == "list"
                else values_of(spec)
            )
            for attribute, spec in declared["attributes"].items()
            if draw(st.booleans())
        }
        if values:
            profile[fact] = values
    return profile


# -- YAML 1.1 number forms ---------------------------------------------------------------


def _base_60(n: int) -> str:
    hours, minutes = divmod(n, 60)
    return f"{hours}:{minutes:02d}"


# How YAML 1.1 lets a whole number (at least 1) be written so that it reads as another
# value than YAML 1.2 (or a person) would: octal, base 60, binary, `_`, a bare exponent.
yaml_11_number_forms = st.integers(1, 10_000).flatmap(
    lambda n: st.sampled_from(
        [
            "0" + format(n, "o"),
            "0" + str(n),
            _base_60(n + 60),
            "0b" + format(n, "b"),
            f"{n}_0",
            f"{n}e0",
            "0o" + format(n, "o"),
        ]
    )
)


# -- checks ---------------------------------------------------------------------------------

MAX_PROBLEM_CHARS = 600


def assert_clear_profile_error(error: healthkb.ProfileError) -> None:
    """Every problem is short, has a code, and names the field it is about."""
    assert error.problems
    for problem in error.problems:
        assert problem.code and problem.message
        assert len(str(problem)) <= MAX_PROBLEM_CHARS, str(problem)[:2000]
        if problem.code != "invalid-profile":  # the profile as a whole: no field to name
            assert problem.message.startswith("`"), problem


def assert_located_problems(error: healthkb.KBError) -> None:
    """Every problem names its file (relative to the KB), a place, a code and a message."""
    assert error.problems
    for problem in error.problems:
        assert problem.file and not os.path.isabs(problem.file), problem
        assert problem.line >= 0 and problem.column >= 0, problem
        assert problem.code and problem.message, problem
        assert len(str(problem)) <= MAX_PROBLEM_CHARS, str(problem)[:2000]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """`healthkb ARGV` in this process: exit code, stdout, stderr (with no traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()
