"""Block-style YAML read line by line: values and places without a parser event per value.

Most YAML a KB is made of is laid out the way `yaml.safe_dump` lays it out: block
mappings and lists, one `key: value` or `- value` per line, every scalar on one line.
In such a file the structure is in the indentation and each line is one of a few
shapes, so one regular expression (`_LINES`) splits a line into its parts, and one
loop builds the data and its `PlaceTree` from them. There is no parser event per
value: the events path (`yaml_events.py`) makes a Python object and two marks for
each of them (475,000 for the generated 10,000-rule KB), which was most of its time.

Each line once per text. What a line says (its `Shape`: columns, dash, key, value's
data) depends on its text alone, and a KB's files repeat their lines (`status:
active`, `  - source: synthetic-benchmark`: the 171,000 lines of the generated
10,000-rule KB have 23,000 texts). So the text is split at `\n`, each different line
is kept once (`dict.fromkeys`, in order), the pattern runs once over those joined
again, and `_shape` works each one out: interns its key, checks it is a name, reads
its value (`PlainScalars`). The loop then takes each line's shape from that table.
A `{}` or `[]` is a marker there, made into a new mapping or list at each line.

What is taken. The grammar is strict; a file with anything outside it is handed on
(`read_block_lines` returns None) to `yaml_events.py` and then to the general way,
which read it exactly as before and report every problem. A line is taken only when
it is, after its indentation (spaces only):

- nothing, or a comment (`#` first);
- `KEY:` (its value, a mapping or a list, comes on the lines below, or it is null),
  `KEY: VALUE`, `- KEY:`, `- KEY: VALUE` (a mapping as a list item), `- VALUE`;

where KEY is a plain name of at most 1,000 characters with no space or `:`, not
starting with an indicator or a dot (`id`, `measure_25.level`, `<key>`), which YAML's
resolver reads as a name; and VALUE is `{}`, `[]`, a single-quoted scalar, a
double-quoted one without a backslash, or a plain scalar that does not start with an
indicator (but `-` before a non-space, `-2`) and has no `: `, ` #`, `:` at its end or
space at its end. A plain VALUE may go on over the lines below it (each a plain
scalar on its own, deeper than the keys or dashes around it, with no blank or comment
line within): it is read again from all its lines, folded as YAML folds them (one
space for each line break; `_fold`). Every character of the file must be one YAML
accepts, other than a tab, U+FEFF and the line breaks other than `\n` (`_OUTSIDE`,
searched once; in ASCII text, `str.isprintable` on each different line). A plain
scalar is read as the events path reads it (`PlainScalars`: resolved once per text,
refused where a check refuses it). So there are no anchors,
aliases, tags, flow collections but `{}` and `[]`, block scalars, quoted scalars over
lines, complex keys, directives or document markers on this path; a key twice, a
scalar a check refuses, nesting 48 deep, a second document or a line that does not
nest as below give up too.
tests/files/test_yaml_events.py holds what this path gives (where it answers) to what
the general way gives, on every YAML file of the repository, generated KBs, edits of
them, hostile texts, texts at the edges of this grammar and generated block texts, with
both parsers; and to this module as it was before `_shape` (tests/support/
old_yaml_lines.py): the same texts taken, the same data and places.

How the loop goes. The innermost open mapping or list is kept in locals: its data, its
places, and the 1-based column of its keys (`key_at`) or of its dashes (`dash_at`),
the other being 0; the ones around it are on a stack. Most lines are the next key of
the innermost mapping (`key_at` is the line's column): the short branch. Otherwise:
- a key whose line has no value looks at the next line that is not blank or a
  comment (`_below`): one deeper than the key (or a dash at its column: a list may
  stand at its key's column) opens its value there, a mapping or a list, which that
  line then goes on in; any other line, or the end, leaves it null;
- the first such line of the file opens the document's mapping or list;
- a dash closes open mappings and lists until the innermost is a list with its dashes
  at the line's column; a key, until it is a mapping with its keys there (a line
  deeper than the innermost, or closing the document, gives up: in YAML that is an
  error, or a scalar going on over lines that this path does not take);
- a plain scalar alone on its line goes on with the value of the line above;
- a dash followed by a key opens a mapping at the key's column, as the list's item.

Places follow the parser's marks: a mapping's value is placed at its key (a `<key>`
key has no place of its own, as in `Builder`), a list item where it starts (after its
dash), the document where its first key or dash is. A placed key's scalar value (most
values) is placed by its line number alone: its column is that of the line's key, which
the `PlaceTree` works out from the line's shape when a place is asked for (`_column`).

Its fast paths, and why they give the same answer: docs/performance.md, "Reading YAML line by line"
(each different line once: docs/performance.md, "Reading YAML line by line, again").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from sys import intern
from typing import Any

import yaml

from .yaml_builder import HIDDEN_KEY
from .yaml_events import PlainScalars, Unusual
from .yaml_places import PlaceTree

# Any character YAML refuses, or reads as a line break other than `\n` (U+0085,
# U+2028, U+2029, and `\r`), or a tab, or U+FEFF: a file with one goes another way.
# Searched for once over the whole text, so that the line pattern below can use
# simple classes (`[^ :#]`) that say only which of the allowed characters end a run.
# (In ASCII text these are the control characters, which `str.isprintable` finds on
# each different line faster: in ASCII it refuses exactly those.)
# Every character but `\n`, the printable ASCII, and the code points from U+00A0 on but
# the line and paragraph separators, surrogates, U+FEFF, U+FFFE and U+FFFF. Spelt as
# the characters refused, not as a negated class of those allowed: the same set, but
# compiled in 0.5 ms instead of 8 (the class reaching to U+10FFFF), on every start.
_OUTSIDE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")

_INDICATORS = r"\-?:,\[\]{}#&*!|>'\"%@`"
# A plain scalar: not starting with an indicator (but `-` before a non-space, as in
# `-2`), with `:` only before a non-space, `#` only after one, spaces only between
# words (a space before `#` starts a comment; one at the end would be cut off).
_PLAIN = (
    rf"(?:[^\n {_INDICATORS}]|-(?=[^\n ]))[^\n:#]*+(?:(?::(?=[^\n ])|(?<! )#)[^\n:#]*+)*+(?<! )"
)
_SINGLE = r"'[^\n']*+(?:''[^\n']*+)*+'"
_DOUBLE = r'"[^\n"\\]*+"'
_VALUE = rf"{_PLAIN}|{_SINGLE}|{_DOUBLE}|\{{\}}|\[\]"
_KEY = rf"[^\n {_INDICATORS}.][^\n :]{{0,999}}+"
_LINES = re.compile(
    rf"^( *)(?:(- +)?(?:({_KEY}):(?: +({_VALUE}))?|({_VALUE}))|#.*)?(.*)$", re.MULTILINE
)
"""Each line: its indentation, then nothing, a comment, or a key (group 3) with its
value (4), or a value (5), either after a dash (2); then what is left (6), which must
be nothing. `findall` gives one tuple per line, as `str.split("\\n")` gives lines."""

_DEEPEST = 48  # mappings and lists open at once at most (MAX_DEPTH is 64)
_ABSENT = object()
_NOT_PLAIN = "'\"{["  # the first characters of the other values of the grammar


class _Marker:
    """A line's value that is not data yet (in its `Shape`)."""


_NO_VALUE = _Marker()  # a key's value comes on the lines below (or it is null)
_EMPTY_MAPPING = _Marker()  # `{}`: a new mapping wherever the line is
_EMPTY_LIST = _Marker()  # `[]`: a new list
_UNSHOWN = yaml.Mark("", 0, 0, 0, None, 0)
"""Where a plain scalar is, for `PlainScalars.plain_value`: no problem it could place is
shown (one gives the file up to the general way, which words it), so one mark does."""
_END: Any = (-1, 0, 0, "", None, ("",) * 6, False)  # below the last line


Line = tuple[str, str, str, str, str, str]
"""A line's parts, as `_LINES` finds them."""
Shape = tuple[int, int, int, str, Any, Line, bool]
"""What a line says, worked out once for every line of the same text: its column as
the next key of the innermost mapping (`-1` when it is not a `KEY: VALUE` line with a
scalar value and a placed key), the 1-based column of its first dash or key, the
width of its dash (and the spaces after it), its key (interned; "" for none), its
value's data (or one of the markers above), its parts, and whether it is a placed
key with a scalar value (which goes straight into the innermost mapping)."""
Open = tuple[Any, Any, int, int]
"""An open mapping or list: its data, its places, the columns of its keys and dashes."""


def read_block_lines(text: str, scalars: PlainScalars) -> tuple[Any, PlaceTree] | None:
    """The data of `text` and the place of each of its values, or None where the file
    is outside the grammar this module takes (then it must be read another way)."""
    if scalars.resolved_first is None:
        return None  # an implicit tag for any text: every plain text needs a look
    lines = text.split("\n")
    shapes: dict[str, Any] = dict.fromkeys(lines)  # each text once, in order
    if refuses_a_character(text, shapes):
        return None
    parts = _LINES.findall("\n".join(shapes))
    if len(parts) != len(shapes):
        return None  # (never: what the pattern does not take on a line is in `rest`)
    try:
        _shape(shapes, parts, scalars, scalars.resolved_first + _NOT_PLAIN)
        return _read(list(map(shapes.__getitem__, lines)), scalars)
    except Unusual:
        return None


def refuses_a_character(text: str, lines: Iterable[str]) -> bool:
    """Whether `text`, whose lines (each different one at least once) are `lines`, has
    a character this module does not take (`_OUTSIDE`): in ASCII text, a control
    character, which `str.isprintable` refuses and nothing else (one C call per line)."""
    if text.isascii():
        return not all(map(str.isprintable, lines))
    return _OUTSIDE.search(text) is not None


def _shape(shapes: dict[str, Any], parts: list[Line], scalars: PlainScalars, looked: str) -> None:
    """Each line's `Shape` in place of None in `shapes`, from its `parts`; a value
    starting with a character of `looked` needs more than its text."""
    names = scalars.names
    for text, line in zip(shapes, parts, strict=True):
        indent, dash, key, value, item, rest = line
        if rest:
            raise Unusual
        at = len(indent) + 1
        if key:
            key = intern(key)  # for pydantic (docs/performance.md, "Validating the rules")
            if key[0] in looked and key not in names and key != HIDDEN_KEY:
                scalars.check_name(key)  # (a key starting with no other character is a name)
        elif not dash:
            shapes[text] = (-1, at, 0, "", None, line, False)  # blank, comment, going on
            continue
        data: Any = _NO_VALUE
        if value or item:
            data = value or item
            if data[0] in looked:
                data = _value(data, scalars)
        simple = bool(key) and key != HIDDEN_KEY and not isinstance(data, _Marker)
        short = at if simple and not dash else -1
        shapes[text] = (short, at, len(dash), key, data, line, simple)


def _read(lines: list[Shape], scalars: PlainScalars) -> tuple[Any, PlaceTree]:
    """The loop over the lines (see "How the loop goes" in the module's docstring)."""
    stack: list[Open] = []
    count = len(lines)
    place, (data, marks, key_at, dash_at) = _document(lines)  # 1-based columns
    root = data, marks
    for number, (short, at, width, key, value, line, simple) in enumerate(lines, 1):
        if short == key_at:  # the next `KEY: VALUE` of the innermost mapping
            if key in data:
                raise Unusual  # a key twice: the general way says where
            data[key] = value
            marks[key] = number  # (its column: `_column`)
            continue
        if width:
            while dash_at != at:  # close mappings and lists down to the dash's list
                if (key_at or dash_at) < at or not stack:
                    raise Unusual  # deeper than the innermost, or out of the document
                data, marks, key_at, dash_at = stack.pop()
            at += width
            if not key:
                value, inside = _made(value)
                data.append(value)
                marks.append((number, at, inside))
                continue
            if len(stack) >= _DEEPEST:
                raise Unusual
            inner: Any = {}
            inner_marks: Any = {}
            data.append(inner)
            marks.append((number, at, inner_marks))
            stack.append((data, marks, key_at, dash_at))
            data, marks, key_at, dash_at = inner, inner_marks, at, 0
            if simple:  # `- KEY: VALUE`, the item's first key
                inner[key] = value
                inner_marks[key] = number
                continue
        elif not key:
            if line[4]:  # a plain scalar going on from the line above
                _fold(lines, number, at > (key_at or dash_at), data, scalars)
            continue  # blank, or a comment
        else:
            while key_at != at:  # close mappings and lists down to the key's mapping
                if (key_at or dash_at) < at or not stack:
                    raise Unusual  # deeper than the innermost, or out of the document
                data, marks, key_at, dash_at = stack.pop()
        if key in data:
            raise Unusual  # a key twice: the general way says where
        if simple:
            data[key] = value
            marks[key] = number
            continue
        line_at, at = (0, 0) if key == HIDDEN_KEY else (number, at)  # (as `Builder` places it)
        if value is not _NO_VALUE:  # `{}`, `[]`, or the value of a `<key>`
            value, inside = _made(value)
            data[key] = value
            marks[key] = (line_at, at, inside)
            continue
        below = lines[number] if number < count else _END  # says what the value is
        if not below[3] and not below[2]:
            below = _END if (end := _below(lines, number)) == count else lines[end]
        if below[1] > key_at or (below[2] and below[1] == key_at):
            if len(stack) >= _DEEPEST:
                raise Unusual
            inner = [] if below[2] else {}
            inner_marks = [] if below[2] else {}
            data[key] = inner
            marks[key] = (line_at, at, inner_marks)
            stack.append((data, marks, key_at, dash_at))
            data, marks = inner, inner_marks
            key_at, dash_at = (0, below[1]) if below[2] else (below[1], 0)
        else:
            data[key] = _null(scalars)
            marks[key] = (line_at, at, None)
    return root[0], PlaceTree(place, root[1], partial(_column, lines))


def _column(lines: list[Shape], number: int) -> int:
    """The column of line `number`'s key or item (after its dash): where a value placed
    by its line alone is."""
    _, at, width, *_ = lines[number - 1]
    return at + width


def _document(lines: list[Shape]) -> tuple[tuple[int, int], Open]:
    """The document's place and its mapping or list, opened by its first line that is
    not blank or a comment."""
    start = _below(lines, 0)
    if start == len(lines):
        raise Unusual  # nothing but comments: the general way reads it
    _, at, dash, *_ = lines[start]
    opened: Open = ([], [], 0, at) if dash else ({}, {}, at, 0)
    return (start + 1, at), opened


def _below(lines: list[Shape], index: int) -> int:
    """The index of the first line from `index` on that is not blank or a comment
    (`len(lines)` at the end of the document)."""
    while index < len(lines) and not lines[index][3] and not lines[index][2]:
        if lines[index][5][4]:
            break  # a plain scalar going on
        index += 1
    return index


def _fold(lines: list[Shape], number: int, deeper: bool, data: Any, scalars: PlainScalars) -> None:
    """Line `number` goes on with the plain scalar that starts on a line above: read the
    scalar again from all its lines, folded as YAML folds them (one space for each line
    break). It must start on a key's or a dash's line, with no blank or comment line
    within, and each line going on must be `deeper` than the keys or dashes around it."""
    start = number - 2  # (the index of the line above)
    while start >= 0 and not lines[start][5][1] and not lines[start][5][2] and lines[start][5][4]:
        start -= 1  # lines going on above, already taken
    if not deeper or start < 0:
        raise Unusual
    _, _, key, value, item, _ = lines[start][5]
    first = value if key else item
    if not first or first[0] in _NOT_PLAIN:
        raise Unusual  # blank, comment, `key:`, or a quoted scalar, `{}` or `[]`
    text = " ".join([first, *(lines[at][5][4] for at in range(start + 1, number))])
    read = scalars.values.get(text, _ABSENT)
    if read is _ABSENT:
        read = scalars.plain_value(text, _UNSHOWN)
    if key:
        data[lines[start][3]] = read
    else:
        data[-1] = read


def _value(text: str, scalars: PlainScalars) -> Any:
    """A value that is not a plain string as written (its data, or a marker for `{}`
    and `[]`)."""
    first = text[0]
    if first == "'":
        return text[1:-1].replace("''", "'")
    if first == '"':
        return text[1:-1]
    if first == "{":
        return _EMPTY_MAPPING
    if first == "[":
        return _EMPTY_LIST
    value = scalars.values.get(text, _ABSENT)
    if value is _ABSENT:
        value = scalars.plain_value(text, _UNSHOWN)
    return value


def _made(value: Any) -> tuple[Any, Any]:
    """A line's value as data, and the places inside it: a new `{}` or `[]` each time."""
    if value is _EMPTY_MAPPING:
        return {}, {}
    if value is _EMPTY_LIST:
        return [], []
    return value, None


def _null(scalars: PlainScalars) -> Any:
    """A key's value where nothing is written (as the resolver reads ``)."""
    value = scalars.values.get("", _ABSENT)
    return scalars.plain_value("", _UNSHOWN) if value is _ABSENT else value
