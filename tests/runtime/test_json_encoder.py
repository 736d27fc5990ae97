"""`json_encoder` (the C encoder made once, called directly) writes what
`json.JSONEncoder(...).encode` writes, and refuses what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from healthkb.runtime.compile import json_encoder

VALUES: list[Any] = [
    {"b": 1, "a": [True, False, None], "é": "中文 \u2028 \x00", "n": -0.0},
    {"x": 1e-07, "y": 1e16, "z": 123456789012345678901234567890, "w": 2.5},
    ["\ud800", 'quote " backslash \\', {}, []],
    "a string",
    7,
]
OPTIONS: list[dict[str, Any]] = [
    {"sort_keys": True, "ensure_ascii": False},
    {"ensure_ascii": False, "allow_nan": False, "separators": (",", ":")},
    {"ensure_ascii": False, "separators": (",", ":")},
    {"separators": (",", ":")},
]


@pytest.mark.parametrize("options", OPTIONS)
def test_it_writes_what_the_standard_encoder_writes(options: dict[str, Any]) -> None:
    encode = json_encoder(**options)
    for value in VALUES:
        assert encode(value) == json.JSONEncoder(**options).encode(value)


def test_it_refuses_what_the_standard_encoder_refuses() -> None:
    strict = json_encoder(allow_nan=False)
    with pytest.raises(ValueError, match="Out of range float"):
        strict({"a": float("nan")})
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_encoder()({"a": object()})
