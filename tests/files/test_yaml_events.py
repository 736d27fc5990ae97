"""The short way of reading YAML (`yaml_events.py`) gives what the general way gives.

`parse_yaml` reads a plain file straight from the parser's events and leaves anything
else to the general way (node graph, then `Builder`). Whichever way a text goes, the
data (types and key order included), the place of every value (in the file's order)
and the problems must be those of the general way. These tests hold the two to each
other on every YAML file of the repository, generated KBs, random edits of them,
hand-made hostile texts and generated texts, with libyaml and with the pure-Python
parser; and they check that the files of a KB do take the short way.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from tests.benchmarks.diamond_kb import write_diamond_kb
from tests.benchmarks.generated_kb import write_generated_kb

from healthkb.errors import KBError
from healthkb.files import yaml_lines, yaml_reader
from healthkb.files.yaml_events import PlainScalars
from healthkb.files.yaml_reader import parse_yaml, parse_yaml_generally
from healthkb.files.yaml_syntax import has_hidden_line_break
from support.fuzzing import budget
from support.old_yaml_lines import read_block_lines as read_block_lines_before

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY_FILES = sorted(
    path
    for pattern in ("*.yaml", "*.yml")
    for path in ROOT.rglob(pattern)
    if ".git" not in path.parts and "node_modules" not in path.parts and "venv" not in str(path)
)

LOADERS = {
    "libyaml": getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    "pure-python": yaml.SafeLoader,
}


def nested(depth: int, flow: bool) -> str:
    if flow:
        return "a: " + "[" * (depth - 1) + "x" + "]" * (depth - 1) + "\n"
    return "".join(f"{'  ' * level}k{level}:\n" for level in range(depth - 1)) + (
        "  " * (depth - 1) + "k: x\n"
    )


HOSTILE = [
    "",
    "# only a comment\n",
    "---\n",
    "plain scalar document\n",
    "- a\n- b\n",
    "a: 1\n---\nb: 2\n",
    "---\na: 1\n...\n",
    "%YAML 1.1\n---\na: 1\n",
    "\ufeffa: 1\n",
    "a: 1\r\nb: [x, y]\r\n",
    "a: &x 1\nb: *x\n",
    "a: *x\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
    "a: &x [*x]\n",
    "a: !!str 1\n",
    "a: !!python/none x\n",
    "a: !custom x\n",
    "a: ! x\n",
    "!!map {a: 1}\n",
    "!custom\na: 1\n",
    "--- !custom [1]\n",
    "a: !custom {b: 1}\n",
    "a: [!custom [1]]\n",
    "a: !!set {b, c}\n",
    "? [complex]\n: key\n",
    "? a\n: b\n",
    "1: one\n",
    "yes: word\n",
    "~: none\n",
    "null: none\n",
    "=: value key\n",
    "<<: {a: 1}\n",
    "'<key>': {a: 1}\n<key>: 2\n",
    "<key>: {a: [1, {b: 2}]}\n",
    "a: 1\na: 2\n",
    "a: {b: 1, b: 2}\n",
    "a: yes\nb: No\nc: on\nd: OFF\n",
    "a: 035\nb: 1_000\nc: 0b101\nd: 1:05\ne: 1e3\nf: 0o17\ng: 0x1F\nh: 1.0e+3\n",
    "a: -0\nb: +1\nc: .5\nd: 1.\ne: .inf\nf: -.INF\ng: .NaN\nh: 08\n",
    "a: 2025-02-30\n",
    "a: 2025-01-01\nb: 2025-01-01 10:00:00\nc: 2025-01-01t10:00:00.5Z\n",
    "a: " + "9" * 5000 + "\n",
    "a:\nb: ~\nc: null\nd: Null\ne: ''\n",
    "a: |\n  text\n  more\nb: >-\n  folded\n  text\n\nc: |+\n  kept\n\n",
    "a: \"line\n  two\"\nb: 'it''s'\nc: \"\\t\\u00e9\\x41\"\n",
    "a: plain\n  continued\n  lines\n",
    "a: [1, 2\n",
    "a: {b: 1\n",
    'a: "open\nb: 2\n',
    "a:\n\t- b\n",
    "a: b: c\n",
    "- a\nb: c\n",
    "a: @x\n",
    "a: `x\n",
    "a: x\u2028y\n",
    "a: x\x85y\n",
    "a: x\x07y\n",
    "a: {}\nb: []\nc: [[], {}]\n",
    "- - - x\n  - y\n- {a: [1, {b: c}]}\n",
    "- ? a\n",
    "[a, b]: c\n",
    "{a: 1}: c\n",
    nested(62, False),
    nested(63, False),
    nested(64, False),
    nested(65, False),
    nested(66, False),
    nested(63, True),
    nested(64, True),
    nested(65, True),
    nested(1100, True),
    "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n",
    "a: 'é中文'\nb: 中文: x\n",
    "中文: [é, 'ü']\n",
]

MUTATION_PIECES = [
    *":-[]{}'\"\t #&*!|>%@`,?\\",
    "&a ",
    "*a",
    "!!str ",
    "!x ",
    "yes",
    "035",
    "1_000",
    "1:05",
    "0o7",
    "1e3",
    "~",
    "<<: ",
    "\n- ",
    "\n  ",
    "2025-02-30",
]


def mutated(text: str, seed: int) -> str:
    """`text` with one to three edits of the kinds an editor makes (the same every run)."""
    rng = random.Random(seed)
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        i = rng.randrange(len(lines))
        kind = rng.choice(["delete", "duplicate", "indent", "insert", "retype", "cut"])
        if kind == "delete":
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "indent":
            lines[i] = rng.choice([" ", "  ", "\t", ""]) + lines[i][rng.choice([0, 1, 2]) :]
        elif kind == "insert":
            at = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:at] + rng.choice(MUTATION_PIECES) + lines[i][at:]
        elif kind == "retype" and ": " in lines[i]:
            key = lines[i].split(": ", 1)[0]
            lines[i] = f"{key}: {rng.choice([*MUTATION_PIECES, '1', 'true', '[a, b]', '{}'])}"
        elif kind == "cut":
            return "\n".join(lines)[: rng.randint(1, max(1, len(text)))]
        text = "\n".join(lines)
    return text


def outcome(read: Any, text: str) -> tuple[Any, ...]:
    """What a way of reading gives: the data (with its types and order) and every place,
    in order, or the problems."""
    try:
        located = read(text, "f.yaml")
    except KBError as error:
        return ("problems", [str(problem) for problem in error.problems])
    return ("read", repr(located.data), list(located.places.items()))


def short_outcome(read: tuple[Any, Any]) -> tuple[Any, ...]:
    return ("read", repr(read[0]), list(read[1].items()))


def containers(data: Any) -> Iterator[Any]:
    """Every mapping and list in `data`, itself included (each time it is reached)."""
    if isinstance(data, dict | list):
        yield data
        for value in data.values() if isinstance(data, dict) else data:
            yield from containers(value)


def read_by_lines_before(text: str) -> tuple[Any, Any] | None:
    """`yaml_reader._read_by_lines` with the line reader as it was before each line's
    shape was worked out once per text (tests/support/old_yaml_lines.py)."""
    resolving = yaml_reader._quick_loader()("")
    try:
        return read_block_lines_before(text, PlainScalars(resolving, "f.yaml"))
    finally:
        resolving.dispose()


def assert_read_alike(text: str) -> None:
    general = outcome(parse_yaml_generally, text)
    assert outcome(parse_yaml, text) == general
    if has_hidden_line_break(text):
        return  # `parse_yaml` takes neither short way then
    # Each short way on its own, where it answers (`parse_yaml` tries the lines first).
    for short in (yaml_reader._read_by_lines, yaml_reader._read_by_events):
        read = short(text, "f.yaml")
        if read is not None:
            assert short_outcome(read) == general, short.__name__
            # A new mapping or list for each `{}`, `[]` and block, however many lines
            # have the same text: none is reached twice.
            found = [id(container) for container in containers(read[0])]
            assert len(found) == len(set(found)), short.__name__
    # The line way takes exactly the texts it took before each line's shape was
    # worked out once per text, no fewer (a slower load) and no more.
    before = read_by_lines_before(text)
    now = yaml_reader._read_by_lines(text, "f.yaml")
    assert (now is None) == (before is None)
    if now is not None and before is not None:
        assert short_outcome(now) == short_outcome(before)


@pytest.fixture(params=sorted(LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(yaml_reader, "_Loader", LOADERS[request.param])
    yield request.param


@pytest.fixture(scope="module")
def generated_texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    roots = [
        write_generated_kb(tmp_path_factory.mktemp("kb") / "kb", 600),
        write_generated_kb(tmp_path_factory.mktemp("kb") / "kb", 150, changeable=True),
        write_diamond_kb(tmp_path_factory.mktemp("kb") / "kb", 12),
    ]
    paths = [path for root in roots for path in sorted(root.rglob("*.yaml"))]
    return [path.read_text(encoding="utf-8") for path in paths]


def test_the_files_of_a_kb_take_the_short_way(generated_texts: list[str]) -> None:
    # Otherwise the tests below would only compare the general way with itself.
    for text in generated_texts:
        assert "&" in text or yaml_reader._read_plain(text, "f.yaml") is not None


def test_the_rule_files_of_a_generated_kb_are_read_line_by_line(
    generated_texts: list[str],
) -> None:
    # And the line-by-line way is compared too, on the files it is there for.
    # (yaml.safe_dump writes an anchor where one list is used twice: not on this way.)
    rule_files = [t for t in generated_texts if t.startswith("rules:\n- id:") and "&" not in t]
    assert len(rule_files) >= 4
    for text in rule_files:
        assert yaml_reader._read_by_lines(text, "f.yaml") is not None


def test_the_line_way_refuses_exactly_the_characters_outside_its_grammar() -> None:
    # `\n`, printable ASCII and YAML's printable characters from U+00A0 on, but for the
    # line and paragraph separators and U+FEFF; every other code point hands the text on.
    def allowed(code: int) -> bool:
        if code == 0x0A or 0x20 <= code <= 0x7E:
            return True
        printable = 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000
        return printable and code not in (0x2028, 0x2029, 0xFEFF)

    refused = yaml_lines._OUTSIDE
    assert [c for c in range(0x110000) if (refused.match(chr(c)) is None) != allowed(c)] == []


def test_the_line_way_refuses_the_same_characters_in_ascii_text_and_in_any_text() -> None:
    # ASCII text is checked with `str.isprintable` line by line, other text with
    # `_OUTSIDE`: the same characters are refused either way, wherever they are.
    refused = yaml_lines._OUTSIDE
    for code in [*range(0x3000), 0xFEFF, 0xFFFE, 0xFFFF, 0x10000, 0x10FFFF]:
        for text in (f"a: x{chr(code)}y\n", f"{chr(code)}\n", f"a: 1\nb: {chr(code)}"):
            lines = dict.fromkeys(text.split("\n"))
            expected = refused.search(text) is not None
            assert yaml_lines.refuses_a_character(text, lines) is expected, hex(code)


@pytest.mark.parametrize("path", REPOSITORY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_repository_reads_alike(path: Path, loader: str) -> None:
    assert_read_alike(path.read_text(encoding="utf-8"))


def test_generated_kbs_read_alike(generated_texts: list[str]) -> None:
    for text in generated_texts:
        assert_read_alike(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_and_unusual_texts_read_alike(text: str, loader: str) -> None:
    assert_read_alike(text)


@pytest.mark.parametrize("path", REPOSITORY_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_edited_repository_files_read_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for seed in range(40):
        assert_read_alike(mutated(text, seed))


def test_edited_repository_files_read_alike_with_the_pure_python_parser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(yaml_reader, "_Loader", yaml.SafeLoader)
    for path in REPOSITORY_FILES:
        text = path.read_text(encoding="utf-8")
        for seed in range(4):
            assert_read_alike(mutated(text, seed))


def test_with_a_path_resolver_every_file_goes_the_general_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A path resolver (PyYAML's, added by another library) makes a tag depend on the path.
    resolvers = {((("map", "a"),), yaml.ScalarNode): "tag:yaml.org,2002:str"}
    monkeypatch.setattr(yaml_reader._Loader, "yaml_path_resolvers", resolvers)
    assert yaml_reader._read_plain("a: 1\n", "f.yaml") is None


KEYS = st.sampled_from(["a", "b", "id", "'q'", '"d"', "<key>", "1", "yes", "~", "<<", "x y"])
SCALARS = st.sampled_from(
    [
        "x",
        "'x'",
        '"x\\ty"',
        "1",
        "-2.5",
        "035",
        "1_0",
        "0o7",
        "1e3",
        "0x1F",
        "yes",
        "Off",
        "true",
        "~",
        "",
        "2025-01-01",
        "2025-02-30",
        "&a x",
        "*a",
        "!!str 1",
        "!t x",
        "a # comment",
        "é",
        ".inf",
        "1:30",
    ]
)


@st.composite
def yaml_texts(draw: st.DrawFn, indent: str = "", depth: int = 0) -> str:
    """A block mapping or list of scalars, flow collections and nested blocks."""
    lines = []
    as_list = draw(st.booleans())
    for _ in range(draw(st.integers(1, 4))):
        lead = f"{indent}- " if as_list else f"{indent}{draw(KEYS)}: "
        choice = draw(st.integers(0, 3 if depth < 3 else 1))
        if choice == 0:
            lines.append(lead + draw(SCALARS))
        elif choice == 1:
            items = draw(st.lists(SCALARS, max_size=3))
            if draw(st.booleans()):
                lines.append(lead + "[" + ", ".join(items) + "]")
            else:
                pairs = [f"{draw(KEYS)}: {item}" for item in items]
                lines.append(lead + "{" + ", ".join(pairs) + "}")
        else:
            lines.append(lead.rstrip())
            lines.append(draw(yaml_texts(indent + "  ", depth + 1)).rstrip("\n"))
    return "\n".join(lines) + "\n"


@budget(300)
@given(yaml_texts())
def test_any_generated_text_reads_alike(text: str) -> None:
    assert_read_alike(text)


DUMPED_SCALARS = (
    st.text(max_size=30)
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.none()
    | st.dates()
    | st.sampled_from(["yes", "035", "1_000", "1:05", "0o7", "1e3", "~", "", "<key>", "a\nb"])
)
DUMPED = st.recursive(
    DUMPED_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@budget(200)
@given(
    st.dictionaries(st.text(max_size=8), DUMPED, min_size=1, max_size=4)
    | st.lists(DUMPED, min_size=1),
    st.sampled_from([True, False, None]),
    st.integers(20, 100),
)
def test_any_dumped_data_reads_alike(data: Any, flow: bool | None, width: int) -> None:
    # What PyYAML writes, as editors and `healthkb fmt` lay YAML out: every style of
    # scalar (quoted, escaped, folded over lines), flow or block collections.
    text = yaml.safe_dump(data, default_flow_style=flow, width=width, allow_unicode=True)
    assert_read_alike(text)


@budget(300)
@given(st.from_regex(r"[-+]?(?:0[bxo]?)?[0-9_a-fA-F]{0,25}(?::[0-9]{1,3})?", fullmatch=True))
def test_any_number_like_value_reads_alike(text: str) -> None:
    # Whole numbers are read the short way (`PlainScalars`, `_DECIMAL`): each must be
    # what PyYAML's constructor and the checks make of it, or refused as they refuse it.
    assert_read_alike(f"a: {text}\nb:\n- {text}\n")


# The line-by-line way (`yaml_lines.py`): texts at the edges of its grammar, each read
# alike whichever way takes it.
LINE_EDGES = [
    "a: b #c\n",
    "a: b#c\n",
    "a: b :c\n",
    "a: b:c\n",
    "a: b: c\n",
    "a: b:\n",
    "a: -\n",
    "a: -1\n",
    "a: - x\n",
    "a: -x\n",
    "a:  x\n",
    "a: x \n",
    "a: 'x' \n",
    "a:\n",
    "a: ''\nb: ''''\nc: 'it''s'\nd: \"x'y\"\ne: \"\"\n",
    'a: "x\\y"\n',
    "a'b: 1\na#b: 2\na,b: 3\nx]: 4\n",
    "a b: 1\n",
    "a : 1\n",
    ".a: 1\n",
    "-a: 1\n",
    "é: ü\n中文: 中文\n",
    "k" * 1000 + ": x\n",
    "k" * 1030 + ": x\n",
    "-  a: 1\n   b: 2\n",
    "- a:b\n",
    "- - x\n",
    "-\n  a: 1\n",
    "- \n",
    "a:\n- x\n- y\nb: 1\n",
    "a:\n  - x\n  b: 1\n",
    "a:\n  b: 1\n c: 2\n",
    "a:\n  b: 1\n   c: 2\n",
    "a: 1\n  b: 2\n",
    "a: 1\n  - b\n",
    "- a\n  - b\n",
    "- a\n  b\n",
    "a: x\n  y\n",
    "a:\n  - b:\n    - c\n  - d\n",
    "a:\n- b:\n  - c\n- d:\ne:\n",
    "  a: 1\n  b: 2\n",
    "  a: 1\nb: 2\n",
    "- a\n- b\nc: 1\n",
    "a: 1\n- b\n",
    "# c\na: 1\n  # d\nb:\n# e\n  c: 2\n",
    "\n\na: 1\n\n\n",
    "a: 1",
    "a: 1\n...\n",
    "--- \na: 1\n",
    "a: {}\nb: []\nc:\n- {}\n- []\n",
    "a: {x}\n",
    "a: 2025-01-01\nb: 1.5\nc: .inf\nd: 0x1F\ne: ~\nf: Null\ng: =\nh: <<\n",
    "a: yes\n",
    "a: 035\n",
    "a: 1_000\n",
    "a: 2025-02-30\n",
    "<key>: 1\n<key>:\n",
    "<key>:\n  a: 1\nb:\n  <key>:\n  - 1\n",
    "a: 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n",
    "yes: 1\n",
    "1: a\n",
    "~: a\n",
    # keys checked as names only where their first character starts an implicit tag
    "+1: a\n",
    "Null: a\n",
    "NULL: a\n",
    "on: a\n",
    "True: a\n",
    "=: a\n",
    "2025-01-01: a\n",
    "0x1F: a\n",
    "y: a\nn: b\nkey: c\nvalue: d\n",
    "a:\n  yes: 1\n",
    "- on: 1\n",
    "a:\tb\n",
    "a: b\r\n",
    "a: b\x85c\n",
    "\ufeffa: 1\n",
    "a: \ufeff\n",
    "a: b\x7f\n",
    nested(47, False),
    nested(48, False),
    nested(49, False),
    nested(50, False),
    nested(66, False),
    "".join(f"{'  ' * level}- k{level}:\n" for level in range(70)),
    # plain scalars going on over lines
    "a: b\n  c\n",
    "a: b\n c d\n  e\nx: 1\n",
    "- b\n  c\n- d\n",
    "- b\n c\n",
    "k:\n- b\n c\n",
    "- a: b\n    c\n",
    "- a: b\n   c\n",
    "- a: b\n  c\n",
    "a: 1\n  2\n",
    "a: 1\n  .5\n",
    "a: yes\n  no\n",
    "a: b\n\n  c\n",
    "a: b\n  c\n\n  d\n",
    "a: b\n  #c\n  d\n",
    "a: b\n  c #d\n",
    "a: b\n  c:d\n",
    "a: b\n  c: d\n",
    "a: b\n  - c\n",
    "a: b\n  'c'\n",
    "a: b\n  ---\n",
    "a: b\n  ...\n",
    "a: b\n...\n",
    "a:\n  b\n",
    "a: 'b'\n  c\n",
    "a: {}\n  c\n",
    "<key>: b\n  c\n",
    "a: b\n  c",
    "a: 2025-01-01\n  x\n",
    "a: x\n  035\n",
    # the same line in several places: its shape is worked out once per text
    "a:\n  b: {}\nc:\n  b: {}\n",
    "- {}\n- {}\n- []\n- []\n",
    "a:\n- []\nb:\n- []\n",
    "a: x\n  y\nb: x\n  y\n",
    "a: x\n  y\n- x\n  y\n",
    "- x\n  y\n- x\n  y\n",
    "a:\nb:\na:\n",
    "- a:\n- a:\n",
    "- a:\n  - a:\n    - a:\n",
    "a:\n  a:\n    a:\n  a:\n",
    "<key>: 1\nx:\n  <key>: 1\n",
    "<key>:\nx:\n  <key>:\n",
    "a: 1\nb:\n  a: 1\n  a: 1\n",
    "- a: 1\n- a: 1\n  a: 1\n",
    "a: yes\nb:\n  a: yes\n",
    "y\na: y\n",
    "a: b\n  c\nc\n",
    "a: b\n  c\n  c\nd:\n  c\n",
    "a:\n\n\nb:\n\n  c: 1\n\n",
    "# c\na:\n# c\n  b: 1\n# c\n",
]


@pytest.mark.parametrize("text", LINE_EDGES)
def test_texts_at_the_edges_of_the_line_grammar_read_alike(text: str, loader: str) -> None:
    assert_read_alike(text)


LINE_KEYS = st.sampled_from(["a", "b", "id", "<key>", "yes", "1", "a.b", "x-y", "é", "a b"])
LINE_VALUES = st.sampled_from(
    [
        *["x", "x y", "'q'", "'it''s'", '"d"', '"a\\tb"', "{}", "[]", "1", "035", "true"],
        *["yes", "~", "-1", "-", "a: b", "x #c", "x#c", "a:b", "'open", "[a]", "{a: 1}"],
        *["&a x", "*a", "!t x", "|", ">-", "2025-02-30", ":x", "x:", "x ", " ", "é 中"],
    ]
)


@st.composite
def block_lines(draw: st.DrawFn) -> str:
    """Lines of the shapes the line-by-line way takes (and some it does not), at
    indentations that nest as block YAML does about as often as not."""
    lines = []
    for _ in range(draw(st.integers(1, 14))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 2, 4, 4, 6, 1, 3]))
        dash = draw(st.sampled_from(["", "", "", "- ", "- ", "-  ", "-"]))
        shape = draw(st.integers(0, 6))
        key, value = draw(LINE_KEYS), draw(LINE_VALUES)
        body = [f"{key}:", f"{key}: {value}", f"{key}: {value}", value, "# c", "", key][shape]
        lines.append(indent + dash + body)
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@budget(400)
@given(block_lines())
def test_any_block_lines_read_alike(text: str) -> None:
    assert_read_alike(text)


GOOD_VALUES = st.sampled_from(["x", "x y", "'q'", "'it''s'", '"d"', "{}", "[]", "1", "true", "~"])
GOOD_KEYS = ["a", "b", "id", "é", "x-y", "a.b", "<key>"]


@st.composite
def block_tree(
    draw: st.DrawFn, column: int = 0, depth: int = 0, as_list: bool | None = None
) -> list[str]:
    """The lines of a block mapping or list whose keys or dashes are at `column`, nested
    as block YAML nests (indented or not, dashes followed by one space or more), with a
    comment or a blank line here and there and now and then a key or a value the
    line-by-line way does not take."""
    lines = []
    if as_list is None:
        as_list = draw(st.booleans())
    keys = draw(st.permutations(GOOD_KEYS))
    for number in range(draw(st.integers(1, 4))):
        key = keys[number] if draw(st.integers(0, 19)) else draw(LINE_KEYS)
        lead = "-" + " " * draw(st.integers(1, 2)) if as_list else key + ":"
        if depth < 3 and draw(st.booleans()):
            inner_column = column + draw(st.sampled_from([1, 2, 4]))
            if as_list:
                inner_column = column + len(lead)
            elif draw(st.booleans()):
                inner_column = column  # a list as a key's value may stand at the key's column
            inner_list = None if not as_list or not draw(st.integers(0, 9)) else False
            inner = draw(block_tree(inner_column, depth + 1, inner_list))
            if as_list:
                lines.append(" " * column + lead + inner[0][inner_column:])
                lines.extend(inner[1:])
            else:
                lines.append(" " * column + lead)
                lines.extend(inner)
        else:
            value = draw(GOOD_VALUES if draw(st.integers(0, 19)) else LINE_VALUES)
            lines.append(" " * column + lead + " " + value)
            if not draw(st.integers(0, 4)):  # a scalar going on, at some indentation
                lines.append(" " * (column + draw(st.integers(0, 4))) + draw(LINE_VALUES))
        if not draw(st.integers(0, 9)):
            lines.append(" " * draw(st.integers(0, 6)) + draw(st.sampled_from(["", "# c"])))
    return lines


@budget(400)
@given(block_tree())
def test_any_block_tree_reads_alike(lines: list[str]) -> None:
    assert_read_alike("\n".join(lines) + "\n")


@budget(150)
@given(st.lists(block_tree(), min_size=2, max_size=4), st.data())
def test_block_trees_sharing_their_lines_read_alike(trees: list[list[str]], data: Any) -> None:
    # The line way works out each different line once per text: the same lines in
    # several places (another tree's, a copy of one, a line moved elsewhere) must each
    # read as they would alone, and each `{}` or `[]` be a new mapping or list.
    lines = [line for tree in trees for line in tree]
    for _ in range(data.draw(st.integers(0, 3))):
        lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(lines)))
    assert_read_alike("\n".join(lines) + "\n")
    assert_read_alike("\n".join(trees[0] * 2) + "\n")
