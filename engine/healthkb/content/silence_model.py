"""`kb/silences.yaml`: where a source deliberately says nothing, declared as such.

An outcome group (outcome conclusions linked by `excludes`) answers one question: will
fat on the thighs and buttocks decrease, say. Profiles that reach none of its
conclusions are a `gap` for `healthkb analyze`, unless a declared silence covers them:
a condition in the rule language, the reason the KB concludes nothing there, and the
passage that justifies it. Silences never change what the engine concludes.
"""

from __future__ import annotations

from pydantic import Field

from .model import Citation, Identifier, StrictModel, Text
from .rule_model import Condition


class Silence(StrictModel):
    """Profiles for which the KB rightly reaches none of some outcome conclusions."""

    id: Identifier
    """The silence's stable id (lowercase letters, digits and `_`)."""
    about: list[Identifier] = Field(min_length=1)
    """Outcome conclusions the source is silent about here (one of a group is enough)."""
    when: Condition
    """Which profiles: a condition in the rule language, over input and derived facts."""
    reason: Text
    """Why the KB concludes nothing there, for reviewers."""
    because: list[Citation] = Field(min_length=1)
    """The passages of the source that justify the silence."""


class SilencesFile(StrictModel):
    """`kb/silences.yaml` (optional): the intended silences of the KB."""

    silences: list[Silence] = Field(min_length=1)
    """Every intended silence, each with a unique `id`."""


SilencesFile.model_rebuild()
