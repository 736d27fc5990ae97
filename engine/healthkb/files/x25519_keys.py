"""X25519 key files (PEM), read with clear errors: an auditor's key for sealed values.

A KB's personal-data policy may encrypt profile attributes in audit records, sealed to
an auditor's X25519 public key (written in `kb.yaml`); whoever holds the private key
(`healthkb audit keygen --kind sealing` writes the pair) can open them. A key that is
missing, encrypted, of another algorithm or the wrong half is a `KeyFileError` naming
where it was, never a traceback.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .crypto_on_demand import crypto_errors, serialization, x25519
from .ed25519_keys import KeyFileError, read_key_file

_MAKE_ONE = "make a pair with `healthkb audit keygen --kind sealing --out DIR`"


def read_sealing_private_key(path: str | Path) -> x25519.X25519PrivateKey:
    """The X25519 private key in a PEM file (`auditor.key`)."""
    data = read_key_file(Path(path))
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, crypto_errors.UnsupportedAlgorithm):
        raise KeyFileError(
            f"{path}: not an unencrypted PEM private key ({_MAKE_ONE}, give its .key file)"
        ) from None
    if not isinstance(key, x25519.X25519PrivateKey):
        raise KeyFileError(f"{path}: not an X25519 private key ({_MAKE_ONE})")
    return key


def sealing_key_from_pem(data: bytes, where: str) -> x25519.X25519PublicKey:
    """An X25519 public key from PEM text (a file's, or one written in kb.yaml)."""
    if b"PRIVATE KEY-----" in data:
        raise KeyFileError(
            f"{where}: holds a private key; give the public key (auditor.pub), and keep the "
            "private one with the auditor"
        )
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, crypto_errors.UnsupportedAlgorithm):
        raise KeyFileError(f"{where}: not a PEM public key") from None
    if not isinstance(key, x25519.X25519PublicKey):
        raise KeyFileError(f"{where}: not an X25519 public key ({_MAKE_ONE})")
    return key


def generate_sealing_pem() -> tuple[bytes, bytes]:
    """A new X25519 key pair as PEM: (private, public)."""
    key = x25519.X25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


def sealing_key_id(public: x25519.X25519PublicKey) -> str:
    """The name of a public key: the sha256 of its 32 raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def read_hash_key(path: str | Path) -> bytes:
    """A secret key for hashing personal data (HMAC-SHA256): a file of 32 bytes or more,
    kept outside the audit store (`healthkb audit keygen --kind hash` writes one)."""
    data = read_key_file(Path(path))
    if len(data) < 32:
        raise KeyFileError(
            f"{path}: a hash key has at least 32 bytes; this one has {len(data)} "
            "(make one with `healthkb audit keygen --kind hash --out DIR`)"
        )
    return data


def hash_key_id(key: bytes) -> str:
    """The name of a hash key (never the key): the sha256 of a label and the key."""
    return "sha256:" + hashlib.sha256(b"healthkb hash key id\0" + key).hexdigest()[:32]
