"""What every command shares: exit codes, usage errors, which KB a command works on, and
where it may write.

Which KB: the folder a command line names; without one, the KB the current folder is
in, found as git finds its repository (the nearest of the current folder and its
parents that holds `kb/kb.yaml`), so an editor working anywhere in a KB checks their
own files; otherwise the KB bundled with the package. Commands that write into a KB never write
into the bundled one: it is the installed package's copy, not anybody's source.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from ..content.languages.tags import choose_language
from ..content.languages.translated import in_language
from ..content.loading.kb_content import KBContent
from ..content.loading.loader import bundled_root
from ..errors import (
    KBError,
    Problem,
    ProfileError,
    UnknownLanguageError,
    listed,
    more_problems,
)
from ..files.folders import unsearchable
from ..files.regular_file import kind_of
from ..knowledge_base import KnowledgeBase, load

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def places_from(root: str | os.PathLike[str] | None) -> Callable[[str], str]:
    """How to show a place written relative to the KB folder `root` (`file`, or
    `file:line:column`, perhaps followed by words): relative to the current folder, or
    absolute when it is outside it, as a compiler prints them, so that the place opens
    from where the editor stands."""
    if root is None:
        return str
    here = Path.cwd()

    def place(text: str) -> str:
        file, colon, rest = text.partition(":")
        if not file or file.startswith("<"):  # not a file of the KB (standard input)
            return text
        path = Path(os.path.abspath(Path(root) / file))
        try:
            shown = str(path.relative_to(here))
        except ValueError:
            shown = str(path)
        return shown + colon + rest

    return place


def print_listed(
    error: KBError | ProfileError,
    indent: str,
    stream: TextIO,
    root: str | os.PathLike[str] | None = None,
) -> None:
    """The first problems of `error`, one a line (their `see:` and `witness:` lines under
    them), and a line counting the rest. The places of a KB's problems are shown from
    the current folder (`places_from`; `root`, or the KB folder the error names)."""
    shown, hidden = listed(error)
    if isinstance(error, KBError):
        place = places_from(root if root is not None else error.root)
        shown = [problem.shown_from(place) for problem in shown]
    for problem in shown:
        for line in str(problem).split("\n"):
            print(f"{indent}{line}", file=stream)
    if hidden:
        print(f"{indent}{more_problems(hidden)}", file=stream)


def problems_exit(problems: Iterable[Problem]) -> int:
    """The exit code of a check that found `problems`: 1, or 2 when a file or folder
    could not be read (then the KB was not checked at all, nor can it be released)."""
    if any(problem.code == "unreadable" for problem in problems):
        return EXIT_USAGE
    return EXIT_PROBLEMS


MANIFEST = "kb/kb.yaml"

# For every `--help` that takes a KB folder: the one rule, in the same words.
KB_DEFAULT_HELP = (
    "folder holding kb/ and rules/ (default: the KB the current folder is in, found by "
    "looking upwards for kb/kb.yaml, else the bundled KB)"
)


class UsageError(Exception):
    """The command line names something unusable (a missing folder, say): exit 2."""


@dataclass(frozen=True)
class KBFolder:
    """The KB a command works on: its root folder, and how to name it to the user."""

    root: Path
    label: str
    bundled: bool = False


def kb_folder_of(path: str | None) -> KBFolder:
    """The KB a command line names (see the module docstring); UsageError if unusable."""
    if path is not None:
        root = Path(path)
        if not root.is_dir():
            raise UsageError(f"{path}: not a folder (give the folder that holds kb/ and rules/)")
        if not _holds_manifest(root):
            raise UsageError(
                f"{path}: not a knowledge base: no {MANIFEST} here "
                "(give the folder that holds kb/ and rules/)"
            )
        return KBFolder(root, f"folder {path}")
    found = enclosing_kb(Path.cwd())
    if found is not None:
        relative = Path(os.path.relpath(found))
        return KBFolder(relative, f"folder {relative.as_posix()}")
    return KBFolder(bundled_root(), "bundled KB", bundled=True)


def enclosing_kb(folder: Path) -> Path | None:
    """The KB `folder` is in, as git finds its repository: the nearest of `folder` and
    its parents that holds `kb/kb.yaml` (None: it is in no KB)."""
    for candidate in (folder, *folder.parents):
        if _holds_manifest(candidate):
            return candidate
    return None


def _holds_manifest(root: Path) -> bool:
    """Whether anything is at `root/kb/kb.yaml`: a folder or a pipe there is the KB's
    broken manifest, which loading reports (`not-a-file`), not the sign of another KB."""
    manifest = root / MANIFEST
    # A `kb/` folder that cannot be searched may hold one: loading reports it `unreadable`.
    return os.path.lexists(manifest) or unsearchable(root / "kb", "kb") is not None


def kb_folder(path: str | None) -> Path:
    """The root of the KB a command reads; says so on stderr when it is the bundled one
    by default, since an editor in the wrong folder would otherwise check the wrong KB."""
    folder = kb_folder_of(path)
    if folder.bundled:
        print(
            f"healthkb: using the bundled KB (no {MANIFEST} in the current folder or above)",
            file=sys.stderr,
        )
    return folder.root


def writable_kb_folder(path: str | None, what: str) -> Path:
    """The root of the KB a command writes into: never the bundled one."""
    folder = kb_folder_of(path)
    if folder.bundled:
        raise UsageError(
            f"no {MANIFEST} in the current folder or above, and {what} does not write into the "
            "installed package's bundled KB: give the KB folder (or run it from there)"
        )
    return folder.root


def load_kb(path: str | None, allow_links_outside: bool = False) -> KnowledgeBase:
    kb = load(kb_folder(path), allow_links_outside=allow_links_outside)
    warn_pending(kb.pending, kb.version)
    return kb


def warn_pending(pending: Sequence[Problem], version: str, side: str = "") -> None:
    """Say on stderr which items changed without their new version yet: a working copy
    may be tested and reviewed like that, but not validated or released."""
    for problem in pending:
        print(f"warning: {side}{problem}", file=sys.stderr)
    if pending:
        print(
            f"warning: {side}{len(pending)} pending version bump(s): answers are stamped "
            f"{version}; `healthkb validate` and `healthkb release` refuse the KB until "
            "each version is raised",
            file=sys.stderr,
        )


def add_kb_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kb", metavar="PATH", help=KB_DEFAULT_HELP)
    add_links_option(parser)


def add_links_option(parser: argparse.ArgumentParser) -> None:
    """`--allow-outside-links`: read KB files that links lead to outside the KB folder."""
    parser.add_argument(
        "--allow-outside-links",
        action="store_true",
        help="read KB files and folders that links lead to outside the KB (refused by default)",
    )


def output_file(name: str) -> Path:
    """A file the command will write: not a folder, in a folder that already exists."""
    path = _named(name)
    if path.is_dir():
        raise UsageError(f"{name}: is a folder; give the name of a file to write")
    _check_parent(name, path)
    return path


def output_folder(name: str) -> Path:
    """A folder the command will write into: created if missing, but its parent must exist
    (a typo in a path should not grow a tree of folders)."""
    path = _named(name)
    kind = kind_of(path)
    if kind not in (None, "a folder"):
        raise UsageError(f"{name}: is {_file_word(kind)}, not a folder")
    _check_parent(name, path)
    return path


def _check_parent(name: str, path: Path) -> None:
    """UsageError unless `path`'s folder exists; naming a file on the way that is in
    the place of a folder (`README.md/x`), which is why the folder cannot exist."""
    for folder in (path.parent, *path.parent.parents):
        kind = kind_of(folder)
        if kind == "a folder" and folder == path.parent:
            return
        if kind == "a folder":
            break
        if kind is not None:
            raise UsageError(f"{name}: {folder} is {_file_word(kind)}, not a folder")
    raise UsageError(f"{name}: folder {path.parent} does not exist")


def _file_word(kind: str) -> str:
    return "a file" if kind == "a regular file" else kind


def _named(name: str) -> Path:
    if not name.strip():
        raise UsageError("--out: give a path (it is empty)")
    return Path(name)


@contextmanager
def writing(name: str | Path) -> Iterator[None]:
    """Turn a failed write (no permission, a full disk...) into a usage error naming the file."""
    try:
        yield
    except OSError as error:
        where = error.filename if error.filename is not None else name
        raise UsageError(f"cannot write {where}: {error.strerror or error}") from None


def kb_language(content: KBContent, wish: str | None) -> str:
    """The KB language `--lang` asks for (its default without `--lang`); a tag the KB
    does not speak is a `UsageError` saying which it speaks (exit 2)."""
    if wish is None:
        return content.default_language
    try:
        return choose_language(wish, content.languages)
    except UnknownLanguageError as error:
        raise UsageError(f"--lang: {error}") from None


def worded(kb: KnowledgeBase, lang: str | None) -> KBContent:
    """The KB's content worded in `lang` (a tag of its languages), or as its files say
    it for None."""
    return kb.content if lang is None else in_language(kb.content, kb.language(lang))


def add_language_option(parser: argparse.ArgumentParser, what: str) -> None:
    """`--lang L`: the language of the command's output."""
    parser.add_argument(
        "--lang",
        metavar="L",
        help=f"{what} in language L, a BCP 47 tag the KB speaks (`zh-Hans`, `zh`, `en`); "
        "the KB's default language without it",
    )
