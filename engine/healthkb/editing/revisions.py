"""A KB named by a folder or by a git revision, as a folder that can be loaded.

`kb_at("HEAD~1")` copies the `kb/` and `rules/` files of that commit into a
temporary folder (removed on exit) by asking git for the tree and the file contents:
no checkout, no shell, and the working tree is never touched. A name that is an
existing folder is that folder; anything else must be a revision of the repository
holding `repo` (default: the current folder), whose KB sits at the same place in the
repository as `repo` does.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import HealthKBError

KB_FOLDERS = ("kb", "rules")
GIT_TIMEOUT_SECONDS = 60


class RevisionError(HealthKBError):
    """A name that is neither a folder nor a git revision, or a revision without a KB."""


@dataclass(frozen=True)
class KBAt:
    """A KB folder ready to load, and how to name it to a reader."""

    root: Path
    label: str


@contextmanager
def kb_at(name: str, repo: str | Path = ".", other: str | None = None) -> Iterator[KBAt]:
    """The KB that `name` (a folder, or a git revision of `repo`'s repository) holds.

    `other` is the other side of the diff: when it is a folder, a revision that cannot
    be looked up is explained with the `--repo` that would name its repository.
    """
    if Path(name).is_dir():
        yield KBAt(Path(name), name)
        return
    if not name or name.startswith("-"):
        raise RevisionError(f"{name!r}: not a folder, nor a git revision")
    top = _git(repo, "rev-parse", "--show-toplevel", missing=_outside(name, repo, other))
    prefix = _git(repo, "rev-parse", "--show-prefix", missing="").strip()
    commit = _git(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        f"{name}^{{commit}}",
        missing=f"{name}: not a folder, nor a revision of the git repository {top.strip()}",
    ).strip()
    with tempfile.TemporaryDirectory(prefix="healthkb-rev-") as folder:
        _extract(Path(top.strip()), commit, prefix, Path(folder))
        yield KBAt(Path(folder), f"{name} ({commit[:12]})")


def _outside(name: str, repo: str | Path, other: str | None) -> str:
    """Why `name` is no revision when `repo` is in no git repository, and what to do."""
    where = "the current folder" if str(repo) == "." else f"--repo {repo}"
    example = (
        f"`--repo {other}`"
        if other is not None and Path(other).is_dir()
        else "`--repo FOLDER`, the KB's folder in its repository"
    )
    return (
        f"{name}: not a folder, and not a git revision either: {where} is not inside a git "
        "repository, and revisions are looked up in the repository of --repo (default: the "
        f"current folder); run the diff from the KB's repository, or add {example}"
    )


def _git(repo: str | Path, *args: str, missing: str) -> str:
    """Output of a git command run in `repo`; RevisionError(`missing`) if it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args],
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RevisionError(f"could not run git: {error}") from None
    if done.returncode != 0:
        raise RevisionError(missing or done.stderr.decode("utf-8", "replace").strip())
    return done.stdout.decode("utf-8")


def _extract(top: Path, commit: str, prefix: str, target: Path) -> None:
    """Write the revision's `kb/` and `rules/` files (below `prefix`) into `target`."""
    paths = [prefix + folder for folder in KB_FOLDERS]
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths, missing="")
    blobs: list[tuple[str, PurePosixPath]] = []
    for entry in filter(None, listing.split("\0")):
        meta, path = entry.split("\t", 1)
        mode, kind, object_id = meta.split(" ")
        # Regular files only: a symbolic link in a revision must not point outside.
        if kind == "blob" and mode in ("100644", "100755"):
            blobs.append((object_id, _safe(PurePosixPath(path).relative_to(prefix or "."))))
    if not any(p.parts[0] == "kb" for _, p in blobs):
        raise RevisionError(f"revision {commit[:12]} has no `{prefix}kb/` folder")
    contents = _cat_blobs(top, [object_id for object_id, _ in blobs])
    for (_, relative), data in zip(blobs, contents, strict=True):
        destination = target.joinpath(*relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)


def _safe(path: PurePosixPath) -> PurePosixPath:
    if path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise RevisionError(f"refusing to extract the path {str(path)!r}")
    return path


def _cat_blobs(top: Path, object_ids: list[str]) -> list[bytes]:
    """The contents of many blobs with one `git cat-file --batch`."""
    try:
        done = subprocess.run(
            ["git", "-C", str(top), "cat-file", "--batch"],
            input="".join(f"{o}\n" for o in object_ids).encode("ascii"),
            capture_output=True,
            check=True,
            timeout=GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise RevisionError(f"could not read files from git: {error}") from None
    out, at, contents = done.stdout, 0, []
    for _ in object_ids:
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split(b" ")[2])
        contents.append(out[header_end + 1 : header_end + 1 + size])
        at = header_end + 1 + size + 1
    return contents
