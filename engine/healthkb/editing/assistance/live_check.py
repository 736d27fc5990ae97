"""Check a KB as it is in an editor: its files on disk, with the unsaved texts of the
open ones in their place (for the language server's diagnostics and hovers).

The files are copied into a temporary folder with the open texts written over them, and
checked there as `healthkb validate` checks them (`kb_validation.check_kb`): the problems name
files relative to the KB's root, as on disk.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from ..kb_validation import KBCheck, check_kb

KB_FOLDERS = ("kb", "rules")


def kb_root_of(path: Path) -> Path | None:
    """The KB a file belongs to: the nearest folder above it holding `kb/kb.yaml`."""
    for folder in path.parents:
        if (folder / "kb" / "kb.yaml").is_file():
            return folder
    return None


def kb_texts(root: Path, open_texts: dict[str, str]) -> dict[str, str]:
    """Every YAML file of the KB (name relative to `root` -> text), open texts first."""
    texts: dict[str, str] = {}
    for folder in KB_FOLDERS:
        for path in sorted((root / folder).rglob("*.y*ml")):
            if path.is_file():
                name = path.relative_to(root).as_posix()
                try:
                    texts[name] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
    texts.update(open_texts)
    return texts


def check_as_edited(root: Path, open_texts: dict[str, str]) -> KBCheck:
    """Check the KB under `root` with `open_texts` (relative name -> text) in place of
    those files on disk."""
    with tempfile.TemporaryDirectory(prefix="healthkb-live-") as scratch:
        copy = Path(scratch) / "edited"
        copy.mkdir()
        for folder in KB_FOLDERS:
            if (root / folder).is_dir():
                shutil.copytree(root / folder, copy / folder, symlinks=True)
        for name, text in open_texts.items():
            target = copy / name
            if copy not in target.resolve().parents:
                continue  # a name outside the KB is never written
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return check_kb(copy)
