"""Ed25519 key files (PEM, as `healthkb audit keygen` writes them), read with clear errors.

Used to sign and verify releases and approvals; a key file that is missing, encrypted,
of another algorithm, or the private half where the public one is expected, is a
`KeyFileError` naming the file, never a traceback.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from ..errors import HealthKBError
from .crypto_on_demand import crypto_errors, ed25519, serialization
from .regular_file import FileTooLarge, NotRegularFile, read_regular

MAX_KEY_BYTES = 64 * 1024


class KeyFileError(HealthKBError):
    """A key file that cannot be used: unreadable, not PEM, not Ed25519, the wrong half."""


def read_private_key(path: str | Path) -> ed25519.Ed25519PrivateKey:
    """The Ed25519 private key in a PEM file."""
    data = read_key_file(Path(path))
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, crypto_errors.UnsupportedAlgorithm):
        raise KeyFileError(
            f"{path}: not an unencrypted PEM private key (make a key pair with "
            "`healthkb audit keygen --out DIR` and give its .key file)"
        ) from None
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key (make one: audit keygen)")
    return key


def read_public_key(path: str | Path) -> ed25519.Ed25519PublicKey:
    """The Ed25519 public key in a PEM file."""
    data = read_key_file(Path(path))
    if b"PRIVATE KEY-----" in data:
        raise KeyFileError(
            f"{path}: holds a private key; give the public key (the .pub file), and keep "
            "the private one with its owner"
        )
    return public_key_from_pem(data, str(path))


def public_key_from_pem(data: bytes, where: str) -> ed25519.Ed25519PublicKey:
    """An Ed25519 public key from PEM text (a file's, or one written in kb.yaml)."""
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, crypto_errors.UnsupportedAlgorithm):
        raise KeyFileError(f"{where}: not a PEM public key") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise KeyFileError(f"{where}: not an Ed25519 public key (make one: audit keygen)")
    return key


def public_pem(key: ed25519.Ed25519PublicKey) -> str:
    """The PEM text of a public key."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def key_id(public: ed25519.Ed25519PublicKey) -> str:
    """The name of a public key: the sha256 of its 32 raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def sign(key: ed25519.Ed25519PrivateKey, message: bytes) -> str:
    """The signature of `message`, base64."""
    return base64.b64encode(key.sign(message)).decode("ascii")


def signature_holds(public: ed25519.Ed25519PublicKey, signature: object, message: bytes) -> bool:
    """Whether `signature` (base64 text) is `public`'s signature of `message`."""
    if not isinstance(signature, str):
        return False
    try:
        public.verify(base64.b64decode(signature, validate=True), message)
    except (crypto_errors.InvalidSignature, ValueError):
        return False
    return True


def read_key_file(path: Path) -> bytes:
    """The bytes of a key file (Ed25519 or X25519 PEM, or a hash key): a regular file of
    at most MAX_KEY_BYTES, so that a pipe or a device named as a key cannot hang the
    reader or fill its memory."""
    try:
        return read_regular(path, MAX_KEY_BYTES)
    except NotRegularFile as error:
        raise KeyFileError(f"{path}: the key file is {error.kind}, not a regular file") from None
    except FileTooLarge:
        raise KeyFileError(f"{path}: too large to be a key file") from None
    except OSError as error:
        raise KeyFileError(f"{path}: cannot read the key ({error.strerror})") from None
