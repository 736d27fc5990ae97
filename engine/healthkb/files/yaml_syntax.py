"""Why YAML text could not be read, in an editor's words: bad characters, syntax errors.

The parsers' own messages are terse ("mapping values are not allowed here") and point
where the parser gave up, which is not always where the mistake is (an unclosed quote
is noticed at the next quote, lines below). This module turns them into problems with
a place and a hint, naming the opening quote or bracket when the parser's marks allow.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from ..errors import Problem

# Characters YAML 1.1 reads as line breaks, which editors show as none (or as a space):
# pasted from a web page into a quote, they cut the line in two for the parser, and
# every line number after them is off by one. They are refused with the characters
# YAML 1.1 refuses anywhere in a file (the set PyYAML's reader checks), in one pattern.
# It is compiled when a file is refused (`re` keeps it then), not at import: its ranges
# take 3 ms to compile, paid by every start-up for files that are almost always fine.
HIDDEN_LINE_BREAKS = "\x85\u2028\u2029"

_REFUSED = "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"

# Control characters have no Unicode name; these are the ones editors meet.
_CONTROL_NAMES = {
    0x00: "NULL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}

_QUOTES = {'"': "double quote", "'": "single quote"}


def character_name(char: str) -> str:
    """`U+001B (ESCAPE)`: a character's code point and name."""
    code = ord(char)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(char, "a control character")
    return f"U+{code:04X} ({name})"


def has_hidden_line_break(text: str) -> bool:
    """Whether `text` holds a line break only YAML sees (U+2028 LINE SEPARATOR, ...)."""
    return any(char in text for char in HIDDEN_LINE_BREAKS)


def bad_character(text: str, file: str) -> Problem:
    """The first character YAML refuses or reads as a hidden line break, located as an
    editor counts lines (only at `\\n`), saying how many more there are."""
    refused = re.compile(_REFUSED)
    found = refused.search(text)
    if found is None:  # the reader refused something the pattern allows: say so plainly
        return Problem(file, 0, 0, "bad-character", "the file holds a character YAML refuses")
    at, char = found.start(), found.group()
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    more = len(refused.findall(text, at + 1))
    others = f"; the file has {more:,} more such characters" if more else ""
    if char in HIDDEN_LINE_BREAKS:
        return Problem(
            file,
            line,
            column,
            "bad-character",
            f"character {character_name(char)} is a line break to YAML, though editors "
            f"do not show one{others}",
            "replace it with a space, or with a normal line break; it often comes from "
            "text copied from a web page",
        )
    return Problem(
        file,
        line,
        column,
        "bad-character",
        f"character {character_name(char)} is not allowed in YAML{others}",
        "delete it (most editors do not show it); it often comes from copying text "
        "out of another program",
    )


def syntax_problem(
    error: yaml.MarkedYAMLError, text: str, file: str, loader: type[yaml.SafeLoader]
) -> Problem:
    """A located `yaml-syntax` problem for a parser error, with a hint where one helps.

    `loader` is the class that parsed the text; it rescans it to find an open quote.
    """
    mark = error.problem_mark or error.context_mark
    message = error.problem or str(error)
    if error.context:
        message = f"{error.context}: {message}"
    line, column = _clamped(text, mark) if mark else (0, 0)
    return Problem(file, line, column, "yaml-syntax", message, _hint(error, text, loader))


def _clamped(text: str, mark: yaml.Mark) -> tuple[int, int]:
    """A mark's line and column (1-based), moved from past the last line of the text
    (where the parsers find the end of the file) to the end of that line."""
    lines = _lines(text)
    if lines and mark.line >= len(lines):
        return len(lines), len(lines[-1].removesuffix("\r")) + 1
    return mark.line + 1, mark.column + 1


def _at_end(text: str, mark: Any) -> bool:
    """Whether the parser stopped at the end of the text (nothing but blank lines after)."""
    if mark is None:
        return False
    lines = _lines(text)
    rest = lines[mark.line + 1 :] if mark.line < len(lines) else []
    here = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
    return not (here.strip() or any(line.strip() for line in rest))


def _lines(text: str) -> list[str]:
    """The text's lines as an editor counts them: the final newline begins no line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _hint(error: yaml.MarkedYAMLError, text: str, loader: type[yaml.SafeLoader]) -> str:
    problem = error.problem or ""
    context = error.context or ""
    opened = error.context_mark
    if "tab" in problem or "'\\t'" in problem:
        return "indent with spaces: YAML does not allow tab characters for indentation"
    if "quoted scalar" in context and opened is not None:
        quote = _QUOTES.get(_char_at(text, opened), "quote")
        return (
            f"the {quote} opened at line {opened.line + 1}, column {opened.column + 1} "
            "is never closed"
        )
    runaway = _runaway_quote(text, error.problem_mark, loader)
    if runaway:
        return runaway
    if "flow" in context:
        bracket = _open_bracket(text, error.problem_mark, loader)
        if bracket is not None:
            at = bracket.start_mark
            which = f"`{_char_at(text, at)}` opened at line {at.line + 1}, column {at.column + 1}"
            if _at_end(text, error.problem_mark):
                closing = "]" if isinstance(bracket, yaml.FlowSequenceStartToken) else "}"
                return f"the {which} is never closed: is its `{closing}` missing?"
            return f"check the {which}: is a `,` or its closing bracket missing?"
    if "mapping values are not allowed" in problem:
        return (
            'a value holding ": " must be quoted ("..."); otherwise this line is indented '
            "more than the keys beside it"
        )
    if "could not find expected ':'" in problem:
        return "each key needs a `:` after it; a value that goes on over lines must be indented"
    if "expected key" in problem or "block end" in problem or "'-' indicator" in problem:
        return "check this line's indentation: it must line up with the keys or `-` items above"
    if "cannot start any token" in problem or "alphabetic or numeric" in problem:
        return "a value starting with @, `, & or * must be quoted"
    if "undefined alias" in problem:
        return "a value starting with * must be quoted"
    return ""


def _char_at(text: str, mark: yaml.Mark) -> str:
    # By line and column: libyaml's `index` counts bytes of UTF-8, not characters.
    lines = _lines(text)
    line, column = mark.line, mark.column
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""


def _open_bracket(text: str, mark: Any, loader: type[yaml.SafeLoader]) -> Any:
    """The innermost `[` or `{` still open where the parser stopped, if any.

    Rescanned, since the parser's context mark is where it gave up when a bracket is
    left open at the end of the file, not where the bracket is.
    """
    if mark is None:
        return None
    opened: list[Any] = []
    try:
        for token in yaml.scan(text, Loader=loader):
            if (token.start_mark.line, token.start_mark.column) >= (mark.line, mark.column):
                break
            if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
                opened.append(token)
            elif opened and isinstance(
                token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)
            ):
                opened.pop()
    except yaml.YAMLError:
        pass
    return opened[-1] if opened else None


def _runaway_quote(text: str, mark: Any, loader: type[yaml.SafeLoader]) -> str:
    """A hint when a quoted value opened earlier runs on over lines up to the error.

    A quote left open swallows the lines below it until the next quote character, so
    the parser trips over what follows that one; the opening quote is the mistake.
    """
    if mark is None:
        return ""
    last: Any = None
    try:
        for token in yaml.scan(text, Loader=loader):
            if (token.start_mark.line, token.start_mark.column) >= (mark.line, mark.column):
                break
            if isinstance(token, yaml.ScalarToken):
                last = token
    except yaml.YAMLError:
        pass
    if last is None or last.style not in _QUOTES or last.start_mark.line == last.end_mark.line:
        return ""
    if mark.line - last.end_mark.line > 1:
        return ""
    start, end = last.start_mark, last.end_mark
    return (
        f"the {_QUOTES[last.style]} opened at line {start.line + 1}, column "
        f"{start.column + 1} runs on to line {end.line + 1}: is its closing quote missing?"
    )
