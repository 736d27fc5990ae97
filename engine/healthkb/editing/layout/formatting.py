"""`healthkb fmt`: every YAML file of a KB in one canonical layout, comments kept.

ruamel.yaml reads each file as a round-trip tree (comments, and the style of numbers,
dates and booleans, kept), `yaml_layout` gives it the canonical layout, and the result
is only accepted if the KB's own reader reads it as exactly the same data as the
original: formatting never changes what a file says, so the KB's digest (computed from
the validated content, not from the bytes) is the same before and after. A file that
cannot be read is left as it is, with its located problem.

>>> print(format_text("rules:\\n- id: a\\n  when: {eq: 1, fact: x.y}\\n", "r.yaml"), end="")
rules:
  - id: a
    when: {fact: x.y, eq: 1}
"""

from __future__ import annotations

import difflib
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarfloat import ScalarFloat

from ...errors import KBError, Problem
from ...files.yaml_reader import parse_yaml, read_text
from .yaml_layout import INDENT, lay_out, space_out

KB_FOLDERS = ("kb", "rules")
GENERATED = frozenset({"kb/rules.lock.yaml"})
"""Files another command writes in its own layout (`healthkb release`): left alone."""
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Formatted:
    """One file: its text before, its canonical text (None: it could not be read), and
    the problems that kept it from being formatted."""

    path: Path
    name: str
    before: str
    after: str | None
    problems: tuple[Problem, ...] = ()

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before

    def diff(self) -> str:
        """The change as a unified diff (empty when there is none)."""
        if self.after is None:
            return ""
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            self.name,
            f"{self.name} (formatted)",
        )
        return "".join(lines)


def format_text(text: str, name: str) -> str:
    """`text` in the canonical layout; KBError with the located problem if it cannot be
    read, or (a bug, never expected) if the layout would change what it says."""
    original = parse_yaml(text, name).data
    document = _round_trip().load(text) if text.strip() else None
    if document is None:
        return text
    yaml = _round_trip()
    _exact_floats(document, yaml)
    lay_out(document)
    out = io.StringIO()
    yaml.dump(document, out)
    formatted = space_out(out.getvalue())
    if _typed(parse_yaml(formatted, name).data) != _typed(original):
        raise KBError(
            [
                Problem(
                    name,
                    0,
                    0,
                    "format-changed-meaning",
                    "the canonical layout would read differently from this file; it is left "
                    "as it is",
                    "please report this file: the formatter must never change meaning",
                )
            ]
        )
    return formatted


def format_file(path: Path, name: str) -> Formatted:
    """Read and format one file (nothing is written)."""
    try:
        before = read_text(path, name)
    except KBError as error:
        return Formatted(path, name, "", None, tuple(error.problems))
    try:
        after = format_text(before, name)
    except KBError as error:
        return Formatted(path, name, before, None, tuple(error.problems))
    except YAMLError as error:
        return Formatted(path, name, before, None, (_ruamel_problem(error, name),))
    return Formatted(path, name, before, after)


def yaml_files(path: Path) -> list[Path]:
    """The files `healthkb fmt PATH` formats: PATH itself if it is a file; the YAML files
    under `kb/` and `rules/` if it is a KB's folder; else every YAML file under it.
    Generated files (the release lock) are left out."""
    if not path.is_dir():
        return [path]
    roots = [path / folder for folder in KB_FOLDERS if (path / folder).is_dir()]
    if not (path / "kb" / "kb.yaml").exists():
        roots = [path]
    found = {
        file
        for root in roots
        for file in root.rglob("*")
        if file.suffix in _SUFFIXES and file.is_file()
    }
    return sorted(file for file in found if not _generated(file))


def _generated(file: Path) -> bool:
    return any(file.as_posix().endswith(name) for name in GENERATED)


def write_formatted(files: Iterable[Formatted]) -> None:
    """Write every changed file (an unreadable one is never touched)."""
    for formatted in files:
        if formatted.changed and formatted.after is not None:
            formatted.path.write_text(formatted.after, encoding="utf-8")


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=INDENT, sequence=INDENT + 2, offset=INDENT)
    yaml.width = 1 << 16  # lines are broken by the layout's rules, never by the emitter
    yaml.allow_unicode = True
    return yaml


def _exact_floats(node: Any, yaml: YAML) -> None:
    """Floats ruamel.yaml would write back with other digits (it re-renders long ones
    from their parts) become plain floats, which it writes with all of their digits."""
    children = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in list(children):
        if isinstance(value, dict | list):
            _exact_floats(value, yaml)
        elif isinstance(value, ScalarFloat):
            text = yaml.representer.represent_scalar_float(value).value
            if not math.isfinite(value) or float(text.replace("_", "")) != float(value):
                # Past the round-trip containers' setters, which keep the old form.
                if isinstance(node, CommentedMap):
                    super(CommentedMap, node).__setitem__(key, float(value))
                else:
                    list.__setitem__(node, key, float(value))


def _ruamel_problem(error: YAMLError, name: str) -> Problem:
    mark = error.problem_mark if isinstance(error, MarkedYAMLError) else None
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    return Problem(name, line, column, "yaml-syntax", str(error).splitlines()[0])


def _typed(value: Any) -> Any:
    """Data with each scalar's type beside it: `1`, `1.0` and `true` are not the same."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)
