"""Cutting a release: new KB version and date, a changelog entry, a fresh lock file.

`release(root)` refuses a KB that does not load (the `KBError` lists every problem,
including items changed without a new version) or whose own test cases fail, picks
the version bump from what changed, then edits `kb/kb.yaml` line by line, so the
editor's comments and layout stay as they were, and rewrites `kb/rules.lock.yaml`.
Each file is written atomically (a temporary file renamed over the old one), so a
crash leaves either the old file or the new one, never half.
"""

from __future__ import annotations

import datetime
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..content.diagnostics.located_validation import validate_located
from ..content.loading.kb_content import KBContent
from ..content.loading.loader import read_content
from ..content.model import Manifest
from ..content.versioning.bump import PART_RANK, Changes, Part, next_version
from ..content.versioning.lock import LOCK_FILE, LockFile, render_lock
from ..content.versioning.lock_seal import (
    declaration_changes,
    declaration_digests,
    sealed_lock,
)
from ..errors import HealthKBError, KBError, Problem
from ..files.yaml_reader import parse_yaml
from ..knowledge_base import KnowledgeBase
from .approvals import approval_problems, approvals, clear_approvals
from .cases import CaseOutcome, run_cases
from .kb_validation import KBCheck, check_kb
from .release_gates import (
    FAILING_TEST_CASE,
    REVIEW_OVERDUE,
    GateItem,
    accepted_lines,
    gate_items,
    refused_and_accepted,
)
from .schemas import SCHEMAS_FOLDER, all_schemas, write_schemas

MANIFEST_FILE = "kb/kb.yaml"


class ReleaseError(HealthKBError):
    """A release was refused for a reason other than a broken KB (a date in the past...)."""


class NothingToRelease(ReleaseError):
    """A release was refused because nothing changed since the lock's release."""


class GatesRefusedError(ReleaseError):
    """A release was refused for what it would ship unchecked (release_gates.py).

    `refused` lists every item no `--accept` covers; `failing` the outcome of each
    failing test case among them, in the order the cases are read.
    """

    def __init__(
        self, refused: Sequence[GateItem], failing: Sequence[CaseOutcome], total: int
    ) -> None:
        self.refused = tuple(refused)
        self.failing = tuple(failing)
        self.total = total
        super().__init__(
            f"{len(self.refused)} item(s) the release would ship unchecked: "
            + "; ".join(str(item) for item in self.refused)
        )


class FailingCasesError(GatesRefusedError):
    """A release was refused because some of the KB's own test cases fail (and maybe
    for other items: `refused`)."""


@dataclass(frozen=True)
class Release:
    """What a release did: the versions before and after, its entry and the files written."""

    kb_id: str
    previous: str
    version: str
    date: datetime.date
    changes: tuple[str, ...]
    files: tuple[str, ...]
    failing_cases: tuple[CaseOutcome, ...] = ()
    bump: Part = "minor"
    reason: str = ""
    regenerated_schemas: tuple[str, ...] = ()
    accepted: tuple[GateItem, ...] = ()
    """What the release ships although a gate refuses it, accepted with a reason (the
    changelog entry lists them after `changes`)."""


def bump_version(version: str, part: Part) -> str:
    """The next semantic version: `bump_version("1.4.2", "minor") == "1.5.0"`."""
    return next_version(version, part)


def choose_bump(
    changes: Changes, asked: Part | None, locked: bool, declared: Sequence[Part] = ()
) -> tuple[Part, str]:
    """The bump of a release and why: what the changes need, or more if `asked`.

    Without a lock file (a first release) nothing was released to compare with: the
    bump is what was asked, minor by default. With one, the bump is always what the
    changes since the lock's release need (silences and the FHIR mapping included).
    """
    needed = changes.bump if locked else None
    if locked and declared:
        widest = max(declared, key=lambda p: PART_RANK[p])
        if needed is None or PART_RANK[widest] > PART_RANK[needed]:
            return _asked_or(widest, "a silence or the FHIR mapping changed", asked)
    if locked and needed is None:
        why = "nothing changed since the lock's release but what --change says"
        return _asked_or("minor", why, asked)
    if needed is None:
        if asked is not None:
            return asked, "as asked (--bump)"
        return "minor", "a first release: nothing released before to compare with"
    why = f"because {changes.reason}"
    if asked is None:
        return needed, why
    if PART_RANK[asked] < PART_RANK[needed]:
        raise ReleaseError(
            f"--bump {asked} is lower than the changes need: {needed}, {why}; "
            f"use --bump {needed} (or leave --bump out)"
        )
    if asked != needed:
        return asked, f"as asked (--bump); the changes need only {needed}, {why}"
    return asked, why


def _asked_or(needed: Part, why: str, asked: Part | None) -> tuple[Part, str]:
    if asked is None:
        return needed, f"because {why}"
    if PART_RANK[asked] < PART_RANK[needed]:
        raise ReleaseError(
            f"--bump {asked} is lower than the changes need: {needed}, because {why}; "
            f"use --bump {needed} (or leave --bump out)"
        )
    return asked, f"as asked (--bump); the changes need {needed}, because {why}"


def release(
    root: str | Path,
    part: Part | None = None,
    date: datetime.date | None = None,
    changes: Sequence[str] = (),
    *,
    allow_failing_tests: bool = False,
    accept: Mapping[str, str] | None = None,
) -> Release:
    """Release the KB under `root`: bump its version, add a changelog entry, relock.

    The bump is picked from what changed since the release the lock records (see
    `content/versioning/bump.py`); `part` may raise it, never lower it. The changelog
    entry holds `changes` (lines the editor wrote), then one line per source,
    conclusion, fact, rule, silence and FHIR mapping added, removed or changed, then
    what was accepted.

    Refused with a `KBError` listing every problem if the KB or one of its test-case
    files (`kb/tests/*.yaml`) is broken, or an item changed without a new version:
    what `healthkb validate` reports. Refused with `NothingToRelease` when nothing
    changed since the lock's release. Refused with a `GatesRefusedError` (a
    `FailingCasesError` when test cases fail) listing everything the release would
    ship unchecked (release_gates.py) that `accept` (code -> reason) does not accept;
    `allow_failing_tests` accepts failing test cases.
    """
    check, overdue = _checked(root)
    assert check.content is not None
    content, cases = check.content, check.cases
    manifest = content.manifest
    found = content.changes
    declared = _declared_changes(content, changes)
    accepted = {FAILING_TEST_CASE: "--allow-failing-tests"} if allow_failing_tests else {}
    accepted.update(accept or {})
    lines = _changelog_lines(content, changes, declared)
    bump, why = choose_bump(found, part, content.lock is not None, [b for _, b in declared])
    version = bump_version(manifest.version, bump)
    day = date or datetime.date.today()
    if day < manifest.released:
        raise ReleaseError(
            f"release date {day} is before the last release ({manifest.released}); "
            "give a later --date"
        )
    # A release says "this is the guidance, as tested": its gates must hold.
    outcomes = run_cases(KnowledgeBase(content), cases)
    failing = tuple(o for o in outcomes if not o.passed)
    refused, shipped = refused_and_accepted(
        gate_items(content, outcomes, check.warnings, overdue), accepted
    )
    if refused:
        error = FailingCasesError if any(i.code == FAILING_TEST_CASE for i in refused) else None
        raise (error or GatesRefusedError)(refused, failing, len(outcomes))
    entry = lines + accepted_lines(shipped, accepted)
    base = Path(root)
    manifest_path = base / MANIFEST_FILE
    text = edit_manifest(manifest_path.read_text(encoding="utf-8"), version, day, entry)
    _check_edited(text, version, day, entry)
    write_atomic(manifest_path, text)
    write_atomic(base / LOCK_FILE, render_lock(lock_of(content, version)))
    schemas = _regenerate_stale_schemas(base, content)
    digest = _clear_approvals_and_write_digest(base, version)
    # The lock sealed again with the released digest inside: what names the release of an
    # audit record even where the changelog is not at hand.
    write_atomic(base / LOCK_FILE, render_lock(lock_of(content, version, digest)))
    return Release(
        manifest.id,
        manifest.version,
        version,
        day,
        tuple(lines),
        (MANIFEST_FILE, LOCK_FILE, *schemas),
        failing,
        bump,
        why,
        schemas,
        tuple(shipped),
    )


def _changelog_lines(
    content: KBContent, changes: Sequence[str], declared: Sequence[tuple[str, Part]]
) -> list[str]:
    """The editor's lines, then one per change found, then who approved."""
    lines = [c.strip() for c in changes if c.strip()]
    lines += [change.changelog_line() for change in content.changes.items]
    lines += [line for line, _ in declared]
    if not lines:
        raise ReleaseError(
            "nothing was added, removed or changed since the last release (no source, "
            'conclusion, fact or rule); say what changed with --change "..."'
        )
    return lines + _approval_lines(content)


def _checked(root: str | Path) -> tuple[KBCheck, list[Problem]]:
    """The KB's check and its overdue sources; `KBError` for any other problem. An
    overdue source alone is a gate (shipped if accepted with a reason)."""
    check = check_kb(root)
    overdue = [p for p in check.problems if p.code == REVIEW_OVERDUE]
    if len(overdue) < len(check.problems) or check.content is None:
        raise KBError(check.problems)
    return check, overdue


def _approval_lines(content: KBContent) -> list[str]:
    """Approvals (kb.yaml `approvals:`) are of this very candidate; the entry names them."""
    approved = approvals(content)
    if not approved.enough:
        raise KBError(approval_problems(content))
    return [approved.changelog_line()] if approved.approved_by else []


def _declared_changes(content: KBContent, said: Sequence[str]) -> list[tuple[str, Part]]:
    """Silences and the FHIR mapping changed since the lock; refused when nothing at all
    changed since the lock's release and the editor says nothing (`NothingToRelease`)."""
    declared = declaration_changes(content.lock, content.silences, content.fhir)
    quiet = not any(line.strip() for line in said)
    if content.lock is not None and not content.changes.items and not declared and quiet:
        raise NothingToRelease(
            f"nothing changed since release {content.lock.kb_version} (no source, "
            "conclusion, fact, rule, silence or FHIR mapping): nothing to release"
        )
    return declared


def _regenerate_stale_schemas(base: Path, content: KBContent) -> tuple[str, ...]:
    """Rewrite the KB's JSON Schemas that no longer match it (the profile schema follows
    the vocabulary), so a release never ships schemas that contradict it. A KB without
    a `kb/schemas/` folder does not use them."""
    folder = base / SCHEMAS_FOLDER
    if not folder.is_dir():
        return ()
    written = write_schemas(all_schemas(content.vocabulary), folder)
    return tuple(path.relative_to(base).as_posix() for path in written)


def write_lock(content: KBContent) -> Path:
    """Lock a KB at its current manifest version without releasing (its first lock)."""
    path = content.root / LOCK_FILE
    write_atomic(path, render_lock(lock_of(content, content.manifest.version)))
    return path


def lock_of(content: KBContent, version: str, release_digest: str | None = None) -> LockFile:
    """The sealed lock of `content` released as `version` (whose content digest is
    `release_digest`, once known)."""
    declarations = declaration_digests(content.silences, content.fhir)
    items = content.versioned_items()
    return sealed_lock(version, items, declarations, content.lock, release_digest)


# --- editing kb.yaml in place ----------------------------------------------------------

_TOP_KEY = r"^(?P<key>{key}:[ \t]*)(?P<value>[^#\n]*?)(?P<rest>[ \t]*(#.*)?)$"


def edit_manifest(
    text: str, version: str, date: datetime.date, changes: list[str], digest: str | None = None
) -> str:
    """`kb.yaml` with a new `version`, `released` and a changelog entry first in the list.

    Only the lines that change are touched: comments, key order and the other entries
    stay as the editor wrote them.
    """
    text = _set_top_value(text, "version", version)
    text = _set_top_value(text, "released", date.isoformat())
    return _insert_changelog_entry(text, version, date, changes, digest)


def _set_top_value(text: str, key: str, value: str) -> str:
    pattern = re.compile(_TOP_KEY.format(key=key), re.MULTILINE)
    found = list(pattern.finditer(text))
    if len(found) != 1:
        raise ReleaseError(f"{MANIFEST_FILE}: expected one top-level `{key}:` line")
    match = found[0]
    return text[: match.start("value")] + value + text[match.end("value") :]


def _insert_changelog_entry(
    text: str, version: str, date: datetime.date, changes: list[str], digest: str | None
) -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    at = next((i for i, line in enumerate(lines) if re.match(r"changelog:", line)), None)
    if at is None:
        entry = _entry("  ", version, date, changes, digest)
        return "".join([*lines, "changelog:\n", *entry])
    value = lines[at].split(":", 1)[1].split("#", 1)[0].strip()
    if value == "[]":
        lines[at] = "changelog:\n"
    elif value:
        raise ReleaseError(
            f"{MANIFEST_FILE}: the changelog is written inline; write it as a list of "
            "`- version:` entries so a release can add one"
        )
    # The new entry goes first, indented like the entries already there.
    first = next(
        (i for i in range(at + 1, len(lines)) if lines[i].strip() and not _comment(lines[i])),
        None,
    )
    indent, insert_at = "  ", at + 1
    if first is not None and lines[first].lstrip().startswith("- "):
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        insert_at = first
    entry = _entry(indent, version, date, changes, digest)
    return "".join([*lines[:insert_at], *entry, *lines[insert_at:]])


def _clear_approvals_and_write_digest(base: Path, version: str) -> str:
    clear_approvals(base)
    return _write_release_digest(base, version)


def _write_release_digest(base: Path, version: str) -> str:
    """The released KB's content digest (which leaves the changelog's digests out) into
    its new changelog entry: what names the release behind an audit record. Written
    last, once the manifest is as released; returned for the lock."""
    digest = read_content(base).digest
    manifest_path = base / MANIFEST_FILE
    lines = manifest_path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- version: {version}")
    date = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("date:"))
    indent = lines[date][: len(lines[date]) - len(lines[date].lstrip())]
    lines.insert(date + 1, f"{indent}digest: {digest}\n")
    write_atomic(manifest_path, "".join(lines))
    return digest


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _entry(
    indent: str, version: str, date: datetime.date, changes: list[str], digest: str | None
) -> list[str]:
    inner = indent + "  "
    return [
        f"{indent}- version: {version}\n",
        f"{inner}date: {date.isoformat()}\n",
        *([f"{inner}digest: {digest}\n"] if digest else []),
        f"{inner}changes:\n",
        *[f"{inner}  - {_scalar(change)}\n" for change in changes],
    ]


def _scalar(text: str) -> str:
    """`text` as a YAML scalar: plain when it reads back unchanged, else double-quoted."""
    try:
        if "\n" not in text and yaml.safe_load(f"- {text}") == [text]:
            return text
    except yaml.YAMLError:
        pass
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _check_edited(text: str, version: str, date: datetime.date, changes: list[str]) -> None:
    """Refuse to write a manifest that does not read back as the intended release."""
    try:
        manifest, problems = validate_located(Manifest, parse_yaml(text, MANIFEST_FILE))
    except KBError as error:
        manifest, problems = None, error.problems
    entry = manifest.changelog[0] if manifest and manifest.changelog else None
    if (
        manifest is None
        or manifest.version != version
        or manifest.released != date
        or entry is None
        or (entry.version, entry.date, entry.changes) != (version, date, changes)
    ):
        details = "; ".join(str(p) for p in problems) or "the edit did not read back"
        raise ReleaseError(
            f"{MANIFEST_FILE}: could not update it in place ({details}); "
            "check its `version`, `released` and `changelog` lines"
        )


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
