"""Signed releases: an Ed25519 signature over the digest of every file of a KB.

`healthkb release --sign KEY` writes `kb/release.sig.json`: the sha256 of every file
under `kb/` and `rules/` (all of them, whatever their name: examples, test cases,
schemas, hidden files), the digest of that list, the KB's id, version and content
digest, and a signature of all of it. Verifying walks the folders again and compares
both ways: a file changed, a file missing, and a file that the signature does not
list are each a problem naming the file. OPA's bundle signing once verified only the
files its signature listed, so a file added beside them went unchecked
(GHSA-g2pf-6v5v-qcc8); here an unlisted file fails the check.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import HealthKBError, Problem
from ...files.crypto_on_demand import ed25519
from ...files.ed25519_keys import key_id, sign, signature_holds

SIGNATURE_FILE = "kb/release.sig.json"
SIGNED_FOLDERS = ("kb", "rules")
FORMAT = "healthkb-release-signature/1"
MAX_SIGNATURE_BYTES = 64 * 1024 * 1024


class ReleaseSignatureError(HealthKBError):
    """A release that cannot be signed (a folder that cannot be read, a special file)."""


def canonical(data: Any) -> bytes:
    """The bytes a signature covers: sorted, compact JSON."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def release_files(root: Path) -> tuple[dict[str, str], list[Problem]]:
    """The sha256 of every regular file under `kb/` and `rules/` (but the signature), by
    path relative to `root`; and a problem for anything that is not a regular file."""
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for folder in SIGNED_FOLDERS:
        base = root / folder
        for here, folders, names in os.walk(base, onerror=_raise_unlistable):
            folders.sort()
            for name in sorted([*names, *(f for f in folders if Path(here, f).is_symlink())]):
                path = Path(here, name)
                relative = path.relative_to(root).as_posix()
                if relative == SIGNATURE_FILE:
                    continue
                mode = path.lstat().st_mode
                if not stat.S_ISREG(mode):
                    problems.append(
                        Problem(
                            relative,
                            0,
                            0,
                            "release-file-not-regular",
                            "not a regular file (a link, a device or a pipe): a signed "
                            "release holds only regular files",
                            "replace it by the file itself, or remove it",
                        )
                    )
                    continue
                files[relative] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    return dict(sorted(files.items())), problems


def _raise_unlistable(error: OSError) -> None:
    raise ReleaseSignatureError(f"{error.filename}: cannot list the folder ({error.strerror})")


def files_digest(files: dict[str, str]) -> str:
    """The release's digest: sha256 of the canonical list of its files and their digests."""
    return "sha256:" + hashlib.sha256(canonical(files)).hexdigest()


def sign_release(
    root: Path, key: ed25519.Ed25519PrivateKey, kb_id: str, version: str, kb_digest: str
) -> Path:
    """Sign every file of the KB under `root`; write and return `kb/release.sig.json`."""
    files, problems = release_files(root)
    if problems:
        raise ReleaseSignatureError(
            "cannot sign the release:\n" + "\n".join(str(p) for p in problems)
        )
    payload: dict[str, Any] = {
        "format": FORMAT,
        "kb_id": kb_id,
        "version": version,
        "kb_digest": kb_digest,
        "digest": files_digest(files),
        "files": files,
        "key_id": key_id(key.public_key()),
    }
    payload["signature"] = sign(key, canonical(payload))
    path = root / SIGNATURE_FILE
    text = json.dumps(payload, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


@dataclass(frozen=True)
class ReleaseCheck:
    """What the signature says (empty when it could not be trusted), and every problem."""

    signed: dict[str, Any]
    problems: list[Problem]


def verify_release(root: Path, public: ed25519.Ed25519PublicKey) -> ReleaseCheck:
    """Every way the files under `root` differ from the release `public` signed; no
    problem when they are exactly the signed files."""
    signed, problem = _read_signature(root, public)
    if problem is not None:
        return ReleaseCheck({}, [problem])
    files, problems = release_files(root)
    listed: dict[str, str] = signed["files"]
    for name in sorted(set(files) | set(listed)):
        if name not in listed:
            problems.append(
                _file_problem(name, "release-file-added", "is not part of the signed release")
            )
        elif name not in files:
            problems.append(
                _file_problem(name, "release-file-missing", "of the signed release is missing")
            )
        elif files[name] != listed[name]:
            problems.append(
                _file_problem(name, "release-file-changed", "changed since the release was signed")
            )
    return ReleaseCheck(signed, sorted(problems))


def _file_problem(name: str, code: str, what: str) -> Problem:
    return Problem(
        name,
        0,
        0,
        code,
        f"`{name}` {what}",
        "restore the released files, or cut and sign a new release",
    )


def _read_signature(
    root: Path, public: ed25519.Ed25519PublicKey
) -> tuple[dict[str, Any], Problem | None]:
    path = root / SIGNATURE_FILE
    try:
        with path.open("rb") as file:
            data = json.loads(file.read(MAX_SIGNATURE_BYTES))
    except FileNotFoundError:
        return {}, Problem(
            SIGNATURE_FILE,
            0,
            0,
            "release-unsigned",
            "the KB has no release signature",
            "sign the release: `healthkb release --sign KEY`",
        )
    except (OSError, ValueError) as error:
        return {}, _bad_signature(f"cannot be read as JSON ({error})")
    if not _well_formed(data):
        return {}, _bad_signature(f"is not a {FORMAT} file")
    unsigned = {k: v for k, v in data.items() if k != "signature"}
    if data["key_id"] != key_id(public) or not signature_holds(
        public, data["signature"], canonical(unsigned)
    ):
        return {}, _bad_signature("was not signed by this public key, or was altered")
    if data["digest"] != files_digest(data["files"]):
        return {}, _bad_signature("lists files that do not match its digest")
    return data, None


def _well_formed(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return False
    files = data.get("files")
    texts = ("kb_id", "version", "kb_digest", "digest", "key_id", "signature")
    return (
        isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
        and all(isinstance(data.get(name), str) for name in texts)
    )


def _bad_signature(why: str) -> Problem:
    return Problem(
        SIGNATURE_FILE,
        0,
        0,
        "release-signature-invalid",
        f"the release signature {why}",
        "ask for the release's public key, or sign the release again",
    )
