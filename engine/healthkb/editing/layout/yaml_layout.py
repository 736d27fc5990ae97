"""The canonical layout of a KB's YAML: a round-trip tree (ruamel.yaml) laid out in place.

The rules, all of which depend on the data and never on how it was written before, so
that formatting twice gives what formatting once gave:

- **Key order**: the mappings of the KB language (a rule, a conclusion, a citation, a
  condition, a test case, ...) list their keys in the order docs/editors.md uses
  (`id`, `version`, `title`, ...); keys the editor named (facts, attributes, a profile's
  answers) keep their order, since that order is shown to people (the Questionnaire).
  A mapping with a comment on a line of its own among its keys is left in its order:
  the comment belongs where the editor put it (a comment at the end of a key's line
  moves with the key).
- **Block or flow**: a collection is written in flow style (`{fact: a, eq: 1}`,
  `[low, high]`) when it holds only scalars or such small collections, no prose, no
  comment, and fits on its line; a list of mappings (conditions, citations, test
  cases) is always a block, one item a line.
- **Scalars**: quoted passages (`quote:`) in double quotes, as they were copied from the
  source; text with line breaks as a literal block (`|-`); prose that does not fit on
  its line (a statement, a description, an interpretation, a reason) folded (`>-`) at
  the line width; any other string plain when YAML reads it back as the same string,
  else quoted. Numbers, dates and booleans are written as the editor wrote them.
- **Blank lines**: one between the items of a KB's lists (`rules`, `conclusions`,
  `silences`, `cases`); elsewhere a run of blank lines becomes one, and none are kept
  inside a collection written in flow style or at the end of the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    ScalarString,
    SingleQuotedScalarString,
)

LINE_WIDTH = 100
INDENT = 2
"""A mapping's keys two columns in; a list's `- ` two columns in from its key."""

# (keys that identify the shape, the shape's keys in their canonical order)
_SHAPES: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (
        frozenset({"when", "then"}),
        (
            "id",
            "version",
            "title",
            "status",
            "description",
            "when",
            "then",
            "because",
            "departures",
        ),
    ),
    (frozenset({"about", "when"}), ("id", "about", "when", "reason", "because")),
    (
        frozenset({"certainty", "statement"}),
        ("id", "version", "kind", "certainty", "statement", "because", "excludes"),
    ),
    (frozenset({"source", "quote"}), ("source", "quote", "interpretation")),
    (frozenset({"quote", "reason"}), ("quote", "reason")),
    (frozenset({"profile", "expect"}), ("name", "description", "profile", "expect")),
    (frozenset({"date", "changes"}), ("version", "date", "changes")),
    (
        frozenset({"released", "changelog"}),
        ("id", "title", "version", "released", "description", "changelog"),
    ),
    (
        frozenset({"text", "published"}),
        (
            "id",
            "version",
            "title",
            "publisher",
            "author",
            "published",
            "language",
            "url",
            "text",
            "left_out",
        ),
    ),
    (frozenset({"attributes"}), ("version", "description", "attributes", "values", "because")),
    (
        frozenset({"type", "description"}),
        ("type", "values", "min", "max", "unit", "single_valued", "description"),
    ),
)
_CONDITION_FIRST = "fact"
"""A condition (`{fact: a, eq: 1}`) or a derived fact names its fact first."""

_PROSE_KEYS = frozenset(
    {
        "title",
        "description",
        "statement",
        "interpretation",
        "reason",
        "text",
        "display",
        "disclaimer",
    }
)
_QUOTE_KEY = "quote"
_SENTENCE_LISTS = frozenset({"changes"})
"""Lists of sentences (a changelog entry's changes): one a line, as `release` writes them."""
_ITEM_LISTS = frozenset({"rules", "conclusions", "silences", "cases"})
_MAX_FLOW_DEPTH = 2

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def lay_out(document: Any) -> None:
    """Give a round-trip tree (as ruamel.yaml loads it) the canonical layout, in place."""
    if isinstance(document, CommentedMap):
        _mapping(document, 0, 0, top=True)
    elif isinstance(document, CommentedSeq):
        _sequence(document, 0, 0, top=True)


def _mapping(node: CommentedMap, column: int, prefix: int, top: bool = False) -> None:
    """Lay out a mapping whose keys are at `column`; in flow style it would start at
    `prefix` (the width of what precedes it on its line)."""
    _order_keys(node)
    for key in list(node):
        value = node[key]
        value_prefix = column + len(str(key)) + 2
        if isinstance(value, CommentedMap):
            _mapping(value, column + INDENT, value_prefix)
        elif isinstance(value, CommentedSeq):
            items_block = column == 0 and key in _ITEM_LISTS
            _sequence(value, column + INDENT, value_prefix, items_block=items_block)
            if key in _SENTENCE_LISTS:
                value.fa.set_block_style()
        elif isinstance(value, str):
            # Past CommentedMap's own setter, which would keep the old quoting style.
            super(CommentedMap, node).__setitem__(
                key, _string(value, str(key), value_prefix, column + INDENT)
            )
    _choose_style(node, prefix, top)


def _sequence(
    node: CommentedSeq, column: int, prefix: int, top: bool = False, items_block: bool = False
) -> None:
    """Lay out a list whose `- ` are at `column` (an item's keys at `column + 2`); the
    items of a KB's lists (`rules`, `cases`, ...) are blocks, however short."""
    for index, value in enumerate(node):
        if isinstance(value, CommentedMap):
            _mapping(value, column + 2, column + 2, top=items_block)
        elif isinstance(value, CommentedSeq):
            _sequence(value, column + 2 + INDENT, column + 2)
        elif isinstance(value, str):
            list.__setitem__(node, index, _string(value, "", column + 2, column + 2))
    _choose_style(node, prefix, top)


def _order_keys(node: CommentedMap) -> None:
    keys = list(node)
    order = _canonical_order(keys)
    if order == keys or not _comments_move_with_keys(node):
        return
    comments = dict(node.ca.items)
    values = [(key, node.pop(key)) for key in keys]
    by_key = dict(values)
    for key in order:
        node[key] = by_key[key]
    node.ca.items.clear()
    node.ca.items.update(comments)


def _canonical_order(keys: list[Any]) -> list[Any]:
    present = set(keys)
    for markers, order in _SHAPES:
        if markers <= present and present <= set(order):
            return [key for key in order if key in present]
    if _CONDITION_FIRST in present:
        return [_CONDITION_FIRST, *(key for key in keys if key != _CONDITION_FIRST)]
    return keys


def _comments_move_with_keys(node: CommentedMap) -> bool:
    """Whether every comment in the mapping sits at the end of its key's line (so it moves
    with the key); a comment on a line of its own stays where the editor put it."""
    if "#" in _token_text([node.ca.comment]):
        return False
    return all("\n" not in _token_text([tokens]).strip() for tokens in node.ca.items.values())


def _has_comment(node: CommentedMap | CommentedSeq) -> bool:
    """Whether a comment (not merely a blank line) is attached inside the collection."""
    tokens: list[Any] = [node.ca.comment, node.ca.end]
    tokens += list(node.ca.items.values())
    return "#" in _token_text(tokens)


def _token_text(tokens: Iterable[Any]) -> str:
    parts = []
    for token in tokens:
        if token is None:
            continue
        if isinstance(token, list):
            parts.append(_token_text(token))
        elif hasattr(token, "value"):
            parts.append(str(token.value))
    return "".join(parts)


def _choose_style(node: CommentedMap | CommentedSeq, prefix: int, top: bool) -> None:
    flow = not top and (
        len(node) == 0
        or (
            _flow_depth(node) <= _MAX_FLOW_DEPTH
            and not _introduces_collection(node)
            and prefix + len(_flow_text(node)) <= LINE_WIDTH
        )
    )
    if flow:
        _quote_for_flow(node)
        node.fa.set_flow_style()
        # Only blank lines can be attached here (a comment keeps it a block): inside
        # braces they would split the collection over lines.
        node.ca.items.clear()
    else:
        node.fa.set_block_style()


def _quote_for_flow(node: CommentedMap | CommentedSeq) -> None:
    """Quote the strings that would read differently between braces (`?x`, `a, b`)."""
    if isinstance(node, CommentedMap):
        for key, value in list(node.items()):
            if isinstance(value, str) and not _reads_back_plain(value, flow=True):
                super(CommentedMap, node).__setitem__(key, _quoted(value))
    else:
        for index, value in enumerate(node):
            if isinstance(value, str) and not _reads_back_plain(value, flow=True):
                list.__setitem__(node, index, _quoted(value))


def _introduces_collection(node: CommentedMap | CommentedSeq) -> bool:
    """A mapping of one key holding a collection reads best as a block: `not: {...}`,
    `running: {...}` under `profile:`, `derive: {...}` under `then:`."""
    if not isinstance(node, CommentedMap) or len(node) != 1:
        return False
    return isinstance(next(iter(node.values())), CommentedMap | CommentedSeq)


def _flow_depth(node: Any) -> int:
    """How deep a collection nests if written in flow style; a large number if it may not."""
    if isinstance(node, CommentedMap):
        if _has_comment(node) or any(_is_prose(key, value) for key, value in node.items()):
            return _MAX_FLOW_DEPTH + 1
        children = list(node.values())
    elif isinstance(node, CommentedSeq):
        if _has_comment(node) or any(isinstance(item, CommentedMap) for item in node):
            return _MAX_FLOW_DEPTH + 1
        children = list(node)
    else:
        return 0
    return 1 + max((_flow_depth(child) for child in children), default=0)


def _is_prose(key: Any, value: Any) -> bool:
    return key in _PROSE_KEYS or key == _QUOTE_KEY or (isinstance(value, str) and "\n" in value)


def _flow_text(node: Any) -> str:
    """The collection as flow YAML would show it (close enough to measure a line)."""
    if isinstance(node, CommentedMap):
        return "{" + ", ".join(f"{key}: {_flow_text(value)}" for key, value in node.items()) + "}"
    if isinstance(node, CommentedSeq):
        return "[" + ", ".join(_flow_text(item) for item in node) + "]"
    if isinstance(node, bool):
        return "true" if node else "false"
    if node is None:
        return "null"
    if isinstance(node, str):
        return node if _reads_back_plain(node, flow=True) else repr(node)
    return str(node)


def _string(value: str, key: str, prefix: int, content_column: int) -> str:
    """The scalar style of a string value, by what it holds and where it is."""
    if "\n" in value:
        style = LiteralScalarString if _literal_safe(value) else DoubleQuotedScalarString
        return _styled(style, value)
    if key == _QUOTE_KEY:
        return _styled(DoubleQuotedScalarString, value)
    if key in _PROSE_KEYS and prefix + len(value) > LINE_WIDTH and _foldable(value):
        return _folded(value, LINE_WIDTH - content_column)
    if not isinstance(value, ScalarString):
        return value  # written plain, and YAML read it as a string: it stays plain
    if _reads_back_plain(value, flow=False):
        return str(value)
    return _quoted(value)


def _quoted(value: str) -> str:
    if isinstance(value, DoubleQuotedScalarString | SingleQuotedScalarString):
        return value
    if "'" in value:
        return _styled(DoubleQuotedScalarString, value)
    return _styled(SingleQuotedScalarString, value)


def _styled(style: type[ScalarString], value: str) -> str:
    styled: str = style(value)
    return styled


def _literal_safe(value: str) -> bool:
    lines = value.split("\n")
    return not any(line != line.rstrip() or "\t" in line for line in lines) and bool(
        lines[0].strip()
    )


def _foldable(value: str) -> bool:
    return value == value.strip() and "  " not in value and "\t" not in value and bool(value)


def _folded(value: str, width: int) -> FoldedScalarString:
    folded: FoldedScalarString = FoldedScalarString(value)
    positions, line_start = [], 0
    for match in re.finditer(" ", value):
        position = match.start()
        next_space = value.find(" ", position + 1)
        word_end = len(value) if next_space < 0 else next_space
        if word_end - line_start > width and position > line_start:
            positions.append(position)
            line_start = position + 1
    folded.fold_pos = positions  # type: ignore[attr-defined]
    return folded


def _reads_back_plain(value: str, flow: bool) -> bool:
    """Whether `value` written without quotes is read (by PyYAML, as the KB is) as itself."""
    if not value or value != value.strip() or any(c in value for c in "\n\t"):
        return False
    text = f"[{value}]\n" if flow else f"- {value}\n"
    # Both of PyYAML's parsers, since libyaml and the pure-Python one differ at the edges
    # (`[?x]`), and the KB is read by whichever is installed.
    for loader in (_Loader, yaml.SafeLoader):
        try:
            read = yaml.load(text, Loader=loader)
        except yaml.YAMLError:
            return False
        if read != [value]:
            return False
    return True


def space_out(text: str) -> str:
    """Blank lines of the canonical layout (see the module docstring), outside block scalars."""
    out: list[str] = []
    block_indent: int | None = None  # inside a block scalar whose key is at this column
    state = _Spacing()
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                out.append(line)
                continue
            block_indent = None
        if not line.strip():
            if out and out[-1].strip():
                out.append("")
            continue
        if state.wants_blank_before(line, indent) and out and out[-1].strip():
            out.append("")
        if _BLOCK_SCALAR_HEADER.search(line) and not line.lstrip().startswith("#"):
            block_indent = indent
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out) + "\n"


_BLOCK_SCALAR_HEADER = re.compile(r"(^|:|- )\s*[|>][-+0-9]*\s*$")


class _Spacing:
    """Where `space_out` wants a blank line, read line by line (blank lines left out)."""

    def __init__(self) -> None:
        self.in_item_list = False
        self.list_started = False
        self.after_separator_comment = False

    def wants_blank_before(self, line: str, indent: int) -> bool:
        comment = line.lstrip().startswith("#")
        if indent == 0:
            if not comment:
                self.in_item_list = line.split(":", 1)[0] in _ITEM_LISTS
                self.list_started = False
            return False
        starts_item = indent == INDENT and (comment or line.lstrip().startswith("- "))
        wanted = (
            self.in_item_list
            and starts_item
            and self.list_started
            and not self.after_separator_comment
        )
        self.list_started = True
        self.after_separator_comment = starts_item and comment
        return wanted
