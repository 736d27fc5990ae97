"""CDS Hooks client JWTs for the service's tests: key pairs, their JWKS, tokens."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://ehr.example.org"
PROFILE = {"symptoms": {"physical_discomfort": True}}


class Keys:
    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP384R1())
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict[str, Any]:
        rsa_key = json.loads(RSAAlgorithm.to_jwk(self.rsa.public_key()))
        ec_key = json.loads(ECAlgorithm.to_jwk(self.ec.public_key()))
        return {
            "keys": [
                {**rsa_key, "kid": "rsa-1", "alg": "RS384", "use": "sig"},
                {**ec_key, "kid": "ec-1", "alg": "ES384", "use": "sig"},
            ]
        }


def token(
    keys: Keys,
    audience: str,
    *,
    algorithm: str = "RS384",
    kid: str = "rsa-1",
    key: Any = None,
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A signed token for `audience`; `headers` add to or replace the header's fields
    (`kid` None leaves it out, `typ` None too), `claims` the claims."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "client-app",
        "aud": audience,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        **claims,
    }
    signing = key if key is not None else (keys.rsa if algorithm == "RS384" else keys.ec)
    header = {"kid": kid, "typ": "JWT", **(headers or {})}
    if header["kid"] is None:
        del header["kid"]
    return jwt.encode(payload, signing, algorithm=algorithm, headers=header)


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A token with this header and these claims, and a signature of junk."""
    parts = [json.dumps(part).encode() for part in (header, claims)]
    return ".".join([*(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts), "AAAA"])


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}
