"""The KB's content digest: sha256 of the canonical JSON of every model it is made of.

Worked out when first asked for, not while loading: nothing `load()` does reads it.
Most programs read it soon after (every result names it, so does the analysis report of
`healthkb validate` and the language server, releases, audit records, `healthkb diff`):
for them its time is moved to that first read, not saved. They get the value it would
have had at load: it is made from the models assembled then (frozen) and copies of the
dicts holding them. The lists and dicts inside a model are not copied (a deep copy costs
what the digest does): a program that changes one in place (`rule.because.append(...)`)
before the first read changes the digest it reads; healthkb itself never does (a test
evaluates, explains and analyses a KB, then compares its content with what was loaded).

Its fast paths, and why they give the same answer: docs/performance.md,
"Versioned items and the digest: made when read".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from .canonical_json import canonical_json
from .collector_pause import collection_paused


class ContentDigest:
    """The digest of a KB's content (`value`), worked out once, on first use.

    >>> from healthkb.content.fhir_mapping import FhirMapping
    >>> ContentDigest({"fhir": FhirMapping()}).value[:15]
    'sha256:bab3c09e'
    """

    def __init__(self, content: Mapping[str, Any]) -> None:
        # The parts by name (`manifest`, `rules`...): models, or dicts of models by id,
        # copied (the models are frozen, the dicts are not): the digest is of the content
        # as it was assembled, whenever it is read.
        self._content = {
            name: dict(part) if isinstance(part, dict) else part for name, part in content.items()
        }

    @cached_property
    def value(self) -> str:
        """`sha256:` and the hex digest of the content's canonical JSON (keys sorted at
        every level, no spaces, UTF-8 as is): independent of the files' layout."""
        # The dumps are millions of short-lived objects: with the collector on, each
        # collection they set off would scan the whole loaded KB (2.5x the time).
        with collection_paused():
            # orjson from the models' fields (canonical_json.py: the same bytes, a
            # quarter of the time), or where it does not apply, as it always was.
            canonical = canonical_json(self._content)
            if canonical is None:
                canonical = json.dumps(
                    _plain(self._content), sort_keys=True, ensure_ascii=False, separators=(",", ":")
                ).encode("utf-8")
        return "sha256:" + hashlib.sha256(canonical).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContentDigest) and other.value == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"ContentDigest({self.value!r})"


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    return value
