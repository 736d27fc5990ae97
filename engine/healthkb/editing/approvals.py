"""Approving a release candidate, and counting the approvals a release needs.

A candidate is the KB as it would be released: its id, its content digest and the
changelog lines `healthkb release` would write for it. `healthkb approve --key KEY`
signs that with a reviewer's Ed25519 key and writes `kb/approvals/<reviewer>.json`. A
release counts the approvals that are signed by a distinct reviewer of `kb.yaml` and
are of this very candidate: an approval of an earlier state of the files (the content
changed since) does not count. The release's changelog entry names who approved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..content.approval_model import Reviewer
from ..content.loading.kb_content import KBContent
from ..content.versioning.release_signature import canonical
from ..errors import HealthKBError, Problem
from ..files.crypto_on_demand import ed25519
from ..files.ed25519_keys import key_id, public_key_from_pem, sign, signature_holds

APPROVALS_FOLDER = "kb/approvals"
FORMAT = "healthkb-approval/1"
MANIFEST_FILE = "kb/kb.yaml"
MAX_APPROVAL_BYTES = 1024 * 1024


class ApprovalError(HealthKBError):
    """An approval that cannot be given (a key of no reviewer, a KB without reviewers)."""


@dataclass(frozen=True)
class Approvals:
    """The reviewers whose approvals of the current candidate hold, and how many it needs."""

    approved_by: tuple[Reviewer, ...]
    required: int

    @property
    def enough(self) -> bool:
        return len(self.approved_by) >= self.required

    def changelog_line(self) -> str:
        """The changelog line naming who approved."""
        names = ", ".join(f"{r.name} ({r.role})" for r in self.approved_by)
        return f"Approved by {names}."


def candidate(content: KBContent) -> dict[str, Any]:
    """What a reviewer approves: the KB's id, content digest and changelog lines."""
    return {
        "format": FORMAT,
        "kb_id": content.manifest.id,
        "candidate_digest": content.digest,
        "changes": [change.changelog_line() for change in content.changes.items],
    }


def approve(content: KBContent, key: ed25519.Ed25519PrivateKey) -> tuple[Path, Reviewer]:
    """Sign the candidate with a reviewer's key; write and return the approval file."""
    policy = content.manifest.approvals
    if policy is None or not policy.reviewers:
        raise ApprovalError(
            f"{MANIFEST_FILE} lists no reviewers (`approvals:`): this KB needs no approvals"
        )
    signer = key_id(key.public_key())
    reviewer = next((r for r in policy.reviewers if r.key_id == signer), None)
    if reviewer is None:
        raise ApprovalError(
            f"this key is not the key of any reviewer in {MANIFEST_FILE} (its id is {signer})"
        )
    approval = {**candidate(content), "reviewer": reviewer.name, "key_id": signer}
    approval["signature"] = sign(key, canonical(approval))
    folder = content.root / APPROVALS_FOLDER
    folder.mkdir(exist_ok=True)
    path = folder / f"{re.sub(r'[^a-z0-9]+', '-', reviewer.name.lower()).strip('-')}.json"
    path.write_text(json.dumps(approval, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return path, reviewer


def approvals(content: KBContent) -> Approvals:
    """The distinct reviewers whose approval of the current candidate holds."""
    policy = content.manifest.approvals
    if policy is None:
        return Approvals((), 0)
    wanted = candidate(content)
    by_key = {r.key_id: r for r in policy.reviewers}
    approved: dict[str, Reviewer] = {}
    for path in _approval_files(content.root / APPROVALS_FOLDER):
        data = _read(path)
        reviewer = by_key.get(str(data.get("key_id")))
        if reviewer is None or any(data.get(k) != v for k, v in wanted.items()):
            continue
        unsigned = {k: v for k, v in data.items() if k != "signature"}
        public = public_key_from_pem(reviewer.public_key.encode("utf-8"), reviewer.name)
        if signature_holds(public, data.get("signature"), canonical(unsigned)):
            approved[reviewer.key_id] = reviewer
    ordered = tuple(r for r in policy.reviewers if r.key_id in approved)
    return Approvals(ordered, policy.required)


def approval_problems(content: KBContent) -> list[Problem]:
    """A problem when the candidate has fewer valid approvals than `kb.yaml` requires."""
    found = approvals(content)
    if found.enough:
        return []
    names = ", ".join(r.name for r in found.approved_by) or "nobody"
    return [
        Problem(
            MANIFEST_FILE,
            0,
            0,
            "approvals-missing",
            f"the release needs {found.required} approval(s) of this candidate by distinct "
            f"reviewers, and has {len(found.approved_by)} (approved by {names})",
            "each reviewer runs `healthkb approve --key THEIR_KEY` on the candidate as it "
            "is now (an approval of earlier files does not count)",
        )
    ]


def clear_approvals(root: Path) -> None:
    """Remove the approvals of a candidate just released (its changelog names them)."""
    for path in _approval_files(root / APPROVALS_FOLDER):
        path.unlink()


def _approval_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            data = json.loads(file.read(MAX_APPROVAL_BYTES))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
