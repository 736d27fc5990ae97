"""A composed YAML node graph turned into plain data and the place of every value.

Only plain YAML is accepted (no Python tags, no custom tags), nesting is bounded, and
the YAML 1.1 surprises are refused where they stand: a plain number form that YAML 1.2
reads apart (`yaml_numbers.py`), yes/no/on/off, keys that are not names, keys twice.

This runs once per value of every file a KB is made of (some 400,000 values for a
10,000-rule KB), so the common values take a short way: a string with a plain name as
its key, or as a list item, is taken as PyYAML's constructor takes it (its text), with
only the checks that can refuse it; a plain number, boolean or date is constructed once
per text in a file. Everything else goes the general way, `build`, with every check.
Places are kept in the shape of the data (`yaml_places.PlaceTree`).

Its fast paths, and why they give the same answer: docs/performance.md,
"The YAML files at PyYAML's pace".
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import KBError, Problem, shorten
from .yaml_numbers import MAY_START_A_NUMBER, number_form_refused
from .yaml_places import Entry, Marks, PlaceTree

MAX_DEPTH = 64
TOO_DEEP = f"nesting deeper than {MAX_DEPTH} levels"

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
HIDDEN_KEY = "<key>"  # a key of this text keeps no place of its own (as it always has)

STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}

_UNREAD = object()


class Limit(Exception):
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


class Builder:
    """Turns one file's composed node graph into plain data, collecting problems."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.loader = loader
        self.problems: list[Problem] = []
        # Plain scalars other than strings already read in this file, by tag and text.
        self._plain: dict[tuple[str, str], Any] = {}

    def tree(self, root: Node) -> tuple[Any, PlaceTree]:
        """The data of the document at `root` and the place of each of its values.

        Raises `Limit` when it nests deeper than MAX_DEPTH."""
        data, marks = self.build(root, 1)
        mark = root.start_mark
        return data, PlaceTree((mark.line + 1, mark.column + 1), marks)

    def _problem(self, node: Node, code: str, message: str, hint: str = "") -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, code, message, hint)
        )

    def build(self, node: Node, depth: int, key: bool = False) -> tuple[Any, Marks]:
        """The value of `node` (None where it has a problem) and the places inside it."""
        if depth > MAX_DEPTH:
            raise Limit(node.start_mark, TOO_DEEP)
        if node.tag not in STANDARD_TAGS:
            self._problem(
                node,
                "yaml-tag",
                f"tag `{shorten(node.tag)}` is not allowed",
                "remove the tag; only plain YAML values are accepted",
            )
            return None, None
        if isinstance(node, ScalarNode):
            return self._scalar(node, key), None
        if isinstance(node, SequenceNode):
            return self._sequence(node, depth)
        if isinstance(node, MappingNode):
            return self._mapping(node, depth)
        self._problem(node, "yaml-value", "unsupported YAML node")
        return None, None

    def _sequence(self, node: SequenceNode, depth: int) -> tuple[list[Any], list[Entry]]:
        values: list[Any] = []
        marks: list[Entry] = []
        inner = depth + 1
        short = inner <= MAX_DEPTH
        for item in node.value:
            mark = item.start_mark
            if short and type(item) is ScalarNode and item.tag == _STR_TAG:
                value = item.value
                if not item.style and value[:1] in MAY_START_A_NUMBER:
                    value = self._checked_plain(item, value)
                values.append(value)
                marks.append((mark.line + 1, mark.column + 1, None))
            else:
                value, inside = self.build(item, inner)
                values.append(value)
                marks.append((mark.line + 1, mark.column + 1, inside))
        return values, marks

    def _mapping(self, node: MappingNode, depth: int) -> tuple[dict[str, Any], dict[str, Entry]]:
        result: dict[str, Any] = {}
        marks: dict[str, Entry] = {}
        inner = depth + 1
        short = inner <= MAX_DEPTH
        for key_node, value_node in node.value:
            if short and type(key_node) is ScalarNode and key_node.tag == _STR_TAG:
                key = key_node.value
            else:
                key = self._key(key_node, inner)
                if key is None:
                    continue
            if key in result:
                self._problem(
                    key_node,
                    "duplicate-key",
                    f"key `{shorten(key)}` appears twice in the same mapping",
                    "remove or rename one of them",
                )
                continue
            if short and type(value_node) is ScalarNode and value_node.tag == _STR_TAG:
                value = value_node.value
                if not value_node.style and value[:1] in MAY_START_A_NUMBER:
                    value = self._checked_plain(value_node, value)
                inside: Marks = None
            else:
                value, inside = self.build(value_node, inner)
            mark = key_node.start_mark
            if key == HIDDEN_KEY:
                marks[key] = (0, 0, inside)
            else:
                marks[key] = (mark.line + 1, mark.column + 1, inside)
            result[key] = value
        return result, marks

    def _key(self, node: Node, depth: int) -> str | None:
        """The name a key other than a plain string gives, or None (with a problem)."""
        if not isinstance(node, ScalarNode) or node.tag == _MERGE_TAG:
            self._problem(node, "yaml-key", "keys must be plain scalars (no merge keys)")
            return None
        key, _ = self.build(node, depth, key=True)
        if not isinstance(key, str):
            # YAML 1.1 reads yes/no/on/off as booleans: a key `yes:` is not "yes".
            self._problem(
                node,
                "yaml-key",
                f"key `{shorten(node.value)}` is read as {type(key).__name__}, not as a name",
                f'quote it ("{shorten(node.value)}") or choose another name',
            )
            return None
        return key

    def scalar(self, node: ScalarNode) -> Any:
        """The value of a scalar node that is not a key (None where it has a problem)."""
        return self._scalar(node, key=False)

    def _scalar(self, node: ScalarNode, key: bool) -> Any:
        if node.tag == _STR_TAG:
            # What PyYAML's constructor gives a string node, without its dispatch.
            return node.value if key else self._checked_plain(node, node.value)
        plain = not node.style and not key
        if plain:
            value = self._plain.get((node.tag, node.value), _UNREAD)
            if value is not _UNREAD:
                return value
        known = len(self.problems)
        value = self._constructed(node)
        if known == len(self.problems) and not key:
            value = self._checked_plain(node, value)
        if plain and known == len(self.problems):
            self._plain[(node.tag, node.value)] = value
        return value

    def _constructed(self, node: ScalarNode) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self._problem(node, "yaml-value", shorten(str(error), 200))
        except (KeyError, IndexError, AttributeError):
            # An explicit tag PyYAML's constructor does not check the text of:
            # `!!bool x` (KeyError), `!!int ''` or `!!float ''` (IndexError),
            # `!!timestamp x` (AttributeError). A located problem, never a traceback.
            tag = node.tag.removeprefix("tag:yaml.org,2002:")
            self._problem(
                node,
                "yaml-value",
                f"`{shorten(node.value)}` is not a valid value for the tag `!!{tag}`",
                "remove the tag, or write a value of its kind",
            )
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

    def _checked_plain(self, node: ScalarNode, value: Any) -> Any:
        """The value, unless a plain (unquoted) scalar reads as something else than it
        looks (a YAML 1.1 number form, yes/no/on/off)."""
        if node.style:
            return value
        refused = number_form_refused(node.tag, node.value, value)
        if refused is not None:
            self._problem(node, "yaml-value", *refused)
            return None
        if isinstance(value, bool):
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
