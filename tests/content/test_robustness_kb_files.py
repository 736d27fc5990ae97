"""Edited KB and test-case files load, or give located problems; a KB that loads evaluates
every profile as the reference evaluator does. A YAML 1.1 number form anywhere is a
problem at its place; why-not on any diamond-chain KB stays the size of the KB."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from tests.benchmarks.diamond_kb import CONCLUSION, write_diamond_kb

import healthkb
from healthkb.content import reference_evaluator as reference
from support.fuzzing import (
    EXAMPLE_PROFILES,
    OPERATORS,
    ROOT,
    assert_clear_profile_error,
    assert_located_problems,
    attributes_of,
    budget,
    kb_data,
    profiles_for,
    run_cli,
    texts,
    values_of,
    writable,
    writable_number,
    writable_scalars,
    yaml_11_number_forms,
)
from support.generated_profiles import engine_view
from support.generated_profiles import profiles as generated_profiles
from support.why_not_trees import rule_nodes

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
        for piece in _subtrees(kb_data(name))
        if len(json.dumps(piece, default=str)) < 400
    }
)
pieces = st.sampled_from(KB_PIECES).map(json.loads)
KB_WORDS = sorted(
    {
        word
        for name in KB_FILES
        for piece in _subtrees(kb_data(name))
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
    data = draw(restructured(kb_data(name)))
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
    data = kb_data(name)
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


@budget(25)
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


@st.composite
def comparisons(draw: st.DrawFn, attributes: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """One comparison that fits the vocabulary: a declared attribute, a fitting operator
    and values in its range."""
    fact, spec = draw(st.sampled_from(attributes))
    op = draw(st.sampled_from(OPERATORS[spec["type"]]))
    # The rule engine takes no numbers written with an exponent (`number-format`), and
    # YAML writers no integers of more than 4,300 digits.
    values = values_of(spec).filter(
        lambda v: "e" not in repr(v) if isinstance(v, float) else writable_number(v)
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
def rewritten_kbs(draw: st.DrawFn) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """The KB with some numeric attributes unbounded, one rule's `when` replaced by any
    condition that fits the vocabulary (no lock), and profiles that fit it."""
    facts = kb_data("kb/facts.yaml")
    changes: dict[str, str | None] = {LOCK: None}
    for _, spec in attributes_of(facts):
        for bound in ("min", "max"):
            if bound in spec and draw(st.integers(0, 3)) == 0:
                del spec[bound]
    changes["kb/facts.yaml"] = yaml.safe_dump(facts, sort_keys=False, allow_unicode=True)
    name = draw(st.sampled_from(RULE_FILES))
    data = kb_data(name)
    draw(st.sampled_from(data["rules"]))["when"] = draw(conditions(attributes_of(facts)))
    changes[name] = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return changes, draw(st.lists(profiles_for(facts), min_size=1, max_size=4))


@budget(20)
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


@budget(10)
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


NUMBERS_IN_RULES = [
    (name, match.start(1), match.group(1))
    for name in KB_FILES + CASE_FILES
    for match in re.finditer(
        r"\b(?:gt|ge|lt|le|eq|ne|min|max|sessions_per_week): (\d+)\b",
        (ROOT / name).read_text(encoding="utf-8"),
    )
]


@budget(20)
@given(st.sampled_from(NUMBERS_IN_RULES), yaml_11_number_forms)
def test_a_yaml_11_number_form_anywhere_in_the_kb_is_a_problem_at_its_place(
    kb_copy: Path, number: tuple[str, int, str], form: str
) -> None:
    name, at, _ = number
    text = (ROOT / name).read_text(encoding="utf-8")
    edited = text[:at] + form + text[at + len(number[2]) :]
    line = text.count("\n", 0, at) + 1
    with written(kb_copy, {name: edited}) as root:
        code, out, err = run_cli(["validate", str(root), "--format", "json"])
    assert code == 1, err
    assert {
        "file": name,
        "line": line,
        "column": at - text.rfind("\n", 0, at),
        "code": "yaml-value",
    }.items() <= json.loads(out)[0].items()


@budget(15)
@given(st.integers(1, 60), st.booleans(), st.integers(0, 10))
def test_why_not_on_any_diamond_chain_agrees_with_evaluation_and_stays_linear(
    tmp_path_factory: pytest.TempPathFactory, steps: int, go: bool, level: int
) -> None:
    root = write_diamond_kb(tmp_path_factory.mktemp("diamond") / "kb", steps)
    kb = healthkb.load(root)
    result = kb.evaluate({"start": {"go": go, "level": level}})
    tree = result.why_not(CONCLUSION).to_dict()
    assert tree["concluded"] == (CONCLUSION in result.conclusion_ids) == go
    nodes = rule_nodes(tree)
    assert len(nodes) <= 4 * steps + 1
    fired = {f.rule_id for f in result.fired}
    for node in nodes:
        assert (node["failed"] is None) == (node["id"] in fired)
