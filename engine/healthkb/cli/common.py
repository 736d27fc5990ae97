"""What every command shares: exit codes, usage errors, loading the KB an option names."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..knowledge_base import KnowledgeBase, load

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command line names something unusable (a missing folder, say): exit 2."""


def kb_folder(path: str | None) -> str | None:
    """The KB folder an option names, checked to be a folder (None: the bundled KB)."""
    if path is not None and not Path(path).is_dir():
        raise UsageError(f"{path}: not a folder (give the folder that holds kb/ and rules/)")
    return path


def load_kb(path: str | None) -> KnowledgeBase:
    return load(kb_folder(path))


def add_kb_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", help="folder holding kb/ and rules/ (default: the bundled KB)")


def output_path(name: str) -> Path:
    """A file or folder the command will create: its parent folder must already exist."""
    path = Path(name)
    if not path.parent.is_dir():
        raise UsageError(f"{name}: folder {path.parent} does not exist")
    return path
