"""The base of every model of what editors write, and the separator of a validator's
message from its hint: one place, so that `kb.yaml`'s sections (approvals, personal
data, provenance) and the rules are checked with the same strictness."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Between a validator's message and its hint: the problem shows them apart (see
# wording.py), "message (hint)".
HINT = "\n"


class StrictModel(BaseModel):
    # The docstring under a field becomes its description in the JSON Schemas, which is
    # the help an editor sees on hover (see editing/schemas.py).
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        populate_by_name=True,
        use_attribute_docstrings=True,
    )
