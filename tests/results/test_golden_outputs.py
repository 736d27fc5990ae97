"""Every answer byte for byte as written down in tests/results/golden/.

The speed work (issue 23) promises answers, explanations and JSON that do not change:
this compares a fresh run of every example profile's commands, and the digests of
generated profiles' answers, with the files `python -m tests.support.golden_outputs
--write` wrote. After an edit of the bundled KB, write them again and read the diff.
"""

from __future__ import annotations

import difflib

import pytest
from tests.support.golden_outputs import GOLDEN, main


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # The command the docs give for writing them, into a folder of its own.
    folder = tmp_path_factory.mktemp("golden")
    main(["--write", "--into", str(folder)])
    return {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}


def test_the_same_outputs_are_written_down(fresh: dict[str, str]) -> None:
    assert sorted(fresh) == sorted(path.name for path in GOLDEN.iterdir())


@pytest.mark.parametrize("name", sorted(path.name for path in GOLDEN.iterdir()))
def test_output_is_byte_for_byte_what_was_written_down(fresh: dict[str, str], name: str) -> None:
    written = (GOLDEN / name).read_text(encoding="utf-8")
    now = fresh.get(name, "")
    if now != written:
        diff = difflib.unified_diff(
            written.splitlines(), now.splitlines(), "written down", "now", lineterm="", n=1
        )
        pytest.fail(f"{name} changed:\n" + "\n".join(list(diff)[:60]))
