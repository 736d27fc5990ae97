"""No input crashes healthkb: bad profiles, KB files and audit logs give its own errors.

Properties over generated input, each bounded so the file stays quick in the suite.
To search harder, raise the budget: `HEALTHKB_FUZZ_EXAMPLES=2000 pytest
tests/test_robustness.py` (random, not derandomised, when set).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import json
import math
import os
import re
import shutil
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import healthkb
from healthkb import reference
from healthkb.cli import main
from test_differential import engine_view
from test_differential import profiles as generated_profiles

ROOT = Path(__file__).resolve().parent.parent

_BUDGET = os.environ.get("HEALTHKB_FUZZ_EXAMPLES")


def _settings(examples: int) -> settings:
    """`examples` in the suite (derandomised: the same inputs every run), or the budget."""
    return settings(
        max_examples=int(_BUDGET) if _BUDGET else examples,
        derandomize=not _BUDGET,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# -- generated values ----------------------------------------------------------------

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


EXAMPLE_PROFILES: list[dict[str, Any]] = [
    yaml.safe_load(p.read_text()) for p in sorted((ROOT / "kb/examples").glob("*.yaml"))
]


@st.composite
def seeded_profiles(draw: st.DrawFn) -> dict[str, Any]:
    """A valid example profile with a few facts or attributes replaced by anything."""
    profile = draw(st.sampled_from(EXAMPLE_PROFILES))
    for _ in range(draw(st.integers(1, 3))):
        fact = draw(st.sampled_from(sorted(profile, key=repr)) | keys)
        if isinstance(profile.get(fact), dict) and draw(st.booleans()):
            attributes = dict(profile[fact])
            names = sorted(attributes, key=repr)
            attribute = draw(st.sampled_from(names) | keys) if names else None
            attributes[attribute] = draw(any_values)
            profile = {**profile, fact: attributes}
        else:
            profile = {**profile, fact: draw(any_values)}
    return profile


# -- checks shared by the properties ---------------------------------------------------

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
    assert error.problems
    for problem in error.problems:
        assert problem.file and not os.path.isabs(problem.file), problem
        assert problem.line >= 0 and problem.column >= 0, problem
        assert problem.code and problem.message, problem
        assert len(str(problem)) <= MAX_PROBLEM_CHARS, str(problem)[:2000]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue(), err.getvalue()


# -- 1. profiles -------------------------------------------------------------------------


def _evaluate_or_profile_error(kb: healthkb.KnowledgeBase, profile: Any) -> None:
    try:
        result = kb.evaluate(profile)
    except healthkb.ProfileError as error:
        assert_clear_profile_error(error)
    else:
        assert isinstance(result, healthkb.Result)


@_settings(300)
@given(any_values)
def test_any_value_as_a_profile_evaluates_or_is_a_clear_profile_error(
    kb: healthkb.KnowledgeBase, profile: Any
) -> None:
    _evaluate_or_profile_error(kb, profile)


@_settings(200)
@given(seeded_profiles())
def test_any_value_mixed_into_an_example_profile_evaluates_or_is_a_clear_profile_error(
    kb: healthkb.KnowledgeBase, profile: dict[str, Any]
) -> None:
    _evaluate_or_profile_error(kb, profile)


def _as_text(profile: Any, form: str) -> bytes:
    if form == "json":
        return json.dumps(profile, ensure_ascii=True).encode()
    if form == "json-utf8":
        return json.dumps(profile, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return yaml.safe_dump(profile, allow_unicode=True).encode("utf-8", "surrogatepass")


# JSON and YAML writers refuse integers of more than 4,300 digits; raw text has them.
def _writable(value: Any) -> bool:
    return not isinstance(value, int) or value.bit_length() < 13_000  # about 3,900 digits


writable_scalars = scalars.filter(_writable)
writable = st.recursive(
    writable_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
raw_profile_text = st.text(
    st.characters(exclude_categories=("Cs",)) | st.sampled_from(":-[]{}'\"\t\n #&*!|>%@`"),
    max_size=80,
).map(lambda text: text.encode("utf-8")) | st.binary(max_size=40)


@_settings(60)
@given(
    st.tuples(writable, st.sampled_from(["json", "json-utf8", "yaml"])).map(lambda p: _as_text(*p))
    | raw_profile_text
)
def test_evaluate_command_exits_0_or_2_on_any_profile_file(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.yaml"
        path.write_bytes(content)
        code, _, err = run_cli(["evaluate", str(path), "--kb", str(ROOT)])
    assert code in (0, 2), err
    if code == 2:
        assert err.startswith("healthkb: invalid profile:"), err


# -- 2. KB files ---------------------------------------------------------------------------

KB_FILES = sorted(
    str(p.relative_to(ROOT))
    for folder in ("kb", "kb/sources", "rules")
    for p in (ROOT / folder).glob("*.yaml")
)
CASE_FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "kb/tests").glob("*.yaml"))

INSERTED = st.text(
    st.sampled_from(
        [*":-[]{}'\"\t #&*!|>%@`,?\\", "\x00", "\x07", "\x1b", "\x7f", "\x85", "\u2028"]
    )
    | st.characters(),
    min_size=1,
    max_size=6,
)
OTHER_SCALARS = st.sampled_from(
    [
        "1",
        "-3",
        "1e999",
        ".nan",
        "true",
        "yes",
        "null",
        "~",
        "[]",
        "{}",
        "[a, b]",
        "{a: 1}",
        '"x"',
        "2025-02-30",
        "2025-01-01",
        "0x1F",
        "9" * 5000,
        "&a x",
        "*a",
        "!!python/none",
        "|",
        ">-",
        "-",
    ]
)


@st.composite
def mutations(draw: st.DrawFn, text: str) -> str:
    """`text` with one to three random edits of the kinds an editor (or a disk) makes."""
    for _ in range(draw(st.integers(1, 3))):
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(["delete", "duplicate", "swap", "indent", "insert", "cut", "retype"])
        )
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "indent":
            change = draw(st.sampled_from([" ", "  ", "\t", "-1", "-2", "-4"]))
            if change.startswith("-"):
                lines[i] = lines[i][int(change[1:]) :]
            else:
                lines[i] = change + lines[i]
        elif kind == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(INSERTED) + lines[i][at:]
        elif kind == "retype" and ": " in lines[i]:
            key = lines[i].split(": ", 1)[0]
            lines[i] = f"{key}: {draw(OTHER_SCALARS)}"
        elif kind == "cut":
            text = text[: draw(st.integers(min(1, len(text)), len(text)))]
            continue
        text = "\n".join(lines)
    return text


@functools.cache
def _read_kb_data(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def _kb_data(name: str) -> Any:
    return copy.deepcopy(_read_kb_data(name))


def _subtrees(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            yield from _subtrees(child)


# Pieces of the KB itself, to put where they do not belong: a condition as a value,
# a rule id as a fact, a list of quotes as a version. Near misses reach deeper checks.
KB_PIECES = sorted(
    {
        json.dumps(piece, sort_keys=True, default=str)
        for name in ("kb/facts.yaml", "kb/conclusions.yaml", "rules/running_and_diet.yaml")
        for piece in _subtrees(_kb_data(name))
        if len(json.dumps(piece, default=str)) < 400
    }
)
pieces = st.sampled_from(KB_PIECES).map(json.loads)
KB_WORDS = sorted(
    {
        word
        for name in KB_FILES
        for piece in _subtrees(_kb_data(name))
        if isinstance(piece, dict | str)
        for word in (piece if isinstance(piece, dict) else [piece])
        if isinstance(word, str) and len(word) < 40
    }
)


def _like(value: Any) -> st.SearchStrategy[Any]:
    """Another value of the same kind: it passes the type checks and reaches the others."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers() | st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63, -(2**64)])
    if isinstance(value, float):
        return st.floats()
    if isinstance(value, str):
        return st.sampled_from(KB_WORDS) | texts
    if isinstance(value, list):
        return st.lists(st.sampled_from(KB_WORDS) | writable_scalars, max_size=4)
    return writable


@st.composite
def restructured(draw: st.DrawFn, data: Any) -> Any:
    """`data` with one to three values replaced, removed, renamed or repeated."""
    for _ in range(draw(st.integers(1, 3))):
        path: list[Any] = []
        node = data
        # Mostly below the top: a file that is not a mapping at all says little new.
        while isinstance(node, dict | list) and node and (not path or draw(st.integers(0, 5))):
            key = draw(
                st.sampled_from(
                    sorted(node, key=repr) if isinstance(node, dict) else range(len(node))
                )
            )
            path.append(key)
            node = node[key]
        if not path:
            data = draw(pieces | writable)
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        kind = draw(st.sampled_from(["nudge", "replace", "graft", "remove", "rename", "repeat"]))
        if kind == "nudge":
            parent[last] = draw(_like(parent[last]))
        elif kind == "replace":
            parent[last] = draw(writable)
        elif kind == "graft":
            parent[last] = draw(pieces)
        elif kind == "remove":
            del parent[last]
        elif kind == "rename" and isinstance(parent, dict):
            value = parent.pop(last)
            parent[draw(texts | st.sampled_from(KB_WORDS))] = value
        elif kind == "repeat" and isinstance(parent, list):
            parent.insert(last, json.loads(json.dumps(parent[last], default=str)))
    return data


@st.composite
def restructured_file(draw: st.DrawFn, files: list[str]) -> tuple[str, str]:
    """One KB file read, its data changed, and written out again as YAML."""
    name = draw(st.sampled_from(files))
    data = draw(restructured(_kb_data(name)))
    return name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@st.composite
def mutated_file(draw: st.DrawFn, files: list[str]) -> tuple[str, str]:
    name = draw(st.sampled_from(files))
    return name, draw(mutations((ROOT / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def kb_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzzed") / "kb-copy"
    shutil.copytree(ROOT / "kb", root / "kb")
    shutil.copytree(ROOT / "rules", root / "rules")
    return root


LOCK = "kb/rules.lock.yaml"


@contextlib.contextmanager
def written(root: Path, changes: dict[str, str | None]) -> Iterator[Path]:
    """The KB at `root` with each file named holding its text (None: removed), put back
    as it was afterwards."""
    originals = {name: (root / name).read_bytes() for name in changes}
    for name, text in changes.items():
        if text is None:
            (root / name).unlink()
        else:
            (root / name).write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        yield root
    finally:
        for name, original in originals.items():
            (root / name).write_bytes(original)


def _changes(edit: tuple[str, str], unlocked: bool) -> dict[str, str | None]:
    """The edit, and without the lock file when `unlocked`: a rule's content may then
    change without its version going up, so edited rules load and are evaluated."""
    name, text = edit
    return {name: text, LOCK: None} if unlocked and name != LOCK else {name: text}


RULE_FILES = [name for name in KB_FILES if name.startswith("rules/")]


@st.composite
def edited_conditions(draw: st.DrawFn) -> tuple[str, str]:
    """A rule file with one rule's `when` (or `then`) changed: the engine's own input."""
    name = draw(st.sampled_from(RULE_FILES))
    data = _kb_data(name)
    rule = draw(st.sampled_from(data["rules"]))
    part = draw(st.sampled_from(["when", "when", "then"]))
    rule[part] = draw(restructured(rule[part]))
    return name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


kb_edits = st.builds(_changes, mutated_file(KB_FILES) | restructured_file(KB_FILES), st.booleans())


def _load_or_kb_error(root: Path) -> healthkb.KnowledgeBase | None:
    try:
        return healthkb.load(root)
    except healthkb.KBError as error:
        assert_located_problems(error)
        return None


def assert_evaluates_as_the_reference(kb: healthkb.KnowledgeBase, profile: Any) -> None:
    """A KB that loads evaluates any profile of its vocabulary, as the reference does."""
    try:
        result = kb.evaluate(profile)
    except healthkb.ProfileError as error:  # a fact or attribute edited away
        assert_clear_profile_error(error)
    except healthkb.EvaluationError as error:  # a rule edited into a runaway chain
        assert "rule firings" in str(error)
    else:
        assert engine_view(result) == reference.evaluate(kb.content, result.profile)


@_settings(40)
@given(kb_edits, st.lists(generated_profiles(), max_size=3))
def test_an_edited_kb_loads_and_evaluates_or_gives_located_problems_and_validate_agrees(
    kb_copy: Path, changes: dict[str, str | None], profiles: list[dict[str, Any]]
) -> None:
    with written(kb_copy, changes) as root:
        loaded = _load_or_kb_error(root)
        if loaded is not None:
            for profile in [*EXAMPLE_PROFILES, *profiles]:
                assert_evaluates_as_the_reference(loaded, profile)
        code, out, err = run_cli(["validate", str(root), "--format", "json"])
    # Validate checks the test cases as well, which a loadable KB may still fail.
    assert code in ((1,) if loaded is None else (0, 1)), err
    for problem in json.loads(out):
        assert problem["code"] and problem["message"] and problem["line"] >= 0


# Which operators test which attribute type, as docs/editors.md lists them.
OPERATORS = {
    "bool": ["eq", "ne"],
    "enum": ["eq", "ne", "in", "not_in"],
    "integer": ["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"],
    "number": ["eq", "ne", "lt", "le", "gt", "ge", "between", "in", "not_in"],
    "list": ["contains", "contains_any"],
}


def _attributes(facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{fact}.{attribute}", spec)
        for kind in ("input", "derived", "background")
        for fact, declared in facts[kind].items()
        for attribute, spec in declared["attributes"].items()
    ]


# Whole numbers at the edges of what a machine word holds, and far beyond.
EDGE_WHOLE_NUMBERS = st.sampled_from([2**53 + 1, 2**63 - 1, -(2**63), 2**63, -(2**64), 10**20])
HUGE_WHOLE_NUMBERS = st.sampled_from([400, 5000]).map(lambda digits: 10**digits)


def _values_of(spec: dict[str, Any]) -> st.SearchStrategy[Any]:
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
def comparisons(draw: st.DrawFn, attributes: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One comparison that fits the vocabulary: a declared attribute, a fitting operator
    and values in its range."""
    fact, spec = draw(st.sampled_from(attributes))
    op = draw(st.sampled_from(OPERATORS[spec["type"]]))
    # The rule engine takes no numbers written with an exponent (`number-format`), and
    # YAML writers no integers of more than 4,300 digits.
    values = _values_of(spec).filter(
        lambda v: "e" not in repr(v) if isinstance(v, float) else _writable(v)
    )
    value: Any
    if op == "between":
        value = sorted(draw(st.lists(values, min_size=2, max_size=2)))
    elif op in ("in", "not_in", "contains_any"):
        value = draw(st.lists(values, min_size=1, max_size=3))
    else:
        value = draw(values)
    return {"fact": fact, op: value}


def conditions(attributes: list[tuple[str, dict[str, Any]]]) -> st.SearchStrategy[Any]:
    return st.recursive(
        comparisons(attributes),
        lambda inner: (
            st.lists(inner, min_size=1, max_size=3).map(lambda items: {"all": items})
            | st.lists(inner, min_size=1, max_size=3).map(lambda items: {"any": items})
            | inner.map(lambda condition: {"not": condition})
        ),
        max_leaves=6,
    )


@st.composite
def profiles_for(draw: st.DrawFn, facts: dict[str, Any]) -> dict[str, Any]:
    """A profile of any values the vocabulary allows, some attributes left out."""
    profile = {}
    for fact, declared in facts["input"].items():
        values = {
            attribute: draw(
                st.lists(_values_of(spec), unique=True)
                if spec["type"] == "list"
                else _values_of(spec)
            )
            for attribute, spec in declared["attributes"].items()
            if draw(st.booleans())
        }
        if values:
            profile[fact] = values
    return profile


@st.composite
def rewritten_kbs(draw: st.DrawFn) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """The KB with some numeric attributes unbounded, one rule's `when` replaced by any
    condition that fits the vocabulary (no lock), and profiles that fit it."""
    facts = _kb_data("kb/facts.yaml")
    changes: dict[str, str | None] = {LOCK: None}
    for _, spec in _attributes(facts):
        for bound in ("min", "max"):
            if bound in spec and draw(st.integers(0, 3)) == 0:
                del spec[bound]
    changes["kb/facts.yaml"] = yaml.safe_dump(facts, sort_keys=False, allow_unicode=True)
    name = draw(st.sampled_from(RULE_FILES))
    data = _kb_data(name)
    draw(st.sampled_from(data["rules"]))["when"] = draw(conditions(_attributes(facts)))
    changes[name] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return changes, draw(st.lists(profiles_for(facts), min_size=1, max_size=4))


@_settings(30)
@given(rewritten_kbs())
def test_a_kb_with_any_fitting_condition_loads_and_evaluates_as_the_reference_or_says_why_not(
    kb_copy: Path, rewritten: tuple[dict[str, str | None], list[dict[str, Any]]]
) -> None:
    changes, profiles = rewritten
    with written(kb_copy, changes) as root:
        loaded = _load_or_kb_error(root)
    if loaded is not None:
        for profile in [*EXAMPLE_PROFILES, *profiles]:
            assert_evaluates_as_the_reference(loaded, profile)


@_settings(20)
@given(mutated_file(CASE_FILES) | restructured_file(CASE_FILES))
def test_an_edited_test_case_file_runs_or_gives_located_problems(
    kb_copy: Path, edit: tuple[str, str]
) -> None:
    with written(kb_copy, dict([edit])) as root:
        code, out, err = run_cli(["test", str(root), "--format", "json"])
    assert code in (0, 1, 2), err
    report = json.loads(out)
    for problem in report.get("problems", []):
        assert problem["file"].startswith("kb/tests/"), problem
        assert problem["line"] >= 0 and problem["column"] >= 0, problem
        assert problem["code"] and problem["message"], problem


# -- output formats ---------------------------------------------------------------------------

CONCLUSION_IDS = [c["id"] for c in _read_kb_data("kb/conclusions.yaml")["conclusions"]]
BUNDLED_FACTS = _read_kb_data("kb/facts.yaml")


@_settings(15)
@given(
    profiles_for(BUNDLED_FACTS),
    st.sampled_from(["text", "json", "markdown", "cds-hooks"]),
    st.sampled_from(CONCLUSION_IDS),
    st.sampled_from(["text", "json", "html"]),
)
def test_every_output_format_renders_any_valid_profile(
    profile: dict[str, Any], result_format: str, conclusion: str, explain_format: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.yaml"
        path.write_text(yaml.safe_dump(profile), encoding="utf-8")
        code, out, err = run_cli(
            ["evaluate", str(path), "--kb", str(ROOT), "--format", result_format]
        )
        assert (code, err) == (0, ""), err
        if result_format in ("json", "cds-hooks"):
            json.loads(out)
        argv = ["explain", str(path), "--kb", str(ROOT), "--conclusion", conclusion]
        code, out, err = run_cli([*argv, "--format", explain_format])
        assert code == 0, err
        assert out


# -- 3. audit logs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def audit_lines(kb: healthkb.KnowledgeBase, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    log = healthkb.AuditLog(tmp_path_factory.mktemp("audit") / "audit.jsonl")
    for profile in EXAMPLE_PROFILES[:3]:
        kb.evaluate(profile, audit=log)
    return log.path.read_bytes()


def _byte_edits(draw: st.DrawFn, data: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        lines = data.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(
            st.sampled_from(["flip", "insert", "cut", "delete", "duplicate", "swap", "lengthen"])
        )
        numbers = [m.start() + 1 for m in re.finditer(rb":[0-9]", data)]
        if kind == "lengthen" and numbers:
            at = draw(st.sampled_from(numbers))
            data = data[:at] + b"9" * draw(st.sampled_from([1, 20, 5000])) + data[at:]
        elif kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif kind == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "delete":
            del lines[i]
            data = b"\n".join(lines)
        elif kind == "duplicate":
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
    return data


def _json_edit(draw: st.DrawFn, data: bytes) -> bytes:
    """One record's JSON with one value replaced by anything: valid JSON, wrong content."""
    lines = data.split(b"\n")
    i = draw(st.integers(0, len(lines) - 2))
    record = json.loads(lines[i])
    path = []
    value = record
    while isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(value)))
        path.append(key)
        value = value[key]
    target = record
    for key in path[:-1]:
        target = target[key]
    new = draw(writable)
    if path:
        target[path[-1]] = new
    else:
        record = new
    lines[i] = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    return b"\n".join(lines)


@st.composite
def damaged_logs(draw: st.DrawFn, audit_lines: bytes) -> bytes:
    edit: Callable[[st.DrawFn, bytes], bytes] = draw(st.sampled_from([_byte_edits, _json_edit]))
    return edit(draw, audit_lines)


@_settings(80)
@given(st.data())
def test_a_damaged_audit_log_is_verified_and_appended_to_without_a_traceback(
    kb: healthkb.KnowledgeBase, audit_lines: bytes, data: st.DataObject
) -> None:
    damaged = data.draw(damaged_logs(audit_lines))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        path.write_bytes(damaged)
        code, out, err = run_cli(["audit", "verify", str(path), "--format", "json"])
        assert code in (0, 1, 2), err
        if code != 2:
            assert json.loads(out)["ok"] is (code == 0)
        try:
            kb.evaluate({"symptoms": {"physical_discomfort": True}}, audit=healthkb.AuditLog(path))
        except healthkb.AuditLogError as error:
            assert str(error).startswith(str(path)), error
