"""What `healthkb serve` was asked for, handed to every worker process.

uvicorn starts each worker afresh, so the settings travel as JSON in an environment
variable; each worker loads the KB once and refuses to start if its digest is not the
one the parent checked (the KB changed on disk in between).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ..audit.checkpoints import DEFAULT_CHECKPOINT_EVERY
from .body import DEFAULT_MAX_BODY
from .transport import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_HEADER_BYTES,
    DEFAULT_MAX_HEADERS,
    TransportLimits,
)

ENVIRONMENT_VARIABLE = "HEALTHKB_SERVICE_SETTINGS"


@dataclass(frozen=True)
class Settings:
    kb_root: str | None = None
    """The KB folder; None for the bundled KB."""
    kb_digest: str | None = None
    """The digest every worker's KB must have (checked at start)."""
    audit_log: str | None = None
    checkpoint_key: str | None = None
    """The Ed25519 key each worker signs checkpoints of the audit log with (see
    `AuditLog`), after every `checkpoint_every` records it appends and, with
    `checkpoint_seconds`, at its first append that long after its last checkpoint."""
    checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY
    checkpoint_seconds: float | None = None
    audit_hash_key: str | None = None
    """The file of the secret key the KB's personal-data policy hashes attributes with."""
    max_body: int = DEFAULT_MAX_BODY
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_headers: int = DEFAULT_MAX_HEADERS
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    """Per worker; see transport.py."""
    auth_jwks: str | None = None
    auth_issuers: tuple[str, ...] = field(default_factory=tuple)
    auth_jku: tuple[str, ...] = field(default_factory=tuple)
    """The key set URLs a token may name in its `jku` header (none: `jku` is refused)."""
    public_url: str | None = None
    """The URL clients reach the service at: the base of a JWT's `aud` (required with
    `auth_jwks`; the audience never comes from a request's headers)."""
    allow_http_fhir: bool = False
    """Fetch from a `fhirServer` over plain http too (tests on loopback only)."""
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    """Browser origins allowed to call the service (CORS), e.g. the CDS Hooks sandbox."""
    require_signed: str | None = None
    """The Ed25519 public key every release served must be signed with (`--require-signed`),
    checked at start and on each reload."""
    workers: int = 1
    reload_folder: str | None = None
    """The folder the service's processes share for reloads (service/reload.py)."""
    reload_without_token: bool = False
    """Whether `POST /kb/reload` is open without authentication: only when the service
    listens on loopback alone (with authentication on, it needs a token's admin scope)."""
    seen_tokens: str | None = None
    """The folder where every worker records the ids (`jti`) of the tokens it accepted,
    so that no token is accepted twice by the service as a whole."""

    @property
    def can_hash(self) -> bool:
        """Whether every answer can be logged whatever the KB's personal-data policy:
        no audit log, or one with a hash key for the attributes a policy hashes."""
        return self.audit_log is None or self.audit_hash_key is not None

    def transport_limits(self) -> TransportLimits:
        return TransportLimits(
            max_header_bytes=self.max_header_bytes,
            max_headers=self.max_headers,
            header_timeout=self.header_timeout,
            body_timeout=self.body_timeout,
            max_connections=self.max_connections,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        for name in ("auth_issuers", "auth_jku", "cors_origins"):
            data[name] = tuple(data.get(name) or ())
        return cls(**data)

    @classmethod
    def from_environment(cls) -> Settings:
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls.from_json(text) if text else cls()
