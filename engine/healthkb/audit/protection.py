"""Personal data in audit records, as the KB's `personal_data:` policy says.

A record is protected before it is chained, so a protected record verifies like any
other: its hash covers what is stored. Every place a record holds a profile value (the
profile, the result's profile, the input facts a rule used, the value a condition saw)
gets, for a protected attribute, a mark instead of the value:

- drop: `{"protected": "drop"}`;
- hash: `{"protected": "hash", "hmac_sha256": ...}`, an HMAC-SHA256 of the attribute
  and its value under a secret key kept outside the store (`--audit-hash-key`), so that
  equal values can be matched but no one without the key can test a guess;
- generalise: `{"protected": "generalise", "band": [40, 50]}` (40 included, 50 not);
- encrypt: `{"protected": "encrypt"}`, the values themselves sealed once per record to
  the auditor's X25519 public key with HPKE (RFC 9180, base mode: X25519, HKDF-SHA256,
  AES-128-GCM, from `cryptography`), bound to the record id.

The record's `personal_data` says which attributes were protected and how, names the
hash key and the sealing key (by digest, never the key), and holds the sealed values.
`restore_profile` is the other way: the profile a replay can evaluate, with the
encrypted values opened by the auditor's private key, and what cannot be given back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..content.personal_data import Action, Generalise, action_name, attribute_actions
from ..files.crypto_on_demand import crypto_errors, hpke, x25519
from ..files.x25519_keys import hash_key_id, sealing_key_from_pem, sealing_key_id
from .chain import AuditLogError, Record, canonical

if TYPE_CHECKING:
    from ..content.loading.kb_content import KBContent

MARK = "protected"
SUITE_NAME = "HPKE base X25519 HKDF-SHA256 AES-128-GCM"
_INFO = b"healthkb audit record personal data\0"

Mark = Callable[[str, Any], Any]
_DONE = {"drop": "dropped", "hash": "hashed", "generalise": "generalised"}


@dataclass(frozen=True)
class Policy:
    """A KB's policy resolved for its vocabulary: what records keep of each attribute."""

    actions: dict[str, Action]
    """`fact.attribute` → drop, hash, encrypt or a band, for every attribute not kept."""
    auditor_key: str | None = None
    """The PEM public key encrypted attributes are sealed to."""

    @property
    def hashes(self) -> bool:
        return "hash" in self.actions.values()


def policy_of(content: KBContent) -> Policy:
    """The personal-data policy of a KB (keeping everything when it declares none)."""
    declared = content.manifest.personal_data
    attributes = {fact: list(spec.attributes) for fact, spec in content.vocabulary.input.items()}
    auditor = declared.auditor if declared is not None else None
    return Policy(attribute_actions(declared, attributes), auditor.public_key if auditor else None)


def protect(body: Record, policy: Policy, hash_key: bytes | None) -> Record:
    """The record body with the policy applied (the body itself when it keeps all)."""
    profile = body.get("profile")
    if not policy.actions or not isinstance(profile, dict):
        return body
    given = {path: value for path, value in _flat(profile).items() if path in policy.actions}
    if not given:
        return body
    record_id = str(body["record"])
    summary: dict[str, Any] = {"attributes": {p: action_name(policy.actions[p]) for p in given}}
    if any(policy.actions[p] == "hash" for p in given):
        if hash_key is None:
            raise AuditLogError(
                "the KB's personal-data policy hashes attributes, and no hash key was given "
                "(--audit-hash-key FILE); not logged"
            )
        summary["hash_key"] = hash_key_id(hash_key)
    sealed = {p: v for p, v in given.items() if policy.actions[p] == "encrypt"}
    if sealed:
        summary["sealed"] = _seal(sealed, policy, record_id)

    def mark(path: str, value: Any) -> Any:
        action = policy.actions.get(path)
        return value if action is None else _marked(path, value, action, hash_key)

    protected = {key: _walk(value, mark) for key, value in body.items()}
    protected["profile"] = _marked_profile(profile, mark)
    result = protected.get("result")
    if isinstance(result, dict) and isinstance(result.get("profile"), dict):
        protected["result"] = {**result, "profile": _marked_profile(result["profile"], mark)}
    protected["personal_data"] = summary
    plain: Record = json.loads(canonical(protected))
    return plain


def _flat(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{fact}.{name}": value
        for fact, values in profile.items()
        if isinstance(values, dict)
        for name, value in values.items()
    }


def _marked_profile(profile: dict[str, Any], mark: Mark) -> dict[str, Any]:
    return {
        fact: {name: mark(f"{fact}.{name}", v) for name, v in values.items()}
        if isinstance(values, dict)
        else values
        for fact, values in profile.items()
    }


def _walk(node: Any, mark: Mark) -> Any:
    """Every input value in an explanation tree or a result marked: a condition's `seen`
    (`fact` is `type.attribute`) and the `values` of an input fact a rule used."""
    if isinstance(node, list):
        return [_walk(item, mark) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value, mark) for key, value in node.items()}
    fact = node.get("fact")
    if node.get("origin") != "input" or not isinstance(fact, str):
        return out
    if "seen" in node and "." in fact:
        out["seen"] = mark(fact, node["seen"])
    values = node.get("values")
    if isinstance(values, dict) and "." not in fact:
        out["values"] = {name: mark(f"{fact}.{name}", v) for name, v in values.items()}
    return out


def _marked(path: str, value: Any, action: Action, hash_key: bytes | None) -> Any:
    if isinstance(action, Generalise):
        return {MARK: "generalise", "band": _band(value, action.generalise.band)}
    if action == "hash":
        assert hash_key is not None  # protect() refused without one
        message = canonical({"attribute": path, "value": value})
        digest = hmac.new(hash_key, message, hashlib.sha256).hexdigest()
        return {MARK: "hash", "hmac_sha256": digest}
    return {MARK: action}


def _band(value: Any, width: float) -> Any:
    """[low, high) of the band `value` falls in; a list (several facts' values) band by
    band; anything but a number (never given for a number attribute) as None."""
    if isinstance(value, list):
        return [_band(item, width) for item in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    low = math.floor(value / width) * width
    if isinstance(value, int) and float(width).is_integer():
        return [int(low), int(low + width)]
    return [low, low + width]


def _seal(values: dict[str, Any], policy: Policy, record_id: str) -> dict[str, str]:
    assert policy.auditor_key is not None  # the KB's checks ask for an auditor
    public = sealing_key_from_pem(policy.auditor_key.encode("utf-8"), "auditor")
    sealed = _suite().encrypt(canonical(values), public, info=_INFO + record_id.encode())
    return {
        "to": sealing_key_id(public),
        "suite": SUITE_NAME,
        "data": base64.b64encode(sealed).decode("ascii"),
    }


def _suite() -> hpke.Suite:
    return hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_128_GCM)


@dataclass(frozen=True)
class Restored:
    """A record's profile as far as it can be given back, and what cannot."""

    profile: dict[str, Any]
    missing: dict[str, str]
    """`fact.attribute` → why its value is not in `profile` (`dropped`, `hashed`,
    `generalised`, `encrypted (no key)`, `encrypted (another key)`)."""


def restore_profile(record: Record, private_key: x25519.X25519PrivateKey | None) -> Restored:
    """The profile a record was evaluated with: as stored, encrypted values opened with
    `private_key` where it is the key they were sealed to."""
    profile = record["profile"]
    summary = record.get("personal_data")
    if not isinstance(summary, dict):
        return Restored(profile, {})
    opened, why_not = _open(summary, private_key, str(record.get("record")))
    restored: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for fact, values in profile.items():
        kept = {}
        for name, value in values.items():
            path = f"{fact}.{name}"
            if not (isinstance(value, dict) and MARK in value):
                kept[name] = value
            elif value[MARK] == "encrypt" and path in opened:
                kept[name] = opened[path]
            else:
                missing[path] = (
                    why_not if value[MARK] == "encrypt" else _DONE.get(value[MARK], "protected")
                )
        restored[fact] = kept
    return Restored(restored, missing)


def _open(
    summary: dict[str, Any], private_key: x25519.X25519PrivateKey | None, record_id: str
) -> tuple[dict[str, Any], str]:
    sealed = summary.get("sealed")
    if not isinstance(sealed, dict):
        return {}, "encrypted (nothing sealed)"
    if private_key is None:
        return {}, "encrypted (no key)"
    if sealed.get("to") != sealing_key_id(private_key.public_key()):
        return {}, "encrypted (to another key)"
    try:
        data = base64.b64decode(str(sealed.get("data")), validate=True)
        clear = _suite().decrypt(data, private_key, info=_INFO + record_id.encode())
    except (ValueError, crypto_errors.InvalidTag):
        return {}, "encrypted (cannot be opened: damaged)"
    opened: dict[str, Any] = json.loads(clear)
    return opened, ""
