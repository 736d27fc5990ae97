"""The lock's seal: a digest over the lock itself, and the release of every entry.

`healthkb release` writes the lock; nobody else should. A digest over every entry
and the `kb_version` makes a hand edit (an entry deleted, a digest or version changed,
another `kb_version`) a located error instead of a silent change of what counts as
released. Silences and the FHIR mapping carry no version; the lock records their
digests so that a release can say what changed in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from ...errors import Problem
from ..located_items import Placed
from .bump import Part
from .items import ITEM_KINDS, Versioned, digest_of
from .lock import LockedDeclaration, LockFile, build_lock

FHIR_ENTRY = "fhir"


def lock_digest(lock: LockFile) -> str:
    """sha256 of the lock's canonical JSON, without its own `digest`."""
    return digest_of(lock.model_dump(mode="json", exclude_none=True, exclude={"digest"}))


def declaration_digests(
    silences: Mapping[str, BaseModel], fhir: BaseModel | None
) -> dict[str, str]:
    """The digest of each silence (by id) and of the FHIR mapping (as `fhir`)."""
    found = {
        silence_id: digest_of(silence.model_dump(mode="json", by_alias=True))
        for silence_id, silence in silences.items()
    }
    if fhir is not None:
        found[FHIR_ENTRY] = digest_of(fhir.model_dump(mode="json", by_alias=True))
    return found


def sealed_lock(
    version: str,
    items: Iterable[Versioned],
    declarations: Mapping[str, str],
    previous: LockFile | None,
    release_digest: str | None = None,
) -> LockFile:
    """The lock of release `version`: every item and declaration with the release that
    shipped it (an unchanged one keeps its earlier release), and the content digest of
    the KB released (`release_digest`), sealed by its digest."""
    lock = build_lock(version, items).model_copy(update={"release_digest": release_digest})
    earlier = _released_in(previous)
    sections: dict[str, Any] = {}
    for kind in ITEM_KINDS:
        section = {"fact": "facts"}.get(kind, f"{kind}s")
        sections[section] = [
            entry.model_copy(
                update={"released_in": earlier.get((kind, entry.id, entry.digest), version)}
            )
            for entry in lock.entries(kind)
        ]
    silences = [
        LockedDeclaration(
            id=name,
            digest=digest,
            released_in=earlier.get(("silence", name, digest), version),
        )
        for name, digest in sorted(declarations.items())
        if name != FHIR_ENTRY
    ]
    fhir_digest = declarations.get(FHIR_ENTRY)
    fhir = (
        LockedDeclaration(
            id=FHIR_ENTRY,
            digest=fhir_digest,
            released_in=earlier.get(("silence", FHIR_ENTRY, fhir_digest), version),
        )
        if fhir_digest is not None
        else None
    )
    unsealed = lock.model_copy(update={**sections, "silences": silences, "fhir": fhir})
    return unsealed.model_copy(update={"digest": lock_digest(unsealed)})


def _released_in(lock: LockFile | None) -> dict[tuple[str, str, str], str]:
    """(kind, id, digest) -> the release that shipped it, from an earlier lock."""
    if lock is None:
        return {}
    found: dict[tuple[str, str, str], str] = {}
    for kind in ITEM_KINDS:
        for entry in lock.entries(kind):
            found[(kind, entry.id, entry.digest)] = entry.released_in or lock.kb_version
    for declaration in [*(lock.silences or []), *([lock.fhir] if lock.fhir else [])]:
        key = ("silence", declaration.id, declaration.digest)
        found[key] = declaration.released_in or lock.kb_version
    return found


def check_seal(lock: Placed[LockFile], manifest_version: str | None) -> list[Problem]:
    """The lock as `healthkb release` wrote it: its digest matches, and its `kb_version`
    is the manifest's."""
    problems = []
    item = lock.item
    restore = (
        f"restore the lock as the release wrote it (e.g. `git checkout v{item.kb_version} -- "
        "kb/rules.lock.yaml`); only `healthkb release` writes it"
    )
    if item.digest is None:
        problems.append(
            lock.problem(
                "lock-unsealed",
                "the lock file has no `digest`: it was not written by `healthkb release`, "
                "or its digest was removed by hand",
                restore,
                "kb_version",
            )
        )
    elif item.digest != lock_digest(item):
        problems.append(
            lock.problem(
                "lock-edited",
                f"the lock file was changed by hand since release {item.kb_version}: its "
                "entries no longer match its digest (an entry deleted or changed, or "
                "another `kb_version`)",
                restore,
                "digest",
            )
        )
    # An edited `kb_version` is already `lock-edited`: one mistake, one problem.
    elif manifest_version is not None and manifest_version != item.kb_version:
        problems.append(
            lock.problem(
                "lock-version-mismatch",
                f"the lock records release {item.kb_version} but kb/kb.yaml says version "
                f"{manifest_version}",
                "a release changes both; restore the version the lock records, or "
                "release with `healthkb release`",
                "kb_version",
            )
        )
    return problems


def declaration_changes(
    lock: LockFile | None, silences: Mapping[str, BaseModel], fhir: BaseModel | None
) -> list[tuple[str, Part]]:
    """Silences and the FHIR mapping changed since the lock: (changelog line, bump).

    A silence changes no answer (patch); the FHIR mapping changes what FHIR data
    answers (minor). A lock that predates their recording says nothing of them."""
    if lock is None or lock.silences is None:
        return []
    now = declaration_digests(silences, fhir)
    was = {entry.id: entry.digest for entry in lock.silences}
    if lock.fhir is not None:
        was[FHIR_ENTRY] = lock.fhir.digest
    found: list[tuple[str, Part]] = []
    for name in sorted(now.keys() | was.keys()):
        what = "the FHIR mapping" if name == FHIR_ENTRY else f"silence `{name}`"
        part: Part = "minor" if name == FHIR_ENTRY else "patch"
        if name not in was:
            found.append((f"Added {what}.", part))
        elif name not in now:
            found.append((f"Removed {what}.", part))
        elif now[name] != was[name]:
            found.append((f"Changed {what}.", part))
    return found
