"""Every value read from YAML keeps its place: the place tree reads as the table it replaced.

The reader keeps places in the shape of the data (`PlaceTree`) instead of one entry per
path; these tests hold it to the table of path to line and column worked out here
directly from PyYAML's node graph: a mapping's value is where its key is, a list item
where it starts, the document where its first value starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from healthkb.files.yaml_places import PathKey
from healthkb.files.yaml_reader import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
KB_FILES = sorted((ROOT / "rules").glob("*.yaml")) + sorted((ROOT / "kb").glob("*.yaml"))

NESTED = """\
rules:
  - id: a
    when: {all: [{fact: x.y, eq: 1}, {fact: x.z, ge: 2.5}]}
    because:
      - source: s
        quote: "text"
  - id: b
    tags: [one, two]
    empty: {}
    nothing: []
"""


def table(text: str) -> dict[PathKey, tuple[int, int]]:
    """Path to place, straight from the node graph."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    start = root.start_mark
    places: dict[PathKey, tuple[int, int]] = {(): (start.line + 1, start.column + 1)}

    def walk(node: Any, path: PathKey) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = (*path, key.value)
                places[here] = (key.start_mark.line + 1, key.start_mark.column + 1)
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                here = (*path, index)
                places[here] = (item.start_mark.line + 1, item.start_mark.column + 1)
                walk(item, here)

    walk(root, ())
    return places


@pytest.mark.parametrize("text", [NESTED, *(p.read_text(encoding="utf-8") for p in KB_FILES)])
def test_every_value_has_the_place_the_node_graph_gives(text: str) -> None:
    located = parse_yaml(text, "f.yaml")
    expected = table(text)
    assert dict(located.places) == expected
    assert list(located.places) == list(expected)  # in the order of the file
    for path, place in expected.items():
        assert path in located.places
        assert located.place(path) == place
        # A value that is not there is located at the nearest value that is.
        assert located.place((*path, "missing", 3)) == place


def test_a_path_through_a_scalar_or_out_of_range_finds_the_enclosing_value() -> None:
    located = parse_yaml(NESTED, "f.yaml")
    assert located.place(("rules", 1, "tags", 1)) == (8, 17)
    assert located.place(("rules", 1, "tags", 2)) == (8, 5)
    assert located.place(("rules", 1, "tags", -1)) == (8, 5)
    assert located.place(("rules", 0, "id", "deeper")) == (2, 5)
    assert located.place(("rules", "0")) == (1, 1)
    assert ("rules", 1, "tags", 2) not in located.places
    assert ("rules", "0") not in located.places
    with pytest.raises(KeyError):
        located.places[("rules", 5)]
