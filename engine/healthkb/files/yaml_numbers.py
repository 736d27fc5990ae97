"""Numbers that YAML 1.1 (which PyYAML reads) and YAML 1.2 (what editors expect) read apart.

PyYAML reads `035` as 29 (octal), `1:05` as 65 (base 60), `0b101` as 5 and `1_000` as
1000, and it reads `1e3` and `0o17`, which YAML 1.2 reads as numbers, as text. A profile
with `minutes_per_session: 035` would silently lose a conclusion, so every such form is
refused with a problem that says how it was read and what to write instead, as yes/no/on/off
are. Forms both versions read alike (`35`, `-0.5`, `1.0e+3`, `0x1F`, `.inf`) pass.
"""

from __future__ import annotations

import re
from typing import Any

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_STR = "tag:yaml.org,2002:str"

MAY_START_A_NUMBER = "+-.0123456789"
"""Every form refused below begins with one of these (a sign, a dot or a digit): text
that begins with anything else (most of a KB's values) needs no look."""
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
_BASE_60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_BINARY = re.compile(r"[-+]?0b[0-1_]+")
# YAML 1.2 numbers PyYAML reads as text: an exponent without a dot or a sign, `0o` octal.
_EXPONENT_12 = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")
_OCTAL_12 = re.compile(r"[-+]?0o[0-7]+")

Refusal = tuple[str, str]
"""A message and a hint."""


def number_form_refused(tag: str, text: str, value: Any) -> Refusal | None:
    """Why the plain scalar `text` (resolved to `tag`, read as `value`) is refused, if it is.

    `value` is what PyYAML made of it; the message says so, since that is what the engine
    would have used.
    """
    if tag == _STR and text[:1] not in MAY_START_A_NUMBER:
        # Text read as text that cannot begin a number form (most of a KB's values).
        return None
    read = f"`{text}` is read as {value!r}" if tag in (_INT, _FLOAT) else ""
    quote = f'quote it ("{text}") if you mean the text'
    if _LEADING_ZERO.fullmatch(text):
        if tag == _INT:
            return (
                f"{read}: YAML 1.1 reads a whole number with a leading 0 as octal",
                f"write {_decimal(text)}, or {quote}",
            )
        return (
            f"`{text}` has a leading 0, which YAML 1.1 reads as octal in some numbers "
            "and as text in others",
            f"write {_decimal(text)}, or {quote}",
        )
    if tag in (_INT, _FLOAT) and _BASE_60.fullmatch(text):
        return (
            f"{read}: YAML 1.1 reads numbers with `:` as base 60",
            f"write the number in one unit (e.g. {value!r}), or {quote}",
        )
    if tag == _INT and _BINARY.fullmatch(text):
        return f"{read}: YAML 1.1 reads 0b as binary", f"write {value!r}, or {quote}"
    if tag in (_INT, _FLOAT) and "_" in text:
        return f"{read}: YAML 1.1 ignores `_` in numbers", f"write {value!r}, or {quote}"
    if tag == _STR and _EXPONENT_12.fullmatch(text):
        return (
            f"`{text}` is read as text: this YAML reader takes an exponent only with a "
            "dot and a sign (1.0e+3)",
            f"write {_plain_float(text)}, or {quote}",
        )
    if tag == _STR and _OCTAL_12.fullmatch(text):
        return (
            f"`{text}` is read as text: this YAML reader has no 0o numbers",
            f"write {int(text.replace('0o', ''), 8)}, or {quote}",
        )
    return None


def _decimal(text: str) -> str:
    """`035` -> `35`: the digits as a decimal number, as the writer most likely meant."""
    sign = text[0] if text[0] in "+-" else ""
    digits = text.lstrip("+-").replace("_", "").lstrip("0") or "0"
    return f"{'-' if sign == '-' else ''}{digits}"


def _plain_float(text: str) -> str:
    number = float(text)
    return repr(int(number)) if number.is_integer() and abs(number) < 1e16 else repr(number)
