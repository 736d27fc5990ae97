"""Copies of the bundled KB and a next release of it, for tests that swap releases."""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

from healthkb.cli import main

ROOT = Path(__file__).resolve().parent.parent.parent


def copy_of_bundled_kb(root: Path) -> Path:
    """The bundled KB's `kb/` and `rules/` copied to `root`."""
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    return root


def released(root: Path, *options: str) -> Path:
    """`healthkb release root --date 2026-12-01 --change ... OPTIONS` (a minor release)."""
    argv = ["release", str(root), "--date", "2026-12-01", "--change", "A test release"]
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = main([*argv, *options])
    assert code == 0, output.getvalue()
    return root


def install(release: Path, served: Path) -> None:
    """Copy every file of `release` over the served KB's folder, as an operator would."""
    for folder in ("kb", "rules"):
        shutil.copytree(release / folder, served / folder, dirs_exist_ok=True)
