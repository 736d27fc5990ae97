"""Listing a KB folder: one that cannot be listed is an `unreadable` problem, never empty.

`Path.glob` swallows a permission error and yields nothing, and `Path.iterdir` raises a
bare `PermissionError`: a `kb/tests` folder nobody may list read as "no test cases" (and
a release went out untested), a `rules` folder as a traceback. Every KB folder is listed
here instead, and a folder that cannot be searched (`kb/` itself, mode 000) is reported
the same way before anything inside it is looked at.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from ..errors import KBError, Problem

_HINT = "let this user read and search the folder (chmod u+rx, or change its owner)"


def unlistable(display_name: str, error: OSError) -> Problem:
    """The `unreadable` problem of a folder that could not be listed or searched."""
    reason = error.strerror or str(error)
    return Problem(
        display_name, 0, 0, "unreadable", f"cannot list folder `{display_name}`: {reason}", _HINT
    )


def yaml_files(folder: Path, display_name: str, *, hidden: bool = True) -> list[Path]:
    """The `.yaml` and `.yml` files in `folder`, sorted (without dot-files unless `hidden`).

    Raises `KBError` with one `unreadable` problem when the folder cannot be listed.
    """
    try:
        with os.scandir(folder) as entries:
            names = [entry.name for entry in entries]
    except OSError as error:
        raise KBError([unlistable(display_name, error)]) from None
    return sorted(
        folder / name
        for name in names
        if name.endswith((".yaml", ".yml")) and (hidden or not name.startswith("."))
    )


def resolves_outside(path: Path, root: Path) -> Path | None:
    """Where `path` leads, through any links, when that is outside the folder `root`
    (None: inside it, or a link loop, which reading the file reports)."""
    try:
        target = path.resolve()
        base = root.resolve()
    except (OSError, RuntimeError):
        return None
    return None if target.is_relative_to(base) else target


def outside_problem(path: Path, root: Path, display_name: str) -> Problem | None:
    """The `outside-kb` problem of a KB file or folder that a link leads out of the KB
    at `root` (None: it stays inside). Such a file is not read: a KB file is the KB's
    own text, and a link to /etc/passwd must be neither read nor quoted."""
    target = resolves_outside(path, root)
    if target is None:
        return None
    return Problem(
        display_name,
        0,
        0,
        "outside-kb",
        f"`{display_name}` is a link to {target}, outside the KB: not read",
        "copy the file into the KB; or, for a KB whose links you trust, give "
        "--allow-outside-links, or load(path, allow_links_outside=True) in Python",
    )


def unsearchable(folder: Path, display_name: str) -> Problem | None:
    """An `unreadable` problem if what is inside `folder` cannot be looked at (no x bit)."""
    if not os.path.isdir(folder):
        return None
    effective = os.access in os.supports_effective_ids
    if os.access(folder, os.X_OK, effective_ids=effective):
        return None
    return unlistable(display_name, PermissionError(errno.EACCES, os.strerror(errno.EACCES)))
