"""The line-by-line YAML reader as healthkb had it before each line's shape was worked
out once per text (`files/yaml_lines.py` at 4ed9c05, verbatim but for its docstring and
imports), for tests/files/test_yaml_events.py, which holds the new reader to it: the
same texts taken, and the same data and places for each."""

from __future__ import annotations

import re
from sys import intern
from typing import Any

import yaml

from healthkb.files.yaml_builder import HIDDEN_KEY
from healthkb.files.yaml_events import PlainScalars, Unusual
from healthkb.files.yaml_places import PlaceTree

# Any character YAML refuses, or reads as a line break other than `\n` (U+0085,
# U+2028, U+2029, and `\r`), or a tab, or U+FEFF: a file with one goes another way.
# Searched for once over the whole text, so that the line pattern below can use
# simple classes (`[^ :#]`) that say only which of the allowed characters end a run.
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


Line = tuple[str, str, str, str, str, str]
"""A line's parts, as `_LINES` finds them."""
Open = tuple[Any, Any, int, int]
"""An open mapping or list: its data, its places, the columns of its keys and dashes."""


def read_block_lines(text: str, scalars: PlainScalars) -> tuple[Any, PlaceTree] | None:
    """The data of `text` and the place of each of its values, or None where the file
    is outside the grammar this module takes (then it must be read another way)."""
    if scalars.resolved_first is None or _OUTSIDE.search(text):
        return None  # an implicit tag for any text: every plain text needs a look
    lines = _LINES.findall(text)
    if len(lines) != text.count("\n") + 1:
        return None  # (never: what the pattern does not take on a line is in `rest`)
    try:
        return _read(lines, scalars, scalars.resolved_first + _NOT_PLAIN)
    except Unusual:
        return None


def _read(lines: list[Line], scalars: PlainScalars, looked_at: str) -> tuple[Any, PlaceTree]:
    """The loop over the lines (see "How the loop goes" in the module's docstring); a
    value starting with a character of `looked_at` needs more than its text."""
    known = scalars.values
    names = scalars.names
    stack: list[Open] = []
    data: Any = None
    marks: Any = None
    key_at = dash_at = 0  # the 1-based column of the innermost's keys, or dashes
    root: tuple[Any, Any, tuple[int, int]] | None = None
    pending: str | None = None
    pending_place, pending_column = (0, 0), 0
    for number, (indent, dash, key, value, item, rest) in enumerate(lines, 1):
        at = len(indent) + 1
        if not key or dash or at != key_at or rest:
            if rest:
                raise Unusual
            if not key and not dash:
                if item:  # a plain scalar going on from the line above
                    _fold(lines, number, at > (key_at or dash_at), data, scalars, looked_at)
                continue  # blank, or a comment
            if pending is not None:
                data, marks, key_at, dash_at = _settle(
                    pending, pending_place, (data, marks, pending_column), stack, at, dash, scalars
                )
                pending = None
            elif root is None:
                data, marks = ([], []) if dash else ({}, {})
                root = data, marks, (number, at)
                key_at, dash_at = (0, at) if dash else (at, 0)
            if dash:
                if dash_at != at:
                    data, marks, key_at, dash_at = _close(
                        stack, data, marks, key_at, dash_at, at, dash
                    )
                at += len(dash)
                if not key:
                    inside = None
                    if item[0] in looked_at:
                        item, inside = _value(item, scalars, number, at)
                    data.append(item)
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
            elif key_at != at:
                data, marks, key_at, dash_at = _close(stack, data, marks, key_at, dash_at, at, dash)
        key = intern(key)  # for pydantic (docs/performance.md, "Validating the rules")
        if key in data:
            raise Unusual  # a key twice: the general way says where
        line_at = number
        if key not in names:
            if key == HIDDEN_KEY:
                line_at = at = 0  # no place of its own (as `Builder` places it)
            else:
                scalars.check_name(key)
        if not value:
            pending, pending_place, pending_column, key_at = key, (line_at, at), key_at, 0
            continue
        inside = None
        if value[0] in looked_at:
            cached = known.get(value, _ABSENT)  # (only plain texts are kept there)
            if cached is _ABSENT:
                value, inside = _value(value, scalars, number, at)
            else:
                value = cached
        data[key] = value
        marks[key] = (line_at, at, inside)
    if root is None:
        raise Unusual  # nothing but comments: the general way reads it
    if pending is not None:
        data[pending] = _value("", scalars, len(lines), 0)[0]
        marks[pending] = (*pending_place, None)
    return root[0], PlaceTree(root[2], root[1])


def _settle(
    pending: str,
    place: tuple[int, int],
    mapping: tuple[Any, Any, int],
    stack: list[Open],
    at: int,
    dash: str,
    scalars: PlainScalars,
) -> Open:
    """The innermost open mapping or list once the `pending` key of `mapping` (data,
    places, column) has its value, from the line at column `at`: what the line opens
    (pushing `mapping` on the `stack`), or null."""
    data, marks, column = mapping
    if at > column or (dash and at == column):
        if len(stack) >= _DEEPEST:
            raise Unusual
        inner: Any = [] if dash else {}
        inner_marks: Any = [] if dash else {}
        data[pending] = inner
        marks[pending] = (*place, inner_marks)
        stack.append((data, marks, column, 0))
        return (inner, inner_marks, 0, at) if dash else (inner, inner_marks, at, 0)
    data[pending] = _value("", scalars, place[0], at)[0]
    marks[pending] = (*place, None)
    return data, marks, column, 0


def _close(
    stack: list[Open], data: Any, marks: Any, key_at: int, dash_at: int, at: int, dash: str
) -> Open:
    """The innermost once mappings and lists are closed until it is the list with its
    dashes at column `at` (for a `dash`), or the mapping with its keys there."""
    while (dash_at if dash else key_at) != at:
        if (key_at or dash_at) < at or not stack:
            raise Unusual  # deeper than the innermost, or out of the document
        data, marks, key_at, dash_at = stack.pop()
    return data, marks, key_at, dash_at


def _fold(
    lines: list[Line], number: int, deeper: bool, data: Any, scalars: PlainScalars, looked: str
) -> None:
    """Line `number` goes on with the plain scalar that starts on a line above: read the
    scalar again from all its lines, folded as YAML folds them (one space for each line
    break). It must start on a key's or a dash's line, with no blank or comment line
    within, and each line going on must be `deeper` than the keys or dashes around it."""
    start = number - 2  # (the index of the line above)
    while start >= 0 and not lines[start][1] and not lines[start][2] and lines[start][4]:
        start -= 1  # lines going on above, already taken
    if not deeper or start < 0:
        raise Unusual
    _, _, key, value, item, _ = lines[start]
    first = value if key else item
    if not first or first[0] in _NOT_PLAIN:
        raise Unusual  # blank, comment, `key:`, or a quoted scalar, `{}` or `[]`
    text = " ".join([first, *(lines[at][4] for at in range(start + 1, number))])
    if text[0] in looked:
        read = scalars.values.get(text, _ABSENT)
        if read is _ABSENT:
            read = scalars.plain_value(text, yaml.Mark("", 0, start, 0, None, 0))
        text = read
    if key:
        data[key] = text
    else:
        data[-1] = text


def _value(text: str, scalars: PlainScalars, number: int, at: int) -> tuple[Any, Any]:
    """A value that is not a plain string as written, and the places inside it."""
    first = text[:1]
    if first == "'":
        return text[1:-1].replace("''", "'"), None
    if first == '"':
        return text[1:-1], None
    if first == "{":
        return {}, {}
    if first == "[":
        return [], []
    value = scalars.values.get(text, _ABSENT)
    if value is _ABSENT:
        value = scalars.plain_value(text, yaml.Mark("", 0, number - 1, at, None, 0))
    return value, None
