"""Signing a release: the KB's id, version and content digest with every file's digest."""

from __future__ import annotations

from pathlib import Path

from ..content.loading.loader import read_content
from ..content.versioning.release_signature import sign_release
from ..files.crypto_on_demand import ed25519


def sign_released(root: Path, key: ed25519.Ed25519PrivateKey) -> Path:
    """Sign the KB under `root` as it is now (just released); return the signature file."""
    content = read_content(root)
    return sign_release(root, key, content.manifest.id, content.version, content.digest)
