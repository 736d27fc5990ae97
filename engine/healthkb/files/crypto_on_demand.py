"""The modules of `cryptography`, imported at the first use of a key rather than with
healthkb.

Keys sign and verify releases, approvals and audit checkpoints, and seal personal data
in audit records; `healthkb evaluate` on a KB without a signature to check does none of
that, and importing cryptography's key modules was a twentieth of its start-up. Every
module of healthkb that uses them reads them here (`from ..files.crypto_on_demand import
ed25519`, then `ed25519.Ed25519PublicKey`); type checkers see the real modules (see
`on_demand.py`).

Its fast paths, and why they give the same answer: docs/performance.md, "Start-up, second pass".
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from .on_demand import OnDemand


def _import_exceptions() -> ModuleType:
    from cryptography import exceptions

    return exceptions


def _import_serialization() -> ModuleType:
    from cryptography.hazmat.primitives import serialization

    return serialization


def _import_ed25519() -> ModuleType:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def _import_x25519() -> ModuleType:
    from cryptography.hazmat.primitives.asymmetric import x25519

    return x25519


def _import_hpke() -> ModuleType:
    from cryptography.hazmat.primitives import hpke

    return hpke


if TYPE_CHECKING:
    from cryptography import exceptions as crypto_errors
    from cryptography.hazmat.primitives import hpke, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
else:
    crypto_errors = OnDemand(_import_exceptions)
    serialization = OnDemand(_import_serialization)
    ed25519 = OnDemand(_import_ed25519)
    x25519 = OnDemand(_import_x25519)
    hpke = OnDemand(_import_hpke)

__all__ = ["crypto_errors", "ed25519", "hpke", "serialization", "x25519"]
