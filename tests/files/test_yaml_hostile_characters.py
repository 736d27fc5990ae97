"""Characters an editor hides, put anywhere in a KB's files: the short ways of reading
YAML (`yaml_lines.py`, `yaml_events.py`) give what the general way gives.

test_yaml_events.py edits files a line at a time with YAML's own punctuation. Here the
edits are characters put at any place of a line, the ones a file gets from another
program or another system: CRLF and a lone CR, a byte-order mark, the line and
paragraph separators and NEL (line breaks to YAML, not to an editor), a tab, a
no-break or ideographic space, control characters, and the start of an anchor, alias,
tag, complex key, flow collection or document marker. The data (types and key order),
the place of every value and the problems (file, line, column, code, message, hint)
must be those of `parse_yaml_generally`, with libyaml and with the pure-Python parser.
(Found nothing on 59e0d10 or on main at 7dfe609 when written, nor did 120,000 such
texts against 781e9f0's reader, from before the fast paths: a guard for what changes.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from tests.benchmarks.generated_kb import write_generated_kb

from healthkb.errors import KBError
from healthkb.files import yaml_reader
from healthkb.files.yaml_reader import parse_yaml, parse_yaml_generally
from support.fuzzing import budget

ROOT = Path(__file__).resolve().parents[2]

HIDDEN = [
    *["\r\n", "\r", "\ufeff", "\u2028", "\u2029", "\x85", "\t", "\u00a0", "\u3000"],
    *["\x00", "\x07", "\x1b", "\x7f", "\u200b", "\ufffe", "\U0001f600", "é"],
]
PUNCTUATION = [
    *["&a ", "*a", "!!str ", "!!bool ", "!x ", "? ", ": ", ":", "- ", "-", " #", "#"],
    *["'", '"', "{", "}", "[", "]", ",", "|", "> ", "---\n", "...\n", "%YAML 1.1\n", "\\"],
    *["yes", "~", "1_000", "0x10", ".5", "1e3", "<<: ", "<key>", "\n", "\n  ", "  ", " "],
    *[" ''", " 'it''s'", "''", ' "x"', "\n- ", "\n-  ", " {}", " []"],
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Whole files: the seed KB's (most read from the parser's events) and a generated
    KB's that are read line by line (its conclusions, facts and rules; 3-10 kB each)."""
    generated = write_generated_kb(tmp_path_factory.mktemp("kb") / "kb", 40)
    paths = sorted([*(ROOT / "kb").glob("*.yaml"), *(ROOT / "rules").glob("*.yaml")])
    paths += [generated / "kb" / "conclusions.yaml", generated / "kb" / "facts.yaml"]
    paths += sorted((generated / "rules").glob("synthetic_*.yaml"))
    texts = [path.read_text(encoding="utf-8") for path in paths]
    assert sum(yaml_reader._read_by_lines(text, "f.yaml") is not None for text in texts) >= 3
    return texts


VALUES = [
    *["'it''s'", "''", "''''", "'a: b'", "' x '", '"x"', '""', '"a b"', "{}", "[]", "yes"],
    *["~", "null", "1_000", "0x10", ".5", "1e3", "1.0e+3", "035", "-1", "-", "x #c", "x#c"],
    *["a:b", "2025-02-30", "2025-01-01", "=", "<<", "é 中", "x y  z", "'open", "&a x", "*a"],
]
"""Values put in place of a value of the file (quoted ones, ones YAML reads otherwise)."""


def outcome(read: Any, text: str) -> tuple[Any, ...]:
    try:
        located = read(text, "f.yaml")
    except KBError as error:
        problems = [(p.file, p.line, p.column, p.code, p.message, p.hint) for p in error.problems]
        return ("problems", problems)
    return ("read", repr(located.data), list(located.places.items()))


@st.composite
def edited(draw: st.DrawFn, files: list[str]) -> str:
    """A file with one to four edits, each a piece put in at any place of the text or
    a line given twice (a key twice, a list item more); now and then every line break
    written CRLF, or a byte-order mark first."""
    text = draw(st.sampled_from(files))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.integers(0, 5))
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at) + 1 or len(text)
        colon = text.find(": ", start, end)
        if kind == 0:
            text = text[:start] + text[start:end] + text[start:]
        elif kind == 1 and colon > 0:
            value = draw(st.sampled_from(VALUES))
            text = text[: colon + 2] + value + text[end - 1 : end].strip(" ") + text[end:]
        else:
            text = text[:at] + draw(st.sampled_from(HIDDEN + PUNCTUATION)) + text[at:]
    if draw(st.integers(0, 9)) == 0:
        text = text.replace("\n", "\r\n")
    if draw(st.integers(0, 9)) == 0:
        text = "\ufeff" + text
    return text


@pytest.mark.parametrize(
    "loader",
    [getattr(yaml, "CSafeLoader", yaml.SafeLoader), yaml.SafeLoader],
    ids=["libyaml", "pure-python"],
)
@budget(150)
@given(data=st.data())
def test_hidden_characters_anywhere_in_kb_files_read_as_the_general_way_reads_them(
    files: list[str], loader: type[yaml.SafeLoader], data: st.DataObject
) -> None:
    text = data.draw(edited(files))
    original = yaml_reader._Loader
    yaml_reader._Loader = loader  # (monkeypatch is a function-scoped fixture)
    try:
        assert outcome(parse_yaml, text) == outcome(parse_yaml_generally, text)
    finally:
        yaml_reader._Loader = original
