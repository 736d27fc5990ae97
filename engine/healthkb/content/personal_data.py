"""What audit records keep of a person's profile: `personal_data:` in `kb/kb.yaml`.

Each input attribute (or every attribute of a fact, `diet.*`) is kept as given, dropped,
hashed (a keyed HMAC: equal values give equal hashes, and no one without the key can
guess a value from its hash), generalised to a band (`{generalise: {band: 10}}`: 47
becomes 40 to 50) or encrypted to the auditor named here (only their private key opens
it). An attribute named exactly wins over its fact's `*`; what is not named is kept.
Only the audit record changes: the answer the caller gets is the same. Without
`personal_data` (the bundled KB) records keep the whole profile, as always.

Whether each pattern names an attribute of the vocabulary, and whether a band fits it,
is checked with the other files (content/checks/personal_data_policy.py).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
)

from ..errors import HealthKBError
from ..files.x25519_keys import sealing_key_from_pem
from .strict_model import HINT, StrictModel

Plain = Literal["keep", "drop", "hash", "encrypt"]
AttributePattern = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*\.([a-z][a-z0-9_]*|\*)$", max_length=161)
]


class Band(StrictModel):
    """The width of the bands a number is generalised to, counted from 0."""

    band: Annotated[int, Field(gt=0)] | Annotated[float, Field(gt=0, allow_inf_nan=False)]
    """The band's width: `10` turns 47 into the band from 40 to 50 (50 excluded)."""


class Generalise(StrictModel):
    """Keep only the band a number falls in: `{generalise: {band: 10}}`."""

    generalise: Band


def _known_action(value: object) -> object:
    if isinstance(value, str) and value not in ACTIONS:
        raise ValueError(
            f"unknown action `{value}`{HINT}write one of {', '.join(ACTIONS)}, or "
            "`{generalise: {band: N}}` for a number"
        )
    return value


ACTIONS = ("keep", "drop", "hash", "encrypt")
Action = Plain | Generalise
CheckedAction = Annotated[Action, BeforeValidator(_known_action)]


class Auditor(StrictModel):
    """Who may read encrypted attributes: their X25519 public key."""

    name: Annotated[str, Field(min_length=1)]
    """Who they are (a data protection officer, an audit team)."""
    public_key: Annotated[str, Field(min_length=1)]
    """Their X25519 public key, PEM (`auditor.pub`, from `healthkb audit keygen --kind
    sealing`)."""

    @field_validator("public_key")
    @classmethod
    def _an_x25519_key(cls, text: str) -> str:
        try:
            sealing_key_from_pem(text.encode("utf-8"), "public_key")
        except HealthKBError:
            raise ValueError(
                "`public_key` is not an X25519 public key in PEM"
                f"{HINT}paste the whole auditor.pub written by `healthkb audit keygen --kind "
                "sealing`, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----"
            ) from None
        return text


class PersonalData(StrictModel):
    """What audit records keep of each profile attribute."""

    attributes: dict[AttributePattern, CheckedAction] = Field(default_factory=dict)
    """`fact.attribute` or `fact.*` → keep, drop, hash, encrypt or `{generalise: {band:
    N}}`; an attribute named exactly wins over `fact.*`; what is not named is kept."""
    auditor: Auditor | None = None
    """Whom encrypted attributes are sealed to (needed when any attribute is encrypted)."""


def action_name(action: Action) -> str:
    """`keep`, `drop`, `hash`, `encrypt` or `generalise`."""
    return action if isinstance(action, str) else "generalise"


def attribute_actions(
    policy: PersonalData | None, attributes: dict[str, list[str]]
) -> dict[str, Action]:
    """`fact.attribute` → what records keep of it, for every input attribute (`attributes`:
    fact → its attribute names) a pattern covers and does not keep; {} keeps everything."""
    if policy is None:
        return {}
    actions: dict[str, Action] = {}
    for fact, names in sorted(attributes.items()):
        for name in sorted(names):
            path = f"{fact}.{name}"
            action = policy.attributes.get(path, policy.attributes.get(f"{fact}.*", "keep"))
            if action != "keep":
                actions[path] = action
    return actions
