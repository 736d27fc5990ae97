"""Copies of the bundled KB whose kb.yaml declares a `personal_data:` policy (what audit
records keep of each profile attribute), for the audit and service tests."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def policy_kb(tmp_path: Path, attributes: str, auditor_pub: Path | None = None) -> Path:
    """A copy of the bundled KB whose kb.yaml declares this `personal_data` policy
    (`attributes`: the YAML lines under `attributes:`, indented by four spaces), sealed
    to the auditor whose public key is in the file `auditor_pub`, if given."""
    root = tmp_path / "kb-with-policy"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, root / folder)
    policy = "personal_data:\n  attributes:\n" + attributes
    if auditor_pub is not None:
        key = "".join(f"      {line}\n" for line in auditor_pub.read_text().splitlines())
        policy += "  auditor:\n    name: Data protection officer\n    public_key: |\n" + key
    with (root / "kb" / "kb.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write(policy)
    return root
