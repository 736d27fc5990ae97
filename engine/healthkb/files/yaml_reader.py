"""Safe YAML reading with limits, keeping each value's file:line:column.

Only plain YAML is accepted (no Python tags, no custom tags). Size, nesting depth
and alias expansion are bounded so a hostile file ("billion laughs") fails fast
with a clear problem instead of exhausting memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import KBError, Problem, shorten
from .regular_file import NotRegularFile, open_regular
from .yaml_numbers import number_form_refused
from .yaml_syntax import bad_character, has_hidden_line_break, syntax_problem

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_ALIASES = 200
MAX_VALUES = 500_000

STDIN = "-"
"""The name that stands for standard input where a profile may be piped in."""
STDIN_NAME = "<stdin>"

PathKey = tuple[str | int, ...]
_TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"
_STR_TAG = "tag:yaml.org,2002:str"

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


# libyaml parses about 20x faster than the pure-Python parser (a 10,000-rule KB is
# 40 files); PyYAML falls back to the pure-Python one where libyaml is missing.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Limit(Exception):
    """A limit on size, nesting or aliases was passed at `mark`."""

    def __init__(self, mark: yaml.Mark | None, what: str) -> None:
        super().__init__(what)
        self.mark = mark
        self.what = what

    def error(self, file: str) -> KBError:
        return KBError(
            [
                Problem(
                    file,
                    self.mark.line + 1 if self.mark else 0,
                    self.mark.column + 1 if self.mark else 0,
                    "yaml-limit",
                    f"YAML file refused: {self.what}",
                    "write the values out plainly instead of nesting or aliasing them",
                )
            ]
        )


def read_yaml(path: Path, display_name: str, *, streams: bool = False) -> Located:
    """Read one YAML document; raise `KBError` with one located problem if it is unusable.

    Only regular files are read, unless `streams` is set and the file is standard input:
    a profile may be piped in (`healthkb evaluate -` or `healthkb evaluate /dev/stdin`,
    where `-` is shown as `<stdin>`). Any other named pipe, device or folder is refused
    (`not-a-file`) rather than waited on.
    """
    if streams and str(path) == STDIN:
        display_name = STDIN_NAME
    return parse_yaml(read_text(path, display_name, streams=streams), display_name)


def read_text(path: Path, display_name: str, *, streams: bool = False) -> str:
    """The UTF-8 text of a regular file of at most MAX_FILE_BYTES (or of standard input,
    where `streams` allows it); `KBError` with one located problem otherwise."""
    try:
        raw = _read_file(path, display_name, streams)
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise KBError(
            [
                Problem(
                    display_name,
                    0,
                    0,
                    "not-utf8",
                    f"file is not UTF-8 text: {error.reason}",
                    "save the file as UTF-8 (most editors offer it under Save As or Encoding)",
                )
            ]
        ) from None
    except OSError as error:
        reason = error.strerror
        if isinstance(error, FileNotFoundError) and path.is_symlink():
            reason = f"it is a link to `{os.readlink(path)}`, which does not exist"
        raise KBError(
            [
                Problem(
                    display_name,
                    0,
                    0,
                    "unreadable",
                    f"cannot read file: {reason}",
                    "check that the file exists and that you may read it",
                )
            ]
        ) from None
    return text


def _read_file(path: Path, display_name: str, streams: bool) -> bytes:
    """The bytes of a file of at most MAX_FILE_BYTES; `KBError` for anything else."""
    # `-` is descriptor 0 itself: standard input need not have a name to be read.
    standard = streams and str(path) == STDIN
    try:
        descriptor = os.dup(0) if standard else open_regular(path, stdin=streams)
    except NotRegularFile as refused:
        hint = "only regular files are read: replace it with one, or move it away"
        if streams:
            hint = "give a regular file, or pipe the profile into standard input (`-`)"
        raise KBError(
            [
                Problem(
                    display_name,
                    0,
                    0,
                    "not-a-file",
                    f"`{display_name}` is {refused.kind}, not a regular file",
                    hint,
                )
            ]
        ) from None
    with os.fdopen(descriptor, "rb") as file:
        raw = file.read(MAX_FILE_BYTES + 1)
        size = max(os.fstat(file.fileno()).st_size, len(raw))
    if len(raw) > MAX_FILE_BYTES:
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
    return raw


def parse_yaml(text: str, display_name: str) -> Located:
    """Parse YAML text (one document) into plain data with places."""
    node, loader = _compose(text, display_name)
    if node is None:
        return Located(display_name, None, {(): (1, 1)})
    builder = _Builder(display_name, loader)
    try:
        # Without an anchor there is no alias, so nothing to expand; the builder itself
        # refuses deep nesting. Checking only where needed keeps big KBs fast to load.
        if "&" in text:
            _check_graph(node)
        data = builder.build(node, (), 1)
    except _Limit as limit:
        raise limit.error(display_name) from None
    if builder.problems:
        raise KBError(builder.problems)
    return Located(display_name, data, builder.places)


def _compose(text: str, display_name: str) -> tuple[Node | None, yaml.SafeLoader]:
    """The node graph of one YAML document (and its loader, to construct scalars with).

    Raises `KBError` with one located problem when the text is not usable YAML.
    """
    if has_hidden_line_break(text):
        # Both parsers would read on, counting lines where an editor shows none.
        raise KBError([bad_character(text, display_name)])
    try:
        # The pure-Python loader checks every character as it is created.
        loader = _Loader(text)
    except yaml.reader.ReaderError:
        raise KBError([bad_character(text, display_name)]) from None
    try:
        node: Node | None = loader.get_single_node()
    except RecursionError:
        # The pure-Python parser recurses per level; libyaml stops at 1,000 itself.
        raise _Limit(None, _TOO_DEEP).error(display_name) from None
    except yaml.reader.ReaderError:
        raise KBError([bad_character(text, display_name)]) from None
    except yaml.MarkedYAMLError as error:
        if "maximum nesting depth" in (error.problem or ""):
            mark = error.problem_mark or error.context_mark
            raise _Limit(mark, _TOO_DEEP).error(display_name) from None
        raise KBError([syntax_problem(error, text, display_name, _Loader)]) from None
    except yaml.YAMLError as error:
        hint = "check the YAML near the start of the file (a tab, or an unclosed quote)"
        raise KBError([Problem(display_name, 0, 0, "yaml-syntax", str(error), hint)]) from None
    finally:
        loader.dispose()
    return node, loader


def _check_graph(root: Node) -> None:
    """Refuse, before building anything, a node graph that nests or aliases too much.

    An alias is a second reference to an anchored node, so the graph shows every
    alias. Heights and sizes are memoised per node: a "billion laughs" file is
    measured in time proportional to its text, not to its expansion, and the walk
    never recurses deeper than MAX_DEPTH.
    """
    heights: dict[int, int] = {}
    sizes: dict[int, int] = {}
    active: set[int] = set()
    aliases = 0

    def walk(node: Node, depth: int) -> None:
        nonlocal aliases
        key = id(node)
        if key in active:
            raise _Limit(node.start_mark, "an alias refers to the value that contains it")
        if key in heights:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _Limit(node.start_mark, f"more than {MAX_ALIASES} aliases")
        else:
            if depth > MAX_DEPTH:
                raise _Limit(node.start_mark, _TOO_DEEP)
            active.add(key)
            children = _children(node)
            for child in children:
                walk(child, depth + 1)
            active.discard(key)
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_VALUES + 1)
        if depth + heights[key] - 1 > MAX_DEPTH:
            raise _Limit(node.start_mark, _TOO_DEEP)

    walk(root, 1)
    if sizes[id(root)] > MAX_VALUES:
        raise _Limit(root.start_mark, f"aliases expand to more than {MAX_VALUES} values")


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class _Builder:
    """Turns a composed node graph into plain data, bounding alias expansion."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.places: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def _problem(self, node: Node, code: str, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, code, message, hint)
        )

    def build(self, node: Node, path: PathKey, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Limit(node.start_mark, _TOO_DEEP)
        self.places.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if node.tag not in _STANDARD_TAGS:
            self._problem(
                node,
                "yaml-tag",
                f"tag `{shorten(node.tag)}` is not allowed",
                "remove the tag; only plain YAML values are accepted",
            )
            return None
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._build_mapping(node, path, depth)
        self._problem(node, "yaml-value", "unsupported YAML node")
        return None

    def _scalar(self, node: ScalarNode, path: PathKey) -> Any:
        if node.tag == _STR_TAG:
            # What PyYAML's constructor gives a string node, without its dispatch: most
            # values of a KB are strings (half of a 10,000-rule KB's loading time).
            return self._checked_plain(node, path, node.value)
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self._problem(node, "yaml-value", shorten(str(error), 200))
            return None
        except ValueError as error:
            # PyYAML builds dates with datetime.date, which raises on 2025-02-30, and
            # Python refuses to read an integer of more than 4,300 digits.
            if node.tag == "tag:yaml.org,2002:int":
                self._problem(
                    node,
                    "yaml-value",
                    f"a number of {len(node.value):,} digits is too long to read",
                    "write a number of at most 4,300 digits",
                )
            else:
                self._problem(
                    node, "yaml-value", f"`{shorten(node.value)}` is not a valid value: {error}"
                )
            return None
        return self._checked_plain(node, path, value)

    def _checked_plain(self, node: ScalarNode, path: PathKey, value: Any) -> Any:
        """The value, unless a plain (unquoted) scalar reads as something else than it
        looks (a YAML 1.1 number form, yes/no/on/off)."""
        if not node.style and path[-1:] != ("<key>",):
            refused = number_form_refused(node.tag, node.value, value)
            if refused is not None:
                self._problem(node, "yaml-value", *refused)
                return None
        if isinstance(value, bool) and not node.style and path[-1:] != ("<key>",):
            word = "true" if value else "false"
            if node.value.lower() != word:
                # YAML 1.1 reads yes/no/on/off as booleans: `eq: yes` is not the word "yes".
                self._problem(
                    node,
                    "yaml-value",
                    f"`{node.value}` is read as {word} (YAML reads yes, no, on and off as "
                    "true or false)",
                    f'write {word}, or quote it ("{node.value}") if you mean the word',
                )
                return None
        return value

    def _build_mapping(self, node: MappingNode, path: PathKey, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(key_node, "yaml-key", "keys must be plain scalars (no merge keys)")
                continue
            key = self.build(key_node, (*path, "<key>"), depth + 1)
            if not isinstance(key, str):
                # YAML 1.1 reads yes/no/on/off as booleans: a key `yes:` is not "yes".
                self._problem(
                    key_node,
                    "yaml-key",
                    f"key `{shorten(key_node.value)}` is read as {type(key).__name__}, "
                    "not as a name",
                    f'quote it ("{shorten(key_node.value)}") or choose another name',
                )
                continue
            if key in result:
                self._problem(
                    key_node,
                    "duplicate-key",
                    f"key `{shorten(key)}` appears twice in the same mapping",
                    "remove or rename one of them",
                )
                continue
            self.places[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            result[key] = self.build(value_node, (*path, key), depth + 1)
        self.places.pop((*path, "<key>"), None)
        return result
