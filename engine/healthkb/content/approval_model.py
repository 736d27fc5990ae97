"""Who must approve a release: `approvals:` in `kb/kb.yaml`.

Each reviewer has a name, a role and an Ed25519 public key (PEM, as `healthkb audit
keygen` writes it); `required` is how many distinct reviewers must approve a release
candidate (`healthkb approve`) before `healthkb release` cuts it. Without `approvals`
(the bundled KB), a release needs none.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from ..errors import HealthKBError
from ..files.ed25519_keys import key_id, public_key_from_pem
from .strict_model import HINT, StrictModel, empty_list


class Reviewer(StrictModel):
    """One person who may approve a release."""

    name: Annotated[str, Field(min_length=1)]
    """Who they are, as the changelog will name them."""
    role: Annotated[str, Field(min_length=1)]
    """Their role, e.g. `clinical reviewer`."""
    public_key: Annotated[str, Field(min_length=1)]
    """Their Ed25519 public key, PEM (the `.pub` file `healthkb audit keygen` writes)."""

    @field_validator("public_key")
    @classmethod
    def _an_ed25519_key(cls, text: str) -> str:
        try:
            public_key_from_pem(text.encode("utf-8"), "public_key")
        except HealthKBError:
            raise ValueError(
                "`public_key` is not an Ed25519 public key in PEM"
                f"{HINT}paste the whole .pub file written by `healthkb audit keygen`, "
                "from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----"
            ) from None
        return text

    @property
    def key_id(self) -> str:
        """The sha256 of the reviewer's raw public key: how approvals name it."""
        return key_id(public_key_from_pem(self.public_key.encode("utf-8"), "public_key"))


class ApprovalPolicy(StrictModel):
    """Who may approve a release, and how many distinct approvals it needs."""

    required: Annotated[int, Field(ge=0, le=100)] = 0
    """How many distinct reviewers must approve a release candidate."""
    reviewers: list[Reviewer] = Field(default_factory=empty_list)
    """Everyone who may approve, each once."""

    @model_validator(mode="after")
    def _each_reviewer_once_and_enough_of_them(self) -> ApprovalPolicy:
        for what, values in (
            ("name", [r.name for r in self.reviewers]),
            ("public key", [r.key_id for r in self.reviewers]),
        ):
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                shown = ", ".join(twice) if what == "name" else "one of them"
                raise ValueError(
                    f"a reviewer is listed twice (the same {what}: {shown})"
                    f"{HINT}list each reviewer once, each with their own key"
                )
        if self.required > len(self.reviewers):
            raise ValueError(
                f"`required` is {self.required} but only {len(self.reviewers)} reviewer(s) "
                f"are listed{HINT}list more reviewers, or require fewer approvals"
            )
        return self
