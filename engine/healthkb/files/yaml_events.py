"""The common YAML file read straight from the parser's events: values and places, no nodes.

`yaml_reader.parse_yaml` reads every file of a KB. The general way (composing PyYAML's
node graph, then `yaml_builder.Builder` walking it) makes a Python node and two marks
per value, then a second pass over them: two thirds of reading a 10,000-rule KB. Most
files are plain YAML, though: mappings and lists of plain, quoted or block scalars, with
no anchor, alias, tag or problem. This module reads such a file in one pass over the
parser's events (libyaml's, through PyYAML), building the data and its `PlaceTree` as
the events come.

It gives up, returning None, at the first thing it does not take the short way: an
anchor, an alias, a tag, a key that is not read as a name (`1:`, `yes:`, `<<:`, a
list), a key twice, nesting near `MAX_DEPTH`, a scalar the checks refuse (yes/no, a
YAML 1.1 number form, an impossible date), a syntax error, a scalar or nothing as the
whole document, a second document. The reader then reads the file the general way,
which reports every problem as it always has: this path never reports one, so what a
file reads as and what is said about it come from one place. Where it succeeds, it
gives the values and places the general way gives: tests/files/test_yaml_events.py
holds the two to each other on every YAML file of the repository, a generated KB,
mutations of them and hostile texts.

Its fast paths, and why they give the same answer: docs/performance.md,
"Reading YAML from the parser's events".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from sys import intern
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import Node, ScalarNode

from .yaml_builder import HIDDEN_KEY, MAX_DEPTH, Builder
from .yaml_numbers import MAY_START_A_NUMBER, number_form_refused
from .yaml_places import Marks, PlaceTree

_STR_TAG = "tag:yaml.org,2002:str"
_INT_TAG = "tag:yaml.org,2002:int"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})")
"""A whole number as Python's `int` reads it, which PyYAML reads alike (most of a KB's
numbers): no leading zero (octal), `_`, `:` (base 60), `0b` or `0x`, nor so many
digits that Python refuses it."""
_PLAIN = (True, False)  # the `implicit` of an untagged plain scalar
_ABSENT = object()


class Unusual(Exception):
    """The file needs the general way (see the module's docstring)."""


def read_plain_events(loader: yaml.SafeLoader, file: str) -> tuple[Any, PlaceTree] | None:
    """The data of the text `loader` is over and the place of each of its values, or
    None where the file must be read the general way. `loader` is fresh; it is used up."""
    try:
        return _EventReader(loader, file).document()
    except (Unusual, yaml.YAMLError):
        return None
    finally:
        loader.dispose()


class _EventReader:
    """One pass over one document's events (one reader per file)."""

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        # PyYAML's parser has no type annotations: typed here, once.
        self.next_event: Callable[[], Any] = loader.get_event
        self.scalars = PlainScalars(loader, file)

    def document(self) -> tuple[Any, PlaceTree]:
        get = self.next_event
        get()  # the stream's start
        if type(get()) is not DocumentStartEvent:
            raise Unusual  # an empty file: nothing to read
        start: Any = get()
        if type(start) is not MappingStartEvent and type(start) is not SequenceStartEvent:
            raise Unusual  # a scalar or an alias as the whole document
        data, marks = self.tree(start)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            raise Unusual  # a second document: the general way names it
        mark: Any = start.start_mark
        return data, PlaceTree((mark.line + 1, mark.column + 1), marks)

    def tree(self, start: Any) -> tuple[Any, Marks]:
        """A whole mapping or list from its start event, the ones inside it included.

        One loop with an explicit stack rather than a call per value: this runs some
        400,000 times for a 10,000-rule KB. A mapping's value is placed where its key
        is, a list item where it starts, as `Builder` places them.
        """
        get = self.next_event
        plain_values = self.scalars.values
        plain_keys = self.scalars.names
        check_name = self.scalars.check_name
        plain_value = self.scalars.plain_value
        stack: list[tuple[Any, Any, bool]] = []
        in_mapping = type(start) is MappingStartEvent
        data: Any = {} if in_mapping else []
        marks: Any = {} if in_mapping else []
        root = data, marks
        key: Any = _ABSENT
        line = column = 0
        if start.anchor is not None or start.tag is not None:
            raise Unusual
        while True:
            event = get()
            kind = type(event)
            if kind is ScalarEvent:
                text = event.value
                if event.anchor is not None or event.tag is not None:
                    raise Unusual  # the general way reads anchors, aliases and tags
                if in_mapping and key is _ABSENT:
                    if not event.style and text not in plain_keys:
                        check_name(text)
                    if text in data:
                        raise Unusual  # a key twice
                    key = intern(text)  # as yaml_lines does, for pydantic
                    if text == HIDDEN_KEY:
                        line = column = 0
                    else:
                        mark = event.start_mark
                        line, column = mark.line + 1, mark.column + 1
                    continue
                if event.style:
                    value = text  # quoted or a block: the text as written
                else:
                    value = plain_values.get(text, _ABSENT)
                    if value is _ABSENT:
                        value = plain_value(text, event.start_mark)
                if in_mapping:
                    data[key] = value
                    marks[key] = (line, column, None)
                    key = _ABSENT
                else:
                    mark = event.start_mark
                    data.append(value)
                    marks.append((mark.line + 1, mark.column + 1, None))
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None:
                    raise Unusual
                if in_mapping and key is _ABSENT:
                    raise Unusual  # a mapping or a list as a key
                if len(stack) >= MAX_DEPTH - 2:
                    raise Unusual  # nesting near the limit: the general way says where
                inner: Any = {} if kind is MappingStartEvent else []
                inner_marks: Any = {} if kind is MappingStartEvent else []
                if in_mapping:
                    data[key] = inner
                    marks[key] = (line, column, inner_marks)
                else:
                    mark = event.start_mark
                    data.append(inner)
                    marks.append((mark.line + 1, mark.column + 1, inner_marks))
                stack.append((data, marks, in_mapping))
                data, marks, in_mapping = inner, inner_marks, kind is MappingStartEvent
                key = _ABSENT
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                if not stack:
                    return root
                data, marks, in_mapping = stack.pop()
                key = _ABSENT
            else:
                raise Unusual  # an alias


class PlainScalars:
    """The plain (unquoted) scalars of one file read as `Builder` reads them, once per
    text; `Unusual` where a check refuses one (the general way then says why).

    A plain scalar's reading depends on its text alone (`yaml_reader` takes the short
    ways only where no path resolver is set), so each text is resolved once per file.
    """

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        # PyYAML's resolver has no type annotations: typed here, once.
        self.resolve: Callable[[type[Node], str, tuple[bool, bool]], str] = loader.resolve
        self.builder = Builder(file, loader)
        self.values: dict[str, Any] = {}
        """Plain texts already read as values in this file, and their data."""
        self.names: set[str] = set()
        """Plain texts already read as keys in this file (each a name)."""
        firsts: dict[Any, Any] = loader.yaml_implicit_resolvers
        self.resolved_first: str | None = (
            None if None in firsts else "".join(sorted(set(firsts) - {""})) + MAY_START_A_NUMBER
        )
        """The first characters of the texts that need a look; None: every text does.
        A text starting with any other character is a string, as written (no implicit
        tag starts with it, and no refused number form either)."""

    def check_name(self, text: str) -> None:
        """Remember a plain key read as a name; give up on one read as anything else."""
        if self.resolve(ScalarNode, text, _PLAIN) != _STR_TAG:
            raise Unusual  # `1:`, `yes:`, `~:`, `<<:`: the general way says why
        self.names.add(text)

    def plain_value(self, text: str, mark: Any) -> Any:
        """A plain scalar's data as `Builder` reads it (`mark` is where it starts),
        remembered by its text; give up where the checks refuse it."""
        tag = self.resolve(ScalarNode, text, _PLAIN)
        if tag == _INT_TAG and _DECIMAL.fullmatch(text):
            value: Any = int(text)  # as PyYAML's constructor reads it; no check refuses it
        elif tag == _STR_TAG:
            if text[:1] in MAY_START_A_NUMBER and number_form_refused(tag, text, text):
                raise Unusual
            value = text
        else:
            value = self.builder.scalar(ScalarNode(tag, text, mark, mark, None))
            if self.builder.problems:
                raise Unusual
        self.values[text] = value
        return value
