"""The docs cannot rot: their snippets run, and the outputs they show are the real ones.

- Every ```python block of a document runs, in order, in one namespace per document,
  from the repository root. A python block followed by an ```output block must print
  exactly that output.
- A fenced block preceded by `<!-- cli: healthkb ARGS -->` must be exactly what that
  command prints (KB digests aside, so an edit of the KB does not fail every doc).
- The JSON shape shown in docs/api.md has the keys of a real result.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

import healthkb
from healthkb.cli import main

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


@pytest.mark.parametrize("doc", ["api.md", "auditors.md"])
def test_python_snippets_run_and_print_what_the_doc_shows(doc: str) -> None:
    steps = python_steps(doc)
    assert steps, f"docs/{doc} has no python blocks"
    namespace: dict[str, Any] = {"__name__": f"docs_{doc.replace('.', '_')}"}
    with in_root():
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
