"""The KB digest's canonical JSON as healthkb wrote it before orjson: `content_digest._plain`
and `json.dumps`, verbatim, for the tests that hold the new writer and the digest to it."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


def canonical_json_before(value: Any) -> bytes:
    """`value`'s canonical JSON in UTF-8, the old way: models as their
    `model_dump(mode="json", by_alias=True)`, keys sorted, no spaces, non-ASCII as is."""

    def plain(value: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json", by_alias=True)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in sorted(value.items())}
        return value

    text = json.dumps(plain(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")
