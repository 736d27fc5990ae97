"""The docs cannot rot: their snippets run, and the outputs they show are the real ones.

- Every ```python block of a document runs, in order, in one namespace per document,
  from the repository root. A python block followed by an ```output block must print
  exactly that output.
- A fenced block preceded by `<!-- cli: healthkb ARGS -->` must be exactly what that
  command prints (KB digests aside, so an edit of the KB does not fail every doc).
- The JSON shape shown in docs/api.md has the keys of a real result.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import re
import shlex
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import healthkb
from healthkb.analysis.findings import SEVERITY
from healthkb.cli import main
from healthkb.editing.kb_validation import check_kb

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CLI = re.compile(r"<!-- cli: (healthkb [^>]*?) -->\s*\Z")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def blocks(doc: str) -> list[tuple[str, str, str]]:
    """(language, body, text before the block) for every fenced block, in order."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    found = []
    previous_end = 0
    for match in _FENCE.finditer(text):
        found.append((match.group(1), match.group(2), text[previous_end : match.start()]))
        previous_end = match.end()
    return found


def python_steps(doc: str) -> list[tuple[str, str | None]]:
    """Each python block with the output block that follows it (or None)."""
    found = blocks(doc)
    steps = []
    for i, (language, body, _) in enumerate(found):
        if language != "python":
            continue
        following = found[i + 1] if i + 1 < len(found) else None
        shown = following[1] if following and following[0] == "output" else None
        if shown is not None and following and following[2].strip():
            shown = None  # prose between them: the output block belongs to something else
        steps.append((body, shown))
    return steps


@contextlib.contextmanager
def in_root() -> Any:
    before = Path.cwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def doc_module(doc: str) -> Any:
    """A module for a document's snippets to run in, importable while they run, so that
    a function they define can be sent to a worker process (pickled by reference)."""
    module = types.ModuleType(f"docs_{doc.replace('.', '_')}")
    sys.modules[module.__name__] = module
    # A worker started afresh (spawn, forkserver) would import the module by name and
    # not find it; a forked one inherits it.
    method = multiprocessing.get_start_method()
    if "fork" in multiprocessing.get_all_start_methods():
        multiprocessing.set_start_method("fork", force=True)
    try:
        yield module.__dict__
    finally:
        multiprocessing.set_start_method(method, force=True)
        del sys.modules[module.__name__]


@pytest.mark.parametrize("doc", ["api.md", "auditors.md"])
def test_python_snippets_run_and_print_what_the_doc_shows(doc: str) -> None:
    steps = python_steps(doc)
    assert steps, f"docs/{doc} has no python blocks"
    with in_root(), doc_module(doc) as namespace:
        for number, (code, shown) in enumerate(steps, 1):
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(code, f"docs/{doc} python block {number}", "exec"), namespace)
            if shown is not None:
                assert printed.getvalue() == shown, f"docs/{doc} python block {number}"


def cli_blocks(doc: str) -> list[tuple[str, str]]:
    return [
        (match.group(1), body) for _, body, before in blocks(doc) if (match := _CLI.search(before))
    ]


def run_cli(command: str) -> str:
    args = shlex.split(command)[1:]
    printed = io.StringIO()
    with in_root(), contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        main(args)
    return printed.getvalue()


@pytest.mark.parametrize("doc", ["editors.md", "auditors.md"])
def test_command_outputs_shown_are_what_the_commands_print(doc: str) -> None:
    shown = cli_blocks(doc)
    assert shown, f"docs/{doc} shows no command output"
    for command, body in shown:
        printed = run_cli(command)
        assert _DIGEST.sub("sha256:…", printed) == _DIGEST.sub("sha256:…", body), command


def keys(value: Any) -> Any:
    """The key structure of JSON data (first element of each list; fact values opaque)."""
    if isinstance(value, dict):
        return {k: None if k == "values" else keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


def test_json_shape_in_the_api_doc_has_the_keys_of_a_real_result() -> None:
    (shape,) = [
        json.loads(body.replace("…", "x"))
        for language, body, _ in blocks("api.md")
        if language == "json"
    ]
    kb = healthkb.load()
    real = kb.evaluate_file(ROOT / "kb/examples/meets_conditions.yaml").model_dump(mode="json")
    deriving = next(f for f in real["fired"] if f["derived"] is not None)
    assert keys(shape["fired"][0]) == keys(deriving)
    for name in ("conclusions", "derived"):
        assert keys(shape[name][0]) == keys(real[name][0]), name
    assert set(shape) == set(real)
    assert set(shape["conclusions"][0]["citations"][0]) == set(
        real["conclusions"][0]["citations"][0]
    )


# --- docs/editors.md: the error messages it shows, and the table of problem codes ----

# Edits of the bundled KB that docs/editors.md describes, as (file, old text, new text).
EDITOR_EXAMPLES = {
    "en-dash": [
        (
            "rules/running_and_diet.yaml",
            "intensity, 3–5 times per week for",
            "intensity, 3-5 times per week for",
        )
    ],
    "negation-cycle": [
        (
            "rules/running_and_diet.yaml",
            "        - not: {fact: diet.frequent_high_calorie_foods, eq: true}\n",
            "        - not: {fact: diet.frequent_high_calorie_foods, eq: true}\n"
            "        - not: {fact: calorie_balance.state, eq: surplus}\n",
        )
    ],
    "number-not-in-quote": [
        (
            "rules/running_and_diet.yaml",
            "- {fact: running.minutes_per_session, gt: 30}",
            "- {fact: running.minutes_per_session, gt: 20}",
        )
    ],
    "overstated-certainty": [
        (
            "kb/conclusions.yaml",
            "  - id: thigh_buttock_fat_may_decrease\n    kind: outcome\n    certainty: possible\n",
            "  - id: thigh_buttock_fat_may_decrease\n    kind: outcome\n    certainty: likely\n",
        )
    ],
    "unreachable": [
        (
            "rules/running_and_diet.yaml",
            "- {fact: running.minutes_per_session, gt: 30}",
            "- {fact: running.minutes_per_session, gt: 600}",
        )
    ],
}


def problems_after(tmp_path: Path, edits: list[tuple[str, str, str]]) -> list[str]:
    root = tmp_path / "kb-copy"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    # The lock file stays: an editor who makes the edit in their copy of the bundled
    # KB sees `version-not-bumped` beside the example's own problem, and so must the doc.
    for name, old, new in edits:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{name}: the documented edit no longer applies"
        path.write_text(text.replace(old, new), encoding="utf-8")
    # What `validate` reports: loading (with pending version bumps), the analysis, and
    # the test cases.
    return [str(problem) for problem in check_kb(root).problems]


@pytest.mark.parametrize("example", sorted(EDITOR_EXAMPLES))
def test_error_messages_shown_to_editors_are_the_real_ones(example: str, tmp_path: Path) -> None:
    # Each example's block shows every problem the edit gives, in order, and no other.
    shown = [body for language, body, _ in blocks("editors.md") if language == "text"]
    real = "".join(f"{line}\n" for line in problems_after(tmp_path, EDITOR_EXAMPLES[example]))
    assert real in shown, f"docs/editors.md has no block showing exactly:\n{real}"


_CODE = re.compile(r'"([a-z]+(?:-[a-z0-9]+)+)"')
# Codes built with f-strings, and every code each one can make.
_TEMPLATED = {
    'f"duplicate-{what}-id"': {
        "duplicate-source-id",
        "duplicate-conclusion-id",
        "duplicate-rule-id",
        "duplicate-silence-id",
    },
    'f"unknown-{what}"': {"unknown-conclusion", "unknown-rule"},
}
# Hyphenated strings that are not problem codes: git subcommands, a schema name, HTML
# classes, and the kinds of test-case mismatch (reported per case, not as problems).
_NOT_CODES = {
    "scheduler-connection-lost",  # the reason Dask gives for a cancelled task
    "utf-8",
    "cat-file",
    "ls-tree",
    "rev-parse",
    "test-cases",
    "left-out",
    "left-out-note",
    "missing-conclusion",
    "missing-derived",
    "missing-rule",
    "unexpected-conclusion",
    "unexpected-rule",
    "unsaid-wording",
    "cds-hooks",
    "verify-release",
    # pydantic core schema types (content/loading/canonical_json.py reads the schemas).
    "model-fields",
    "tagged-union",
    "definition-ref",
    "function-after",
    "function-before",
    "function-wrap",
}
# Problems `healthkb audit verify` finds in an audit log: documented for auditors.
_AUDIT_LOG_CODES = {
    "edited-record",
    "broken-chain",
    "crlf-line-ending",
    "blank-line",
    "malformed-record",
    "torn-line",
    "checkpoint-mismatch",
    "bad-signature",
    "malformed-checkpoint",
    "no-checkpoints",
}
# The codes of input lines `healthkb batch` refuses: in docs/batch.md's table, as they
# are about a file of profiles, not KB files.
_BATCH_LINE_CODES = {
    "invalid-json",
    "invalid-line",
    "invalid-id",
    "missing-profile",
    "empty-line",
    "line-too-long",
    "evaluation-failed",
}
# Codes of one word are only recognised in a one-line Problem(file, line, column, code, ...).
_ONE_WORD_CODE = re.compile(r'Problem\(\s*[^,()]+,\s*[^,()]+,\s*[^,()]+,\s*"([a-z]+)"')


# Where the problems of requests to the service are made: documented in docs/service.md.
SERVICE_FILES = ("service/*.py", "profiles/fhir_*.py")
# Hyphenated strings there that are not problem codes: HTTP headers and their values (the
# playground's), the hook's name.
_NOT_SERVICE_CODES = {
    "content-length",
    "content-type",
    "no-cache",
    "no-referrer",
    "patient-view",
    "utf-8",
    "x-request-id",
}


def _service_paths() -> set[Path]:
    package = ROOT / "engine" / "healthkb"
    return {path for pattern in SERVICE_FILES for path in package.glob(pattern)}


def codes_in_the_service() -> set[str]:
    codes: set[str] = set()
    for path in _service_paths():
        text = path.read_text(encoding="utf-8")
        codes |= set(_CODE.findall(text)) - _NOT_SERVICE_CODES
        codes |= set(_ONE_WORD_CODE.findall(text))
        # One-word codes of problem documents: ServiceProblem(401, "unauthorized", ...).
        codes |= set(re.findall(r'\(\s*\d{3},\s*"([a-z]+)"', text))
    return codes


def codes_in_the_engine() -> set[str]:
    # The analysis's errors are problems too, with their kind as code.
    codes: set[str] = {kind for kind, severity in SEVERITY.items() if severity == "error"}
    templates: set[str] = set()
    service = _service_paths()
    for path in set((ROOT / "engine" / "healthkb").rglob("*.py")) - service:
        text = path.read_text(encoding="utf-8")
        codes |= set(_CODE.findall(text)) - _NOT_CODES
        codes |= set(_ONE_WORD_CODE.findall(text))
        templates |= set(re.findall(r'f"[a-z]+-\{\w+\}[-a-z]*"', text))
    assert templates == set(_TEMPLATED), "a new templated code: list what it can make here"
    return codes.union(*_TEMPLATED.values())


def codes_in_the_editors_table() -> set[str]:
    text = (DOCS / "editors.md").read_text(encoding="utf-8")
    # From the heading to the next top-level section (other sections may follow).
    section = text.split("### Problem codes", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {code for cell in first_cells for code in re.findall(r"`([a-z0-9-]+)`", cell)}


def test_every_problem_code_is_in_the_editors_table_and_no_other() -> None:
    engine = codes_in_the_engine() - _AUDIT_LOG_CODES - _BATCH_LINE_CODES
    documented = codes_in_the_editors_table()
    assert engine - documented == set(), "codes missing from docs/editors.md#problem-codes"
    assert documented - engine == set(), "codes in docs/editors.md that the engine never gives"
    auditors = (DOCS / "auditors.md").read_text(encoding="utf-8")
    assert {code for code in _AUDIT_LOG_CODES if f"| `{code}` |" not in auditors} == set()
    batch = (DOCS / "batch.md").read_text(encoding="utf-8")
    assert {code for code in _BATCH_LINE_CODES if f"| `{code}` |" not in batch} == set()


def test_every_problem_of_the_service_is_in_its_table_and_no_other() -> None:
    text = (DOCS / "service.md").read_text(encoding="utf-8")
    section = text.split("### Problem types", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {code for cell in first_cells for code in re.findall(r"`([a-z0-9-]+)`", cell)}
    # The service also answers with the library's own kinds of error.
    answered = codes_in_the_service() | {"invalid-profile", "unknown-conclusion"}
    assert answered - documented == set(), "codes missing from docs/service.md#problem-types"
    assert documented - answered == set(), "codes in docs/service.md the service never gives"


def test_the_readme_library_example_runs_and_reaches_a_conclusion() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = [body for language, body in _FENCE.findall(text) if language == "python"]
    printed = io.StringIO()
    with in_root(), contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md python block", "exec"), {"__name__": "readme"})
    assert "thigh_buttock_fat_may_decrease possible fat_may_decrease p7.s2" in printed.getvalue()
    assert "Over time, fat on the thighs and buttocks may gradually decrease" in printed.getvalue()
    assert "why not thigh_buttock_fat_may_not_decrease?" in printed.getvalue()


def test_the_readme_command_table_names_every_command_and_its_options() -> None:
    from healthkb.cli import parser

    table = (ROOT / "README.md").read_text(encoding="utf-8").split("| command |", 1)[1]
    table = table.split("\n\n", 1)[0]
    commands = next(
        action for action in parser()._actions if isinstance(action, argparse._SubParsersAction)
    )
    for name, sub in commands.choices.items():
        assert f"`healthkb {name}" in table, f"README's command table lacks `healthkb {name}`"
        rows = [line for line in table.splitlines() if f"`healthkb {name}" in line]
        options = {
            flag
            for action in sub._actions
            for flag in action.option_strings
            if flag.startswith("--") and flag != "--help"
        }
        if name in {"audit", "fhir"}:  # groups: their subcommands' options are in their docs
            continue
        missing = {flag for flag in options if not any(flag in row for row in rows)}
        assert not missing, f"README's row for `healthkb {name}` lacks {sorted(missing)}"
