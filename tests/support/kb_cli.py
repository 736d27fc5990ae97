"""Run `healthkb` as an editor does: from inside the KB folder the command names.

The command line prints the places of a KB's problems from the current folder (so that
they open from where the editor stands); tests that compare those lines with the KB's
own paths run the command from inside the KB, as the docs' walk-throughs do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path

from healthkb.cli import main


def kb_named(argv: Sequence[str]) -> Path | None:
    """The KB folder (one holding kb/kb.yaml) of the first argument that is one, or is a
    file inside one (a case file), if any."""
    for argument in argv:
        path = Path(argument).resolve()
        if not path.exists():
            continue
        for folder in [path, *path.parents] if path.is_dir() else path.parents:
            if (folder / "kb" / "kb.yaml").exists():  # a named pipe in its place too
                return folder
    return None


def main_in_kb(argv: Sequence[str] | None = None) -> int:
    """`healthkb.cli.main(argv)`, run from inside the KB folder `argv` names."""
    root = kb_named(argv or [])
    with contextlib.chdir(root) if root is not None else contextlib.nullcontext():
        return main(argv)
