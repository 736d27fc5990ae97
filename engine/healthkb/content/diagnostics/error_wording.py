"""The words of one validation error: what was expected, what was given, and a hint.

Messages name what an editor wrote ("the text \"30\"", "a list") and what the format
wants ("a number", "a condition"); hints come from the model itself: a naming
pattern in words, the allowed values, or the field's own description.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import yaml
from pydantic import BaseModel

from ...errors import Problem, did_you_mean, shorten, shown
from ...files.yaml_reader import Located, PathKey
from ..model import HINT
from .model_fields import allowed_keys, description_at, field_at, pattern_of


def value_words(value: Any) -> str:
    """A value as an editor would name it: `the text "30"`, `the number 5`, `a list`."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f'the text "{shorten(value)}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


def _kind_words(value: Any) -> str:
    """What a value is, without quoting it: `text (1,293 characters)`, `a list`."""
    if isinstance(value, str):
        return f"text ({len(value):,} characters)"
    if isinstance(value, bool | int | float):
        return "a number" if not isinstance(value, bool) else "true or false"
    return value_words(value)


# Other languages' names for the operators, mapped to the one that means the same: a
# hint must never change meaning (`gte` is "at least", so `ge`, never `gt`).
OPERATOR_SYNONYMS = {
    "gte": "ge",
    "geq": "ge",
    "lte": "le",
    "leq": "le",
    "neq": "ne",
    "equals": "eq",
    "equal": "eq",
    "not_equal": "ne",
    "greater_than": "gt",
    "less_than": "lt",
    "not_in_list": "not_in",
}
OPERATOR_WORDS = {
    "eq": "equals",
    "ne": "differs from",
    "lt": "less than",
    "le": "at most",
    "gt": "more than",
    "ge": "at least",
    "not_in": "none of",
}


# --- wrong types -----------------------------------------------------------------------

_EXPECTED = {
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
}

_ORDERING = {"lt", "le", "gt", "ge", "between"}
_SEVERAL = {"eq": "in", "ne": "not_in", "contains": "contains_any"}
_CONDITIONS_HINT = "to combine conditions, list them under `all:` (each must hold) or `any:`"
_CONDITION_HINT = (
    "write a comparison such as `{fact: running.intensity, eq: high}`, or `all:`, `any:` "
    "or `not:` with conditions under it"
)


def is_type_error(detail: Any) -> bool:
    """Whether pydantic's error is about the type of a value (one per union branch)."""
    return str(detail["type"]) in _EXPECTED


def wrong_type(
    details: list[Any], model: type[BaseModel], located: Located, path: PathKey
) -> Problem:
    """One problem for the type errors at one place (one per branch of a union)."""
    loc = tuple(details[0]["loc"])
    value = details[0]["input"]
    name = last_name(path)
    expected = _expected(details, model, loc)
    code, hint = "wrong-type", ""
    if not path and value is not None:
        # Not quoted: a file that is not a mapping is not KB text (a stray or linked
        # system file), and its first line may be anything.
        message = f"the file holds {_kind_words(value)}, but it must be a mapping of keys"
        hint = _root_hint(model)
    elif value is None:
        message = f"{subject_of(path)} is empty; it needs {expected}"
        hint = (
            "write the item after its `-`, or remove the `-`"
            if isinstance(path[-1], int)
            else f"write its value after `{name}:`, or indent the lines that belong to it "
            f"under `{name}:`"
        )
    elif "comparison" in loc and name in _ORDERING and not _number_text(value):
        code = "wrong-operator"
        message = f"`{name}` compares numbers, and {value_words(value)} is not a number"
        hint = (
            "test a bool attribute with `eq` or `ne`"
            if isinstance(value, bool)
            else "test an enum attribute with `eq`, `ne`, `in` or `not_in`"
        )
    else:
        message = f"{subject_of(path)} needs {expected}, got {value_words(value)}"
        hint = _value_hint(details[0], model, expected, name)
    return located.problem(path, code, message, hint or _field_hint(model, loc))


def quoted_number(value: Any, expected: str) -> str:
    """The hint for a number written in quotes where `expected` (a number) is needed;
    '' when `value` is no such text. Rules, test cases and profiles all say it so."""
    if _number_text(value) == "yaml" and "number" in expected:
        return f'remove the quotes: write {shorten(value)}, not "{shorten(value)}"'
    return ""


def _value_hint(detail: Any, model: type[BaseModel], expected: str, name: str) -> str:
    """How to fix a value of the wrong type, when more can be said than the field's help."""
    value = detail["input"]
    numeric = _number_text(value)
    if quoted := quoted_number(value, expected):
        return quoted
    if numeric == "python" and "number" in expected:
        return "YAML reads this as text: write the number as digits with at most one `.`"
    if isinstance(value, list) and name in _SEVERAL:
        return f"to test several values, use `{_SEVERAL[name]}: [...]`"
    if detail.get("ctx", {}).get("class_name") == "Comparison":
        return _CONDITIONS_HINT if isinstance(value, list) else _CONDITION_HINT
    if expected in PATTERN_NOUNS.values():
        return PATTERN_HINTS[pattern_of(field_at(model, tuple(detail["loc"]))[0])]
    return ""


def _expected(details: list[Any], model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    words: list[str] = []
    for detail in details:
        word = _EXPECTED[str(detail["type"])]
        if word == "a mapping":
            word = _mapping_words(model, tuple(detail["loc"]), detail)
        if word not in words:
            words.append(word)
    if "a number" in words and "a whole number" in words:
        words.remove("a whole number")
    single = ["true or false", "a number", "text"]
    if all(w in words for w in single):
        words = ["one value (true or false, a number or text)"] + [
            w for w in words if w not in single
        ]
    if words == ["text"]:
        pattern = pattern_of(field_at(model, loc)[0])
        if pattern in PATTERN_HINTS:
            return PATTERN_NOUNS.get(pattern, "text")
    return " or ".join(words)


def _mapping_words(model: type[BaseModel], loc: tuple[Any, ...], detail: Any) -> str:
    if detail.get("ctx", {}).get("class_name") == "Comparison":
        return "a condition"
    keys = allowed_keys(model, loc)
    if not keys:
        return "a mapping"
    listed = ", ".join(f"`{k}`" for k in keys[:4])
    return f"a mapping with {listed}{', …' if len(keys) > 4 else ''}"


def _root_hint(model: type[BaseModel]) -> str:
    required = [
        field.alias or name for name, field in model.model_fields.items() if field.is_required()
    ]
    if len(required) == 1:
        key = required[0]
        return f"write `{key}:` on the first line and indent what follows under it"
    return "start the file with its keys: " + ", ".join(f"`{k}:`" for k in required)


def _number_text(value: Any) -> str:
    """ "yaml" for text YAML reads as a number when unquoted (so it was quoted, or JSON);
    "python" for text only Python reads as one (`1.0e400`, `nan`); else ""."""
    if not isinstance(value, str):
        return ""
    # PyYAML's resolver is untyped; it applies YAML 1.1's number patterns.
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return "yaml"
    try:
        float(value)
    except ValueError:
        return ""
    return "python"


_RESOLVER = yaml.resolver.Resolver()


# --- every other error -----------------------------------------------------------------

# What each naming pattern of the models asks for, in words (a test checks every pattern
# used by a model is here).
PATTERN_HINTS = {
    r"^[a-z][a-z0-9_]*$": (
        "use lower-case letters, digits and `_`, starting with a letter (e.g. `sessions_per_week`)"
    ),
    r"^[a-z0-9][a-z0-9_.-]*$": (
        "use lower-case letters, digits, `_`, `-` and `.`, starting with a letter or digit "
        "(e.g. `who-2020.activity`)"
    ),
    r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$": (
        "write `fact.attribute`, both in lower-case letters, digits and `_` "
        "(e.g. `running.intensity`)"
    ),
    r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$": "write a language tag such as `en` or `en-GB`",
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": (
        "write an item's id, or a translation's language tag, as `healthkb release` does"
    ),
    r"^\d+\.\d+\.\d+$": "write the version as major.minor.patch, e.g. `1.0.0`",
    r"^sha256:[0-9a-f]{64}$": "write `sha256:` and 64 hex digits, as `healthkb release` does",
    r"^[0-9a-f]{16}$": "write 16 hex digits, as `healthkb release` does",
}

# Patterns for values that are not names, and what such a value is called.
PATTERN_NOUNS = {
    r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$": "a language tag",
    r"^\d+\.\d+\.\d+$": "a version (major.minor.patch)",
    r"^sha256:[0-9a-f]{64}$": "a digest",
    r"^[0-9a-f]{16}$": "a field digest",
}


def other_error(detail: Any, model: type[BaseModel], located: Located, path: PathKey) -> Problem:
    """One problem for an error that is not about a value's type."""
    kind = str(detail["type"])
    loc = tuple(detail["loc"])
    name = last_name(path)
    value = detail.get("input")
    ctx = detail.get("ctx", {})
    if kind == "extra_forbidden":
        allowed = allowed_keys(model, loc[:-1])
        meant = OPERATOR_SYNONYMS.get(name)
        hint = (
            f"did you mean `{meant}` ({OPERATOR_WORDS[meant]})?"
            if meant in allowed
            else did_you_mean(name, allowed)
        )
        return located.problem(path, "unknown-key", f"unknown key `{shorten(name)}`", hint)
    if kind == "missing":
        return located.problem(
            path, "missing-key", f"missing required key `{name}`", _field_hint(model, loc)
        )
    if kind == "string_pattern_mismatch":
        return _pattern_mismatch(located, path, loc, value, str(ctx.get("pattern", "")))
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return located.problem(
            path,
            "invalid-value",
            f"{_named(value)} is not a valid `{name}`",
            did_you_mean(str(value), choices) if isinstance(value, str) else _listed(choices),
        )
    if kind in {"too_short", "too_long", "string_too_short", "string_too_long"}:
        return _length(detail, model, located, path)
    message, _, given_hint = str(detail["msg"]).removeprefix("Value error, ").partition(HINT)
    if message.startswith("Input should be"):
        message = f"{subject_of(path)} should be{message.removeprefix('Input should be')}"
        message = f"{message}, got {value_words(value)}"
    elif path and not message.startswith("a ") and name not in ("all", "any", "not", "when"):
        # A condition's own words name what is wrong; "`all`:" would only mislead.
        message = f"`{name}`: {message}"
    hint = given_hint if kind == "value_error" else _field_hint(model, loc)
    return located.problem(path, "invalid-value", message, hint)


def _pattern_mismatch(
    located: Located, path: PathKey, loc: tuple[Any, ...], value: Any, pattern: str
) -> Problem:
    text = _named(value)
    hint = PATTERN_HINTS.get(pattern, f"it must match the pattern {pattern}")
    if pattern in PATTERN_NOUNS:
        message = f"{text} is not {PATTERN_NOUNS[pattern]}"
        return located.problem(path, "invalid-value", f"`{last_name(path)}`: {message}", hint)
    if loc[-1:] == ("[key]",):
        # A name given as a key (an attribute, a fact): say where it was given.
        where = last_name(path[:-1])
        return located.problem(
            path, "invalid-name", f"{text} is not a valid name in `{where}`", hint
        )
    return located.problem(
        path, "invalid-name", f"{text} is not a valid name for `{last_name(path)}`", hint
    )


def _length(detail: Any, model: type[BaseModel], located: Located, path: PathKey) -> Problem:
    ctx = detail.get("ctx", {})
    actual = ctx.get("actual_length", len(detail.get("input") or ""))
    subject = subject_of(path)
    hint = _field_hint(model, tuple(detail["loc"]))
    if str(detail["type"]).startswith("string"):
        if not actual:
            return located.problem(path, "invalid-value", f"{subject} is empty", hint)
        limit = ctx.get("max_length", 0)
        message = f"{subject} is {actual:,} characters long; at most {limit:,} are allowed"
        return located.problem(path, "invalid-value", message, hint)
    low, high = _length_bounds(model, tuple(detail["loc"]), ctx)
    items = "item" if (high or low) == 1 else "items"
    if low is not None and low == high:
        wanted = f"exactly {low} {items}"
    elif detail["type"] == "too_short":
        wanted = f"at least {low} {items}"
    else:
        wanted = f"at most {high} {items}"
    got = "it is empty" if not actual else f"it has {actual}"
    return located.problem(path, "invalid-value", f"{subject} needs {wanted}; {got}", hint)


def _length_bounds(
    model: type[BaseModel], loc: tuple[Any, ...], ctx: dict[str, Any]
) -> tuple[int | None, int | None]:
    low, high = ctx.get("min_length"), ctx.get("max_length")
    field = field_at(model, loc)[1]
    for meta in field.metadata if field is not None else []:
        low = getattr(meta, "min_length", low)
        high = getattr(meta, "max_length", high)
    return low, high


# --- words and places ------------------------------------------------------------------


def subject_of(path: PathKey) -> str:
    """What a path names, for the start of a message: "`gt`", "item 2 of `rules`"."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        owner = last_name(path[:-1])
        return f"item {last + 1} of `{owner}`" if owner else f"item {last + 1}"
    return f"`{shorten(str(last))}`"


def last_name(path: PathKey) -> str:
    return next((str(p) for p in reversed(path) if isinstance(p, str)), "")


def _field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The description of the field at `loc` (its docstring in model.py), as a hint."""
    text = description_at(model, loc).strip()
    if not text:
        return ""
    text = text.splitlines()[0].rstrip(".")
    if text[:1].isupper() and not text[1:2].isupper():
        text = text[0].lower() + text[1:]
    return text


def _named(value: Any) -> str:
    return f"`{shorten(value)}`" if isinstance(value, str) else value_words(value)


def _listed(choices: list[str]) -> str:
    return "expected one of " + ", ".join(f"`{c}`" for c in choices) if choices else ""
