"""CDS Hooks client authentication: a signed JWT in `Authorization: Bearer`.

As the CDS Hooks 2.0 specification asks: the token's header says `typ: JWT`, its `alg`
is RS384 or ES384 and its `kid` names a key of the JSON Web Key Set the service was
given (`--auth-jwks`), or of the set at its `jku` when that URL is allow-listed
(`--auth-jku`, see keysets.py); the key's type fits the algorithm (RSA for RS384, EC
P-384 for ES384). Its claims: `iss` one of the allowed issuers, `aud` the URL of the
endpoint called under `--public-url` (never one taken from the request's headers),
`iat` not in the future, `exp` at most five minutes ahead, and `jti` an id of at most
`MAX_JTI_LENGTH` characters seen nowhere before: the ids of the tokens accepted are
remembered until the tokens expire, in a folder all the workers share (`healthkb serve`
makes one for its run), so a token replayed to another worker is refused too.

Every problem with a token, whatever raised it, is a 401: `verify` turns any error into
one, so no token can make the service answer 5xx. Verification is PyJWT's; nothing here
touches a signature by hand.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .keysets import (
    AuthSetupError,
    KeySetUnavailable,
    RemoteKeySets,
    describe,
    find_key,
    read_jwks,
)
from .problems import ServiceProblem

__all__ = ["AuthSetupError", "TokenVerifier", "read_jwks"]

ALGORITHMS = ("RS384", "ES384")
MAX_LIFETIME = 300
"""The specification: `exp` no more than five minutes in the future."""
LEEWAY = 30
"""Seconds of clock difference tolerated between the client and the service."""
MAX_TOKEN_BYTES = 8 * 1024
"""A CDS Hooks client JWT is under 2 kB; a larger one is refused before it is parsed."""
MAX_JTI_LENGTH = 256
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")


class TokenVerifier:
    """Checks CDS Hooks client JWTs against one JWKS and a set of allowed issuers."""

    def __init__(
        self,
        keys: jwt.PyJWKSet,
        issuers: tuple[str, ...],
        seen_folder: str | Path | None = None,
        allowed_jku: tuple[str, ...] = (),
    ) -> None:
        """`seen_folder`: where the ids of accepted tokens are kept, shared by every worker
        process of a service (None: in this process only). `allowed_jku`: the key set
        URLs a token may name in its `jku` header (fetched when first needed)."""
        self.keys = keys
        self.issuers = list(issuers)
        self.remote = RemoteKeySets(allowed_jku)
        self._seen: dict[str, float] = {}
        self._seen_folder = Path(seen_folder) if seen_folder is not None else None
        self._claims = 0
        self._lock = threading.Lock()

    @property
    def may_fetch(self) -> bool:
        """Whether verifying a token may fetch a key set over the network (a `jku`)."""
        return bool(self.remote.allowed)

    def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims; a 401 ServiceProblem saying what is wrong otherwise."""
        try:
            return self._verify(authorization, audience)
        except ServiceProblem:
            raise
        except Exception as error:  # whatever a token provokes, it is a 401
            raise _unauthorized(
                f"the token could not be checked ({type(error).__name__})"
            ) from None

    def _verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        if not authorization:
            raise _unauthorized("no `Authorization: Bearer` token", "")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized(
                "the Authorization header must be `Bearer <JWT>`", "invalid_request"
            )
        if len(token) > MAX_TOKEN_BYTES:
            raise _unauthorized(
                f"the token is {len(token):,} bytes; at most {MAX_TOKEN_BYTES:,} are accepted"
            )
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as error:
            raise _unauthorized(f"the token is not a JWT ({error})") from None
        algorithm = _checked_header(header)
        _check_claim_types(unverified)
        key = self._key(header, algorithm)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=audience,
                issuer=self.issuers,
                leeway=LEEWAY,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as error:
            raise _unauthorized(f"the token was refused: {error}") from None
        now = time.time()
        if claims["exp"] > now + MAX_LIFETIME + LEEWAY:
            raise _unauthorized("`exp` is more than five minutes ahead")
        self._check_unused(claims["jti"], float(claims["exp"]), now)
        return claims

    def _key(self, header: dict[str, Any], algorithm: str) -> jwt.PyJWK:
        kid = header["kid"]
        jku = header.get("jku")
        if jku is None:
            key = find_key(self.keys, kid)
            if key is None:
                raise _unauthorized(f"no key with kid {describe(kid)} in the service's JWKS")
        else:
            if not isinstance(jku, str) or jku not in self.remote.allowed:
                raise _unauthorized(
                    f"the token's `jku` {describe(jku, 80)} is not a key set this service "
                    "trusts (see --auth-jku)"
                )
            try:
                found = self.remote.key(jku, kid)
            except KeySetUnavailable as error:
                raise _unauthorized(str(error)) from None
            if found is None:
                raise _unauthorized(f"no key with kid {describe(kid)} in the key set at {jku}")
            key = found
        if not _fits(key, algorithm):
            raise _unauthorized(
                f"the key {describe(kid)} is not a key for {algorithm} "
                "(RS384 needs an RSA key, ES384 an EC P-384 key)"
            )
        return key

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


def _checked_header(header: dict[str, Any]) -> str:
    """The token's algorithm, once its header is one CDS Hooks allows; 401 otherwise."""
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.upper() != "JWT":
        raise _unauthorized(f"the token's header must say `typ: JWT`; it says {describe(typ)}")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise _unauthorized(f"the token is signed with {describe(algorithm)}; use RS384 or ES384")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _unauthorized("the token's header has no `kid` naming its key")
    return str(algorithm)


def _check_claim_types(claims: Any) -> None:
    """Refuse (401) claims of the wrong kind before PyJWT compares them with anything."""
    if not isinstance(claims, dict):
        raise _unauthorized("the token's claims are not a JSON object")
    missing = [name for name in REQUIRED_CLAIMS if name not in claims]
    if missing:
        raise _unauthorized(f"the token has no `{missing[0]}` claim")
    for name in ("exp", "iat"):
        value = claims[name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise _unauthorized(f"`{name}` must be a number of seconds; it is {describe(value)}")
    if not isinstance(claims["iss"], str):
        raise _unauthorized(f"`iss` must be text; it is {describe(claims['iss'])}")
    audience = claims["aud"]
    if not isinstance(audience, str) and not (
        isinstance(audience, list) and all(isinstance(item, str) for item in audience)
    ):
        raise _unauthorized(f"`aud` must be a URL or a list of URLs; it is {describe(audience)}")
    jti = claims["jti"]
    if not isinstance(jti, str) or not jti.strip() or len(jti) > MAX_JTI_LENGTH:
        raise _unauthorized(
            f"`jti` must be a unique id of 1 to {MAX_JTI_LENGTH} characters; it is {describe(jti)}"
        )


def _fits(key: jwt.PyJWK, algorithm: str) -> bool:
    """Whether `key` is of the type `algorithm` signs with (PyJWT would raise otherwise)."""
    public = key.key
    if algorithm == "RS384":
        return isinstance(public, rsa.RSAPublicKey)
    return isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP384R1)


def _used_before() -> ServiceProblem:
    return _unauthorized("this token was used before (`jti` seen); send a new one")


def _unauthorized(detail: str, error: str = "invalid_token") -> ServiceProblem:
    challenge = 'Bearer realm="healthkb"'
    if error:
        challenge += f', error="{error}"'
    return ServiceProblem(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": challenge}
    )
