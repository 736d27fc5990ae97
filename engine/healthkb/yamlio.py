"""Safe YAML reading with limits, keeping each value's file:line:column.

Only plain YAML is accepted (no Python tags, no custom tags). Size, nesting depth
and alias expansion are bounded so a hostile file ("billion laughs") fails fast
with a clear problem instead of exhausting memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import KBError, Problem

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 200
MAX_VALUES = 500_000

PathKey = tuple[str | int, ...]

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


@dataclass(frozen=True)
class Located:
    """Plain data read from one YAML file, with the place of every value in it."""

    file: str
    data: Any
    places: dict[PathKey, tuple[int, int]]

    def place(self, path: PathKey) -> tuple[int, int]:
        """Line and column of the value at `path`, or of its nearest enclosing value."""
        key = tuple(path)
        while key:
            if key in self.places:
                return self.places[key]
            key = key[:-1]
        return self.places.get((), (1, 1))

    def problem(self, path: PathKey, code: str, message: str, hint: str = "") -> Problem:
        line, column = self.place(path)
        return Problem(self.file, line, column, code, message, hint)


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while composing the node graph."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Limit(mark, f"more than {MAX_ALIASES} aliases")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _Limit(mark, f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Limit(Exception):
    """A limit on size, nesting or aliases was passed at `mark`."""

    def __init__(self, mark: yaml.Mark, what: str) -> None:
        super().__init__(what)
        self.mark = mark
        self.what = what

    def error(self, file: str) -> KBError:
        return KBError(
            [
                Problem(
                    file,
                    self.mark.line + 1,
                    self.mark.column + 1,
                    "yaml-limit",
                    f"YAML file refused: {self.what}",
                    "write the values out plainly instead of nesting or aliasing them",
                )
            ]
        )


def read_yaml(path: Path, display_name: str) -> Located:
    """Read one YAML document; raise `KBError` with one located problem if it is unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise KBError(
                [
                    Problem(
                        display_name,
                        0,
                        0,
                        "file-too-large",
                        f"file is {size} bytes; the limit is {MAX_FILE_BYTES}",
                        "split the content over several files",
                    )
                ]
            )
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise KBError(
            [Problem(display_name, 0, 0, "not-utf8", f"file is not UTF-8 text: {error.reason}")]
        ) from None
    except OSError as error:
        raise KBError(
            [Problem(display_name, 0, 0, "unreadable", f"cannot read file: {error.strerror}")]
        ) from None
    return parse_yaml(text, display_name)


def parse_yaml(text: str, display_name: str) -> Located:
    """Parse YAML text (one document) into plain data with places."""
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
    except _Limit as limit:
        raise limit.error(display_name) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        message = error.problem or str(error)
        if error.context:
            message = f"{error.context}: {message}"
        raise KBError([Problem(display_name, line, column, "yaml-syntax", message)]) from None
    except yaml.YAMLError as error:
        raise KBError([Problem(display_name, 0, 0, "yaml-syntax", str(error))]) from None
    finally:
        loader.dispose()
    if node is None:
        return Located(display_name, None, {(): (1, 1)})
    _refuse_large_expansion(node, display_name)
    builder = _Builder(display_name, loader)
    data = builder.build(node, ())
    if builder.problems:
        raise KBError(builder.problems)
    return Located(display_name, data, builder.places)


def _refuse_large_expansion(root: Node, file: str) -> None:
    """Refuse, before building anything, a graph whose aliases expand past MAX_VALUES.

    Sizes are memoised per node, so a "billion laughs" file is measured in time
    proportional to its text, not to its expansion.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Limit(node.start_mark, "an alias refers to the value that contains it")
        active.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        sizes[key] = min(total, MAX_VALUES + 1)
        return sizes[key]

    try:
        if size(root) > MAX_VALUES:
            raise _Limit(root.start_mark, f"aliases expand to more than {MAX_VALUES} values")
    except _Limit as limit:
        raise limit.error(file) from None


class _Builder:
    """Turns a composed node graph into plain data, bounding alias expansion."""

    def __init__(self, file: str, loader: _LimitedLoader) -> None:
        self.file = file
        self.loader = loader
        self.places: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def _problem(self, node: Node, code: str, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, code, message, hint)
        )

    def build(self, node: Node, path: PathKey) -> Any:
        self.places.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _STANDARD_TAGS:
            self._problem(
                node,
                "yaml-tag",
                f"tag `{node.tag}` is not allowed",
                "remove the tag; only plain YAML values are accepted",
            )
            return None
        if isinstance(node, ScalarNode):
            try:
                return self.loader.construct_object(node, deep=True)
            except yaml.YAMLError as error:
                self._problem(node, "yaml-value", str(error))
                return None
            except ValueError as error:
                # PyYAML builds dates with datetime.date, which raises on 2025-02-30.
                self._problem(node, "yaml-value", f"`{node.value}` is not a valid value: {error}")
                return None
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._build_mapping(node, path)
        self._problem(node, "yaml-value", "unsupported YAML node")
        return None

    def _build_mapping(self, node: MappingNode, path: PathKey) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(key_node, "yaml-key", "keys must be plain scalars (no merge keys)")
                continue
            key = self.build(key_node, (*path, "<key>"))
            if not isinstance(key, str):
                # YAML 1.1 reads yes/no/on/off as booleans: a key `yes:` is not "yes".
                self._problem(
                    key_node,
                    "yaml-key",
                    f"key `{key_node.value}` is read as {type(key).__name__}, not as a name",
                    f'quote it ("{key_node.value}") or choose another name',
                )
                continue
            if key in result:
                self._problem(
                    key_node,
                    "duplicate-key",
                    f"key `{key}` appears twice in the same mapping",
                    "remove or rename one of them",
                )
                continue
            self.places[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, (*path, key))
        self.places.pop((*path, "<key>"), None)
        return result
