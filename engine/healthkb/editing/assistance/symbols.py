"""Where each id of a KB is defined and used: rules, conclusions, facts, attributes, sources.

For editors' tools (the language server's go to definition and find references). It
reads YAML texts as they are in an editor, half-typed ones included: a file that does
not parse gives no symbols (its problem is validate's to report), never an error.

>>> index = SymbolIndex.build({"rules/a.yaml": "rules:\\n  - id: r\\n    then: {conclude: c}\\n"})
>>> [(s.kind, s.name, s.range.start) for s in index.occurrences]
[('rule', 'r', (1, 8)), ('conclusion', 'c', (2, 21))]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KINDS = ("rule", "conclusion", "fact", "attribute", "source")
FACT_SECTIONS = ("input", "derived", "background")

# List items that name conclusions or rules, by the key that holds the list.
_CONCLUSION_LISTS = frozenset({"excludes", "about", "conclusions", "no_conclusions"})
_RULE_LISTS = frozenset({"fired_rules"})

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
PathKey = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Range:
    """A span of one file: (line, column) of its start and of its end, 0-based, end
    exclusive (as the Language Server Protocol counts)."""

    start: tuple[int, int]
    end: tuple[int, int]

    def holds(self, line: int, column: int) -> bool:
        return self.start <= (line, column) <= self.end

    @property
    def width(self) -> tuple[int, int]:
        return (self.end[0] - self.start[0], self.end[1] - self.start[1])


@dataclass(frozen=True, order=True)
class Occurrence:
    """One id written in a file: where it is defined, or where it is used."""

    file: str
    range: Range
    kind: str
    name: str
    definition: bool


@dataclass(frozen=True)
class SymbolIndex:
    """Every occurrence of every id in a set of files."""

    occurrences: tuple[Occurrence, ...]

    @classmethod
    def build(cls, texts: dict[str, str]) -> SymbolIndex:
        """Index `texts` (file name relative to the KB's root -> its text)."""
        found: list[Occurrence] = []
        for name, text in sorted(texts.items()):
            found += occurrences_in(name, text)
        return cls(tuple(sorted(found)))

    def at(self, file: str, line: int, column: int) -> Occurrence | None:
        """The narrowest occurrence at a place (a fact inside `fact: running.intensity`
        when the place is on `running`, the attribute otherwise)."""
        here = [o for o in self.occurrences if o.file == file and o.range.holds(line, column)]
        return min(here, key=lambda o: o.range.width, default=None)

    def definitions(self, kind: str, name: str) -> list[Occurrence]:
        return [o for o in self.occurrences if o.definition and (o.kind, o.name) == (kind, name)]

    def references(self, kind: str, name: str, include_definition: bool) -> list[Occurrence]:
        return [
            o
            for o in self.occurrences
            if (o.kind, o.name) == (kind, name) and (include_definition or not o.definition)
        ]

    def names(self, kind: str) -> list[str]:
        """Every defined id of a kind, sorted."""
        return sorted({o.name for o in self.occurrences if o.definition and o.kind == kind})


def occurrences_in(file: str, text: str) -> list[Occurrence]:
    """The ids defined and used in one file (none if it does not parse)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    if root is None:
        return []
    return list(_Walker(file).walk(root, ()))


class _Walker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.folder = file.split("/", 1)[0]

    def walk(self, node: Node, path: PathKey) -> Iterator[Occurrence]:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if not isinstance(key, ScalarNode):
                    continue
                yield from self._key(key, (*path, key.value), node)
                yield from self._value(value, (*path, key.value), node)
                yield from self.walk(value, (*path, key.value))
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                if isinstance(item, ScalarNode):
                    yield from self._list_item(item, path)
                yield from self.walk(item, (*path, index))

    def _occurrence(
        self, node: ScalarNode, kind: str, name: str, definition: bool = False, length: int = 0
    ) -> Occurrence:
        """`name` written at `node` (its first `length` characters, if given)."""
        quoted = 1 if node.style in ("'", '"') else 0
        line, column = node.start_mark.line, node.start_mark.column + quoted
        end = column + (length or len(str(node.value)))
        return Occurrence(self.file, Range((line, column), (line, end)), kind, name, definition)

    def _key(self, key: ScalarNode, path: PathKey, parent: MappingNode) -> Iterator[Occurrence]:
        name = str(key.value)
        if self.file == "kb/facts.yaml":
            if len(path) == 2 and path[0] in FACT_SECTIONS:
                yield self._occurrence(key, "fact", name, definition=True)
            if len(path) == 4 and path[0] in FACT_SECTIONS and path[2] == "attributes":
                yield self._occurrence(key, "attribute", f"{path[1]}.{name}", definition=True)
            return
        if path[-2:-1] == ("values",):
            fact = _scalar_of(parent, "fact")
            if fact is not None:
                yield self._occurrence(key, "attribute", f"{fact}.{name}")
        profile = _profile_depth(self.file, path)
        if profile == 1:
            yield self._occurrence(key, "fact", name)
        elif profile == 2:
            yield self._occurrence(key, "attribute", f"{path[-2]}.{name}")

    def _value(self, value: Node, path: PathKey, parent: MappingNode) -> Iterator[Occurrence]:
        if not isinstance(value, ScalarNode) or not isinstance(value.value, str):
            return
        key, text = path[-1], value.value
        if key == "id" and len(path) == 3 and path[0] == "rules" and self.folder == "rules":
            yield self._occurrence(value, "rule", text, definition=True)
        elif key == "id" and len(path) == 3 and path[0] == "conclusions":
            if self.file == "kb/conclusions.yaml":
                yield self._occurrence(value, "conclusion", text, definition=True)
        elif key == "id" and path == ("id",) and self.file.startswith("kb/sources/"):
            yield self._occurrence(value, "source", text, definition=True)
        elif key in ("fact", "attribute") and text:
            yield from self._fact_path(value, text)
        elif key == "conclude":
            yield self._occurrence(value, "conclusion", text)
        elif key == "source" and _in_citation(path):
            yield self._occurrence(value, "source", text)

    def _fact_path(self, node: ScalarNode, text: str) -> Iterator[Occurrence]:
        fact, _, attribute = text.partition(".")
        yield self._occurrence(node, "fact", fact, length=len(fact))
        if attribute:
            yield self._occurrence(node, "attribute", text)

    def _list_item(self, item: ScalarNode, path: PathKey) -> Iterator[Occurrence]:
        if not path or not isinstance(item.value, str) or not item.value:
            return
        if path[-1] in _CONCLUSION_LISTS:
            yield self._occurrence(item, "conclusion", item.value)
        elif path[-1] in _RULE_LISTS:
            yield self._occurrence(item, "rule", item.value)


def _scalar_of(mapping: MappingNode, key: str) -> str | None:
    for key_node, value in mapping.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return str(value.value) if isinstance(value, ScalarNode) else None
    return None


def _in_citation(path: PathKey) -> bool:
    """`source:` inside a `because` list (not a FHIR code's `system`)."""
    return len(path) >= 3 and path[-3] == "because"


def _profile_depth(file: str, path: PathKey) -> int:
    """1 for a fact's key in a profile, 2 for an attribute's, else 0."""
    if file.startswith("kb/examples/"):
        return len(path)
    if file.startswith("kb/tests/") and len(path) >= 4 and path[2] == "profile":
        return len(path) - 3
    return 0
