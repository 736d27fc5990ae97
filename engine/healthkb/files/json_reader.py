"""Strict JSON reading (for `.json` profiles), keeping each value's file:line:column.

A `.json` file is read by the standard `json` module, as JSON, never as YAML: `035`,
`NaN`, `Infinity` and a key given twice are errors, not values YAML 1.1 would make
something of. The places of values (for located problems) come from composing the same
text as YAML: strict JSON is YAML's flow style, so the node graph has the JSON's shape.

Its fast paths, and why they give the same answer: docs/performance.md, "Batch and workers".
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from ..errors import KBError, Problem, shorten
from .yaml_reader import STDIN, STDIN_NAME, Located, PathKey, read_text
from .yaml_syntax import bad_character, has_hidden_line_break

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTANT = re.compile(r"-?(?:NaN|Infinity)\b")
_LEADING_ZERO = re.compile(r"-?0[0-9]")
_NUMBER_BEFORE = re.compile(r"-?[0-9]+$")
_DIGITS = re.compile(r"[0-9]*")


class StrictJSONError(ValueError):
    """Valid JSON for Python's `json`, refused here: a key given twice in an object
    (`duplicate-key`), or `NaN` / `Infinity` (`json-value`). `code`, `message` and
    `hint` are the same wherever JSON is read (a `.json` profile, a batch line, a
    request body); `place(text)` finds the line and column of the refused text."""

    def __init__(self, code: str, message: str, hint: str, pattern: str, nth: int = 1) -> None:
        super().__init__(message)
        self.code, self.message, self.hint, self.pattern = code, message, hint, pattern
        self.nth = nth

    def place(self, text: str) -> tuple[int, int]:
        """Line and column (1-based) of the refused key or word in `text` (0, 0: unknown)."""
        return _find(text, self.pattern, self.nth)


def strict_loads(text: str | bytes) -> Any:
    """`json.loads`, but a key given twice and `NaN` / `Infinity` raise `StrictJSONError`
    (the standard module keeps the last of two keys and reads NaN as a number)."""
    # `json.loads` with options builds a decoder on every call (a batch reads one line
    # per profile): passing the one made below as `cls` is not enough, so it is called
    # the way `json.loads` calls its own.
    if isinstance(text, bytes | bytearray):
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    elif not isinstance(text, str):
        raise TypeError(f"the JSON object must be str or bytes, not {type(text).__name__}")
    elif text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    return _STRICT_DECODER.decode(text)


def read_json(path: Path, display_name: str, *, streams: bool = False) -> Located:
    """Read one strict JSON document; `KBError` with one located problem if it is unusable."""
    if streams and str(path) == STDIN:
        display_name = STDIN_NAME
    return parse_json(read_text(path, display_name, streams=streams), display_name)


def parse_json(text: str, display_name: str) -> Located:
    """Parse strict JSON text into plain data with places."""
    if has_hidden_line_break(text):
        # Valid in a JSON string, but pasted from a web page and shown by no editor, as
        # in YAML files; and the YAML composer that finds places would count it a line.
        raise KBError([bad_character(text, display_name)])
    try:
        data = strict_loads(text)
    except json.JSONDecodeError as error:
        raise KBError([_syntax_problem(error, display_name)]) from None
    except StrictJSONError as refused:
        line, column = refused.place(text)
        problem = Problem(display_name, line, column, refused.code, refused.message, refused.hint)
        raise KBError([problem]) from None
    except RecursionError:
        problem = Problem(
            display_name, 0, 0, "json-limit", "JSON file refused: nested too deeply", ""
        )
        raise KBError([problem]) from None
    return Located(display_name, data, _places(text, data))


def _mapping(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):  # no key twice (a batch line has one object per fact)
        return result
    result = {}
    for key, value in pairs:
        if key in result:
            raise StrictJSONError(
                "duplicate-key",
                f"key `{shorten(key)}` appears twice in the same object",
                "remove or rename one of them",
                # The key's second appearance in the text is most often the refused one
                # (the same key in an earlier, nested object can shift it).
                re.escape(json.dumps(key)) + r"\s*:",
                nth=2,
            )
        result[key] = value
    return result


def _constant(word: str) -> Any:
    raise StrictJSONError(
        "json-value",
        f"`{word}` is not a number JSON allows",
        "write a finite number, or leave the attribute out if it is not known",
        re.escape(word) + r"\b",
    )


_STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_mapping, parse_constant=_constant)


def _syntax_problem(error: json.JSONDecodeError, file: str) -> Problem:
    hint, column = "", error.colno
    before = _NUMBER_BEFORE.search(error.doc, 0, error.pos)
    after = _DIGITS.match(error.doc, error.pos)
    written = (before.group() if before else "") + (after.group() if after else "")
    if _LEADING_ZERO.match(written):
        digits = written.lstrip("-").lstrip("0") or "0"
        sign = "-" if written.startswith("-") else ""
        hint = f"JSON numbers have no leading zeros: write {sign}{digits}, not {written}"
        column -= len(before.group()) if before else 0
    elif error.msg.startswith("Unexpected UTF-8 BOM"):
        hint = "save the file as UTF-8 without a byte order mark"
    elif "property name enclosed in double quotes" in error.msg:
        hint = "JSON keys are in double quotes, and no `,` follows the last value"
    return Problem(file, error.lineno, column, "json-syntax", error.msg, hint)


def _find(text: str, pattern: str, nth: int) -> tuple[int, int]:
    found = list(re.finditer(pattern, text))
    if not found:
        return 0, 0
    at = found[min(nth, len(found)) - 1].start()
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


def _places(text: str, data: Any) -> dict[PathKey, tuple[int, int]]:
    """Where each value is, from the YAML node graph of the same text; the file's start
    alone where YAML cannot compose it (a tab between tokens, say)."""
    places: dict[PathKey, tuple[int, int]] = {(): (1, 1)}
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except (yaml.YAMLError, RecursionError):
        return places
    finally:
        loader.dispose()
    if node is not None:
        _walk(node, data, (), places)
    return places


def _walk(node: Node, data: Any, path: PathKey, places: dict[PathKey, tuple[int, int]]) -> None:
    places[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, MappingNode) and isinstance(data, dict):
        if len(node.value) != len(data):
            return
        for (key_node, value_node), (key, value) in zip(node.value, data.items(), strict=True):
            _walk(value_node, value, (*path, key), places)
            # A mapping's key is where problems about the entry point, as in YAML files.
            places[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    elif isinstance(node, SequenceNode) and isinstance(data, list):
        if len(node.value) != len(data):
            return
        for index, (item_node, item) in enumerate(zip(node.value, data, strict=True)):
            _walk(item_node, item, (*path, index), places)
