"""Safe YAML reading with limits, keeping each value's file:line:column.

Only plain YAML is accepted (no Python tags, no custom tags). Size, nesting depth
and alias expansion are bounded so a hostile file ("billion laughs") fails fast
with a clear problem instead of exhausting memory.

Its fast paths, and why they give the same answer: docs/performance.md, "Reading YAML".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import KBError, Problem
from .regular_file import NotRegularFile, open_regular
from .yaml_builder import MAX_DEPTH, TOO_DEEP, Builder, Limit
from .yaml_events import PlainScalars, read_plain_events
from .yaml_lines import read_block_lines
from .yaml_places import PathKey, Place, PlaceTree
from .yaml_syntax import bad_character, has_hidden_line_break, syntax_problem

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_ALIASES = 200
MAX_VALUES = 500_000

STDIN = "-"
"""The name that stands for standard input where a profile may be piped in."""
STDIN_NAME = "<stdin>"

__all__ = [
    "STDIN",
    "STDIN_NAME",
    "Located",
    "PathKey",
    "parse_yaml",
    "read_text",
    "read_yaml",
]


@dataclass(frozen=True)
class Located:
    """Plain data read from one YAML file, with the place of every value in it."""

    file: str
    data: Any
    places: Mapping[PathKey, Place]
    """Line and column of each value by its path (a `PlaceTree` for a YAML file)."""

    def place(self, path: PathKey) -> Place:
        """Line and column of the value at `path`, or of its nearest enclosing value."""
        key = tuple(path)
        if isinstance(self.places, PlaceTree):
            return self.places.nearest(key) or (1, 1)
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


class _TagsOnce(yaml.resolver.Resolver):
    """Works out the tag of a plain scalar once per text of a file, not once per value.

    PyYAML's resolver tries the implicit tags' patterns on every plain scalar, and asks
    on every node whether a path resolver applies (a tenth of reading a KB). healthkb
    adds no path resolvers, so a tag depends on the text alone, and a KB repeats its
    texts: fact names, `true`, `1`, `high`.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]  # the loader's own __init__
        self._tags: dict[str, str] = {}

    def resolve(self, kind: type[Node], value: Any, implicit: Any) -> str:
        if kind is ScalarNode:
            if not implicit[0]:  # quoted, or tagged `!`: PyYAML's answer is then a string
                return self.DEFAULT_SCALAR_TAG
            tag = self._tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                self._tags[value] = tag
            return tag
        # A sequence or a mapping: without path resolvers, the kind's own tag.
        return self.DEFAULT_SEQUENCE_TAG if kind is SequenceNode else self.DEFAULT_MAPPING_TAG

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Nothing to follow: there are no path resolvers (PyYAML's own returns then)."""

    def ascend_resolver(self) -> None:
        """Nothing to follow, as in `descend_resolver`."""


def _tags_once(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    made: type[yaml.SafeLoader] = type(f"{loader.__name__}TagsOnce", (_TagsOnce, loader), {})
    return made


# Both loaders healthkb may read with (the tests read with each), made once.
_TAGS_ONCE = {loader: _tags_once(loader) for loader in (yaml.SafeLoader, _Loader)}


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
    if not has_hidden_line_break(text):
        read = _read_plain(text, display_name)
        if read is not None:
            return Located(display_name, *read)
    return parse_yaml_generally(text, display_name)


def _read_plain(text: str, display_name: str) -> tuple[Any, PlaceTree] | None:
    """The common file a short way, or None for the general way: line by line
    (`yaml_lines.py`) where the file is laid out as `yaml.safe_dump` lays it out, else
    from the parser's events (`yaml_events.py`)."""
    if _Loader.yaml_path_resolvers:
        return None  # the short ways resolve a plain scalar by its text alone
    read = _read_by_lines(text, display_name)
    return read if read is not None else _read_by_events(text, display_name)


def _read_by_lines(text: str, display_name: str) -> tuple[Any, PlaceTree] | None:
    resolving = _quick_loader()("")  # resolves and makes plain scalars, reads nothing
    try:
        return read_block_lines(text, PlainScalars(resolving, display_name))
    finally:
        resolving.dispose()


def _read_by_events(text: str, display_name: str) -> tuple[Any, PlaceTree] | None:
    try:
        loader = _quick_loader()(text)
    except yaml.YAMLError:  # the pure-Python reader checks every character first
        return None
    return read_plain_events(loader, display_name)


def _quick_loader() -> type[yaml.SafeLoader]:
    # (Were a path resolver ever added to PyYAML's, a tag would depend on the path.)
    return _TAGS_ONCE.get(_Loader, _Loader) if not _Loader.yaml_path_resolvers else _Loader


def parse_yaml_generally(text: str, display_name: str) -> Located:
    """`parse_yaml` the general way: the node graph, then `Builder` (every problem is
    reported from here; `parse_yaml` takes the short way only where there is none)."""
    node, loader = _compose(text, display_name)
    if node is None:
        return Located(display_name, None, {(): (1, 1)})
    builder = Builder(display_name, loader)
    try:
        # Without an anchor there is no alias, so nothing to expand; the builder itself
        # refuses deep nesting. Checking only where needed keeps big KBs fast to load.
        if "&" in text:
            _check_graph(node)
        data, places = builder.tree(node)
    except Limit as limit:
        raise limit.error(display_name) from None
    if builder.problems:
        raise KBError(builder.problems)
    return Located(display_name, data, places)


def _compose(text: str, display_name: str) -> tuple[Node | None, yaml.SafeLoader]:
    """The node graph of one YAML document (and its loader, to construct scalars with).

    Raises `KBError` with one located problem when the text is not usable YAML.
    """
    if has_hidden_line_break(text):
        # Both parsers would read on, counting lines where an editor shows none.
        raise KBError([bad_character(text, display_name)])
    try:
        # The pure-Python loader checks every character as it is created.
        loader = _quick_loader()(text)
    except yaml.reader.ReaderError:
        raise KBError([bad_character(text, display_name)]) from None
    try:
        node: Node | None = loader.get_single_node()
    except RecursionError:
        # The pure-Python parser recurses per level; libyaml stops at 1,000 itself.
        raise Limit(None, TOO_DEEP).error(display_name) from None
    except yaml.reader.ReaderError:
        raise KBError([bad_character(text, display_name)]) from None
    except yaml.MarkedYAMLError as error:
        if "maximum nesting depth" in (error.problem or ""):
            mark = error.problem_mark or error.context_mark
            raise Limit(mark, TOO_DEEP).error(display_name) from None
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
            raise Limit(node.start_mark, "an alias refers to the value that contains it")
        if key in heights:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise Limit(node.start_mark, f"more than {MAX_ALIASES} aliases")
        else:
            if depth > MAX_DEPTH:
                raise Limit(node.start_mark, TOO_DEEP)
            active.add(key)
            children = _children(node)
            for child in children:
                walk(child, depth + 1)
            active.discard(key)
            heights[key] = 1 + max((heights[id(c)] for c in children), default=0)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_VALUES + 1)
        if depth + heights[key] - 1 > MAX_DEPTH:
            raise Limit(node.start_mark, TOO_DEEP)

    walk(root, 1)
    if sizes[id(root)] > MAX_VALUES:
        raise Limit(root.start_mark, f"aliases expand to more than {MAX_VALUES} values")


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []
