"""CDS Hooks client authentication: a signed JWT in `Authorization: Bearer`.

As the CDS Hooks 2.0 specification asks: the token is signed with RS384 or ES384, its
`kid` names a key of the JSON Web Key Set the service was given (`--auth-jwks`), `iss`
is one of the allowed issuers, `aud` is the URL of the endpoint called, `exp` is at most
five minutes ahead, and `jti` is unique: a token seen before is refused. The ids of the
tokens accepted are remembered until the tokens expire, in a folder all the workers
share (`healthkb serve` makes one for its run), so a token replayed to another worker is
refused too. Verification is PyJWT's; nothing here touches a signature by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import jwt

from ..errors import HealthKBError
from .problems import ServiceProblem

ALGORITHMS = ("RS384", "ES384")
MAX_LIFETIME = 300
"""The specification: `exp` no more than five minutes in the future."""
LEEWAY = 30
"""Seconds of clock difference tolerated between the client and the service."""


class AuthSetupError(HealthKBError):
    """The JWKS file cannot be used (missing, not JSON, no usable key)."""


def read_jwks(path: str | Path) -> jwt.PyJWKSet:
    """The key set of a JWKS file, keeping only RS384/ES384-capable keys."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise AuthSetupError(f"{path}: cannot read the JWKS file ({error.strerror})") from None
    except ValueError as error:
        raise AuthSetupError(f"{path}: not a JSON Web Key Set ({error})") from None
    try:
        keys = jwt.PyJWKSet.from_dict(data)
    except jwt.PyJWKSetError as error:
        raise AuthSetupError(f"{path}: no usable key in the JWKS ({error})") from None
    if not any(key.key_type in ("RSA", "EC") for key in keys.keys):
        raise AuthSetupError(f"{path}: the JWKS holds no RSA or EC key (RS384, ES384)")
    return keys


class TokenVerifier:
    """Checks CDS Hooks client JWTs against one JWKS and a set of allowed issuers."""

    def __init__(
        self, keys: jwt.PyJWKSet, issuers: tuple[str, ...], seen_folder: str | Path | None = None
    ) -> None:
        """`seen_folder`: where the ids of accepted tokens are kept, shared by every worker
        process of a service (None: in this process only)."""
        self.keys = keys
        self.issuers = list(issuers)
        self._seen: dict[str, float] = {}
        self._seen_folder = Path(seen_folder) if seen_folder is not None else None
        self._claims = 0
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims; a 401 ServiceProblem saying what is wrong otherwise."""
        if not authorization:
            raise _unauthorized("no `Authorization: Bearer` token", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(
                "the Authorization header must be `Bearer <JWT>`", "invalid_request"
            )
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise _unauthorized(f"the token is not a JWT ({error})") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise _unauthorized(f"the token is signed with {algorithm!r}; use RS384 or ES384")
        key = self._key(header.get("kid"))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=audience,
                issuer=self.issuers,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "jti"]},
            )
        except jwt.PyJWTError as error:
            raise _unauthorized(f"the token was refused: {error}") from None
        now = time.time()
        if claims["exp"] > now + MAX_LIFETIME + LEEWAY:
            raise _unauthorized("`exp` is more than five minutes ahead")
        self._check_unused(str(claims["jti"]), float(claims["exp"]), now)
        return claims

    def _key(self, kid: Any) -> jwt.PyJWK:
        if kid is None:
            if len(self.keys.keys) == 1:
                return self.keys.keys[0]
            raise _unauthorized("the token's header has no `kid` naming its key")
        try:
            return self.keys[str(kid)]
        except KeyError:
            raise _unauthorized(f"no key with kid {str(kid)!r} in the service's JWKS") from None

    def _check_unused(self, jti: str, expires: float, now: float) -> None:
        if self._seen_folder is not None:
            self._claim_in_folder(self._seen_folder, jti, expires, now)
            return
        with self._lock:
            for old in [j for j, e in self._seen.items() if e + LEEWAY < now]:
                del self._seen[old]
            if jti in self._seen:
                raise _used_before()
            self._seen[jti] = expires

    def _claim_in_folder(self, folder: Path, jti: str, expires: float, now: float) -> None:
        # One file per accepted token, created exclusively: of two workers given the same
        # token at once, exactly one creates it. Its mtime is the token's expiry.
        path = folder / hashlib.sha256(jti.encode("utf-8", "surrogatepass")).hexdigest()
        for _ in range(2):
            try:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                if not _expired(path, now):
                    raise _used_before() from None
                path.unlink(missing_ok=True)  # an id reused long after: a new token
                continue
            os.utime(path, (expires, expires))
            break
        with self._lock:
            self._claims += 1
            sweep = self._claims % FORGET_EVERY == 0
        if sweep:
            _forget_expired(folder, now)


FORGET_EVERY = 256
"""Accepted tokens between two sweeps of the expired ones out of the shared folder."""


def _expired(path: Path, now: float) -> bool:
    try:
        return path.stat().st_mtime + LEEWAY < now
    except FileNotFoundError:
        return True


def _forget_expired(folder: Path, now: float) -> None:
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                if entry.stat().st_mtime + LEEWAY < now:
                    os.unlink(entry.path)
            except FileNotFoundError:
                continue  # another worker swept it first


def _used_before() -> ServiceProblem:
    return _unauthorized("this token was used before (`jti` seen); send a new one")


def _unauthorized(detail: str, error: str = "invalid_token") -> ServiceProblem:
    challenge = 'Bearer realm="healthkb"'
    if error:
        challenge += f', error="{error}"'
    return ServiceProblem(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": challenge}
    )
