"""The key sets client JWTs are checked against: the JWKS file, and allow-listed `jku`s.

The JWKS file is read once, at start: a regular file of at most `MAX_JWKS_BYTES`, so a
mistaken `--auth-jwks /dev/zero` is an error at once, not a worker that fills its
memory. A token may name its key set by URL (`jku`, as CDS Hooks allows); the service
honours it only when the operator allow-listed that exact URL (`--auth-jku`), and
fetches the set with a timeout and a size limit, keeping it for `JKU_CACHE_SECONDS`
(fetched again sooner, at most every `JKU_REFETCH_SECONDS`, when a token names a `kid`
the set lacks: keys rotate).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import jwt

from ..errors import HealthKBError
from ..files.regular_file import FileTooLarge, NotRegularFile, read_regular

MAX_JWKS_BYTES = 1024 * 1024
"""A key set is a few kilobytes; a megabyte holds hundreds of keys."""
JKU_TIMEOUT = 5.0
"""Seconds to fetch an allow-listed `jku` key set."""
JKU_CACHE_SECONDS = 300.0
JKU_REFETCH_SECONDS = 30.0


class AuthSetupError(HealthKBError):
    """The JWKS file cannot be used (missing, not a regular file, not JSON, no key)."""


class KeySetUnavailable(Exception):
    """An allow-listed `jku` key set could not be fetched or read (the text says why)."""


def read_jwks(path: str | Path) -> jwt.PyJWKSet:
    """The key set of a JWKS file; AuthSetupError saying why it cannot be used."""
    try:
        data = read_regular(path, MAX_JWKS_BYTES)
    except NotRegularFile as error:
        raise AuthSetupError(f"{path}: the JWKS file is {error.kind}, not a regular file") from None
    except FileTooLarge:
        raise AuthSetupError(
            f"{path}: the JWKS file is larger than {MAX_JWKS_BYTES:,} bytes; no key set is"
        ) from None
    except OSError as error:
        raise AuthSetupError(f"{path}: cannot read the JWKS file ({error.strerror})") from None
    try:
        return key_set(data)
    except ValueError as error:
        raise AuthSetupError(f"{path}: {error}") from None


def key_set(data: bytes) -> jwt.PyJWKSet:
    """The RSA and EC keys of a JWKS document; ValueError saying why there are none."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise ValueError(f"not a JSON Web Key Set ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JSON Web Key Set (an object with a `keys` list)")
    try:
        keys = jwt.PyJWKSet.from_dict(document)
    except jwt.PyJWKSetError as error:
        raise ValueError(f"no usable key in the JWKS ({error})") from None
    if not any(key.key_type in ("RSA", "EC") for key in keys.keys):
        raise ValueError("the JWKS holds no RSA or EC key (RS384, ES384)")
    return keys


class RemoteKeySets:
    """The key sets of the allow-listed `jku` URLs, fetched when first needed and cached.

    Safe to share between threads: a fetch happens outside the lock, and two threads
    fetching the same set at once both get a good copy."""

    def __init__(self, allowed: tuple[str, ...], max_bytes: int = MAX_JWKS_BYTES) -> None:
        self.allowed = frozenset(allowed)
        self.max_bytes = max_bytes
        self._cache: dict[str, tuple[float, jwt.PyJWKSet]] = {}
        self._lock = threading.Lock()

    def key(self, url: str, kid: str) -> jwt.PyJWK | None:
        """The key `kid` of the set at `url` (an allow-listed URL); None if the set, even
        fetched afresh, has no such key; KeySetUnavailable if it cannot be fetched."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None:
            fetched_at, keys = cached
            found = find_key(keys, kid)
            fresh = now - fetched_at < JKU_CACHE_SECONDS
            if found is not None and fresh:
                return found
            if fresh and now - fetched_at < JKU_REFETCH_SECONDS:
                return None  # fetched moments ago: a fetch per unknown kid would flood it
        keys = self._fetch(url)
        with self._lock:
            self._cache[url] = (time.monotonic(), keys)
        return find_key(keys, kid)

    def _fetch(self, url: str) -> jwt.PyJWKSet:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=JKU_TIMEOUT) as response:
                data: bytes = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise KeySetUnavailable(
                f"the key set at {url} could not be fetched ({error})"
            ) from None
        if len(data) > self.max_bytes:
            raise KeySetUnavailable(f"the key set at {url} is larger than {self.max_bytes:,} bytes")
        try:
            return key_set(data)
        except ValueError as error:
            raise KeySetUnavailable(f"the key set at {url}: {error}") from None


def find_key(keys: jwt.PyJWKSet, kid: str) -> jwt.PyJWK | None:
    """The key of the set whose `kid` is `kid`, if any."""
    for key in keys.keys:
        if key.key_id == kid:
            return key
    return None


def describe(value: Any, limit: int = 40) -> str:
    """A value from a token, quoted and cut short for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
