"""A file's validation errors become the same located problems as before their paths were
looked up in sets made once (docs/performance.md, "Validating the rules, again"):
`problems_from` against the old one, kept verbatim in tests/support, on edited KB files
and on files with the same mistake everywhere; a file with thousands of mistakes took
the old one seconds, and twenty thousand half a minute."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from tests.benchmarks.generated_kb import write_generated_kb

from healthkb.content.diagnostics.located_validation import problems_from
from healthkb.content.model import ConclusionsFile, Manifest, Source, Vocabulary
from healthkb.content.rule_model import RulesFile
from healthkb.errors import KBError, Problem
from healthkb.files.yaml_reader import Located, parse_yaml
from support.fuzzing import ROOT, budget, kb_data
from support.old_located_validation import problems_from_before


def _model_of(name: str) -> type[BaseModel]:
    if name.startswith("rules/"):
        return RulesFile
    if name.startswith("kb/sources/"):
        return Source
    return {
        "kb/kb.yaml": Manifest,
        "kb/facts.yaml": Vocabulary,
        "kb/conclusions.yaml": ConclusionsFile,
    }[name]


FILES = sorted(
    str(p.relative_to(ROOT))
    for folder in ("kb", "kb/sources", "rules")
    for p in (ROOT / folder).glob("*.yaml")
    if p.name not in ("rules.lock.yaml", "silences.yaml", "fhir.yaml")
)

# What editors get wrong: keys misspelt, misplaced or given twice, values of another
# type, a key indented under its neighbour or out of its mapping.
KEYS = ["titel", "then", "derive", "conclude", "when", "all", "any", "not", "fact", "gt",
        "eq", "in", "between", "source", "quote", "because", "id", "version", "status",
        "values", "kind", "certainty", "statement", "source_says", "text", "type"]  # fmt: skip
VALUES = ["'3'", "3", "-1", "0", "true", "null", "[]", "{}", "[1, 2]", "[2, 1]", "x",
          "{fact: a.b, gt: 1}", "[{fact: a.b}]", "2025-01-01", "'a.b'", "A.B"]  # fmt: skip


@st.composite
def edited_text(draw: st.DrawFn, text: str) -> str:
    """`text` with one to four edits of its lines."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        indent = len(line) - len(line.lstrip(" "))
        kind = draw(st.sampled_from(["key", "value", "indent", "dedent", "delete", "repeat"]))
        if kind == "key" and ":" in line:
            key, rest = line.lstrip(" ").split(":", 1)
            dash = "- " if key.startswith("- ") else ""
            lines[i] = " " * indent + dash + draw(st.sampled_from(KEYS)) + ":" + rest
        elif kind == "value" and ": " in line:
            lines[i] = line.split(": ", 1)[0] + ": " + draw(st.sampled_from(VALUES))
        elif kind == "indent":
            lines[i] = "  " * draw(st.integers(1, 2)) + line
        elif kind == "dedent":
            lines[i] = line[min(indent, 2 * draw(st.integers(1, 2))) :]
        elif kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, line)
    return "\n".join(lines)


@st.composite
def edited_data(draw: st.DrawFn, data: Any) -> Any:
    """`data` with one to three values given another type, renamed or removed."""
    for _ in range(draw(st.integers(1, 3))):
        node, parent, last = data, None, None
        while isinstance(node, dict | list) and node and draw(st.integers(0, 4)):
            last = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            parent, node = node, node[last]
        if parent is None:
            continue
        kind = draw(st.sampled_from(["retype", "rename", "remove"]))
        if kind == "retype":
            parent[last] = draw(st.sampled_from([yaml.safe_load(v) for v in VALUES]))
        elif kind == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = parent.pop(last)
        elif kind == "remove":
            del parent[last]
    return data


def _both(located: Located, model: type[BaseModel]) -> tuple[list[Problem], list[Problem]]:
    try:
        model.model_validate(located.data)
    except ValidationError as error:
        return problems_from(error, model, located), problems_from_before(error, model, located)
    return [], []


def _parsed(text: str, name: str) -> Located | None:
    try:
        return parse_yaml(text, name)
    except KBError:
        return None


@budget(300)
@given(st.sampled_from(FILES), st.data())
def test_an_edited_file_gives_the_problems_it_gave_before(name: str, data: st.DataObject) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    located = _parsed(data.draw(edited_text(text)), name)
    if located is not None:
        now, before = _both(located, _model_of(name))
        assert now == before


@budget(200)
@given(st.sampled_from(FILES), st.data())
def test_edited_data_gives_the_problems_it_gave_before(name: str, data: st.DataObject) -> None:
    text = yaml.safe_dump(data.draw(edited_data(kb_data(name))), sort_keys=False)
    located = _parsed(text, name)
    if located is not None:
        now, before = _both(located, _model_of(name))
        assert now == before


# Mistakes made all over a file, as a search and replace makes them.
SYSTEMATIC = [
    (r"(gt|ge|lt|le): (\d+)", r"\1: '\2'"),  # numbers quoted: a wrong type per comparison
    (r"\n  then:", r"\n    then:"),  # `then` indented under `when`'s mapping
    (r"\n    derive:", r"\n  derive:"),  # `derive` out of `then`: misplaced
    (r"\n  title:", r"\n  titel:"),  # misspelt
    (r"\n  - source: synthetic-benchmark", r"\n  - source: 3"),
]


@pytest.fixture(scope="module")
def generated_rules(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The rules of the generated 200-rule KB, as the items of one `rules:` list."""
    root = write_generated_kb(tmp_path_factory.mktemp("kb") / "kb", 200)
    return "".join(
        p.read_text(encoding="utf-8").removeprefix("rules:\n")
        for p in sorted((root / "rules").glob("synthetic_*.yaml"))
    )


def test_files_with_the_same_mistake_everywhere_give_the_problems_they_gave_before(
    generated_rules: str,
) -> None:
    for i in range(len(SYSTEMATIC) + 1):
        edited = generated_rules
        for pattern, replacement in SYSTEMATIC[:i] + SYSTEMATIC[i + 1 :]:
            edited = re.sub(pattern, replacement, edited)
        located = parse_yaml("rules:\n" + edited, "rules/edited.yaml")
        now, before = _both(located, RulesFile)
        assert len(now) > 200
        assert now == before


def test_thousands_of_mistakes_in_a_file_take_a_moment() -> None:
    """20,000 rules that are not mappings: each problem's path was compared with every
    other's before, half a minute (4,000 took 1.2 s, 20,000 now 0.6 s)."""
    located = Located("rules/edited.yaml", {"rules": [1] * 20_000}, {(): (1, 1)})
    started = time.process_time()
    try:
        RulesFile.model_validate(located.data)
    except ValidationError as error:
        problems = problems_from(error, RulesFile, located)
    assert len(problems) == 20_000
    assert problems[-1].message.startswith("item 20000 of `rules` needs a mapping")
    assert time.process_time() - started < 10
