"""Reading the files of one KB into models, collecting problems instead of stopping."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from ...errors import KBError, Problem
from ...files.folders import outside_problem, yaml_files
from ...files.regular_file import kind_of
from ...files.yaml_reader import Located, read_yaml
from ..diagnostics.located_validation import validate_located

M = TypeVar("M", bound=BaseModel)

MAX_FILES = 2000


class FileReader:
    """Reads files of one KB, collecting problems instead of stopping at the first."""

    def __init__(self, root: Path, *, links_outside: bool = False) -> None:
        self.root = root
        self.links_outside = links_outside  # read files that links lead to outside root
        self.problems: list[Problem] = []
        # Files that failed, with their raw data when the YAML itself could be read.
        self.failed: dict[Path, Any] = {}
        # The same files, as read, when their YAML could be read (to salvage from).
        self.failed_located: dict[Path, Located] = {}
        # Folders that exist but could not be listed: what is in them is unknown.
        self.unlisted: set[str] = set()

    def name(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def read(self, path: Path, model: type[M]) -> tuple[M, Located] | None:
        if self.outside(path):
            self.failed[path] = None
            return None
        try:
            located = read_yaml(path, self.name(path))
        except KBError as error:
            self.problems += error.problems
            self.failed[path] = None
            return None
        if located.data is None:
            self.problems.append(
                Problem(
                    located.file,
                    1,
                    1,
                    "empty-file",
                    "file is empty",
                    "write its content (docs/editors.md shows each file), or delete it",
                )
            )
            self.failed[path] = None
            return None
        item, problems = validate_located(model, located)
        self.problems += problems
        if item is None:
            self.failed[path] = located.data
            self.failed_located[path] = located
            return None
        return item, located

    def folder(self, relative: str, required: bool) -> list[Path]:
        folder = self.root / relative
        if not folder.is_dir():
            if required:
                kind = kind_of(folder)
                message = (
                    f"`{relative}` is {kind}, not a folder"
                    if kind
                    else f"folder `{relative}` not found"
                )
                action = "move it away and create" if kind else "create"
                hint = f"a KB holds `kb/sources/` and `rules/`: {action} the folder `{relative}/`"
                self.problems.append(Problem(relative, 0, 0, "missing-folder", message, hint))
            return []
        if self.outside(folder):
            self.unlisted.add(relative)
            return []
        try:
            files = yaml_files(folder, relative)
        except KBError as error:
            self.problems += error.problems
            self.unlisted.add(relative)
            return []
        if len(files) > MAX_FILES:
            self.problems.append(
                Problem(
                    relative,
                    0,
                    0,
                    "too-many-files",
                    f"more than {MAX_FILES} files",
                    "gather items into fewer files: a file may hold many rules",
                )
            )
            return []
        return files

    def outside(self, path: Path) -> bool:
        """Whether a link leads `path` out of the KB (then reported, and not read),
        unless links out are allowed."""
        problem = None if self.links_outside else outside_problem(path, self.root, self.name(path))
        if problem is not None:
            self.problems.append(problem)
        return problem is not None


def lexists(path: Path) -> bool:
    """Whether anything is at `path`, even a link to nothing (which then fails to read)."""
    return path.exists() or path.is_symlink()
