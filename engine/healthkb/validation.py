"""Turning pydantic's validation errors into located, editor-friendly problems.

pydantic reports one error per branch of a union (`gt: "30"` is neither an `int` nor a
`float`) in its own words ("Input should be a valid dictionary or instance of Then").
An editor made one mistake and wants it said once, in the words of the file format,
at the place in the file. So errors are grouped by the place in the data they point
at, each group becomes one problem, and the wording comes from the model itself (its
field names, allowed values, patterns and field descriptions).
"""

from __future__ import annotations

import datetime
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import Problem, closest, did_you_mean, shorten, shown
from .modelwalk import allowed_keys, field_at, is_tag, pattern_of
from .yamlio import Located, PathKey

M = TypeVar("M", bound=BaseModel)

__all__ = ["allowed_keys", "data_path", "problems_from", "validate_located", "value_words"]


def validate_located(model: type[M], located: Located) -> tuple[M | None, list[Problem]]:
    """Validate a file's data against `model`; return the model or the located problems."""
    try:
        return model.model_validate(located.data), []
    except ValidationError as error:
        return None, problems_from(error, model, located)


def problems_from(
    error: ValidationError, model: type[BaseModel], located: Located
) -> list[Problem]:
    """One located problem per mistake: union branches at one place are merged."""
    details = error.errors(include_url=False)
    groups: dict[PathKey, list[Any]] = {}
    for detail in details:
        groups.setdefault(data_path(located.data, tuple(detail["loc"])), []).append(detail)
    misplaced = _misplaced_keys(details, model, located.data)
    misspelt = _misspelt_keys(details, model, located.data)
    problems = []
    for path, found in groups.items():
        wrong_types = [d for d in found if _is_type_error(d)]
        # A union branch that matched the value's shape reports deeper: say only that.
        deeper = any(other[: len(path)] == path and other != path for other in groups)
        if wrong_types and not deeper and path not in misplaced.values():
            problems.append(_wrong_type(wrong_types, model, located, path))
        for detail in found:
            if _is_type_error(detail):
                continue
            if detail["type"] == "missing" and (path in misplaced.values() or path in misspelt):
                continue
            problems.append(_other(detail, model, located, path, misplaced))
    return _without_duplicates(problems)


def data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """The path through the data that a pydantic `loc` points at (union tags dropped)."""
    path: list[str | int] = []
    current = data
    for i, part in enumerate(loc):
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict) and isinstance(part, str):
            # A union tag (skip it), or, as the last part, a key that is missing/unknown.
            if is_tag(part) or i < len(loc) - 1:
                continue
            path.append(part)
            current = None
    return tuple(path)


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
_CONDITION_HINT = (
    "write a comparison such as `{fact: running.intensity, eq: high}`, or `all:`, `any:` "
    "or `not:` with conditions under it"
)


def _is_type_error(detail: Any) -> bool:
    return str(detail["type"]) in _EXPECTED


def _wrong_type(
    details: list[Any], model: type[BaseModel], located: Located, path: PathKey
) -> Problem:
    loc = tuple(details[0]["loc"])
    value = details[0]["input"]
    subject = _subject(path)
    name = _last_name(path)
    expected = _expected(details, model, loc)
    code, hint = "wrong-type", ""
    if not path and value is not None:
        message = f"the file holds {value_words(value)}, but it must be a mapping of keys"
        hint = _root_hint(model)
    elif value is None:
        message = f"{subject} is empty; it needs {expected}"
        hint = (
            f"write the item after its `-`, or remove the `-`"
            if isinstance(path[-1], int)
            else f"write its value after `{name}:`, or indent the lines that belong to it "
            f"under `{name}:`"
        )
    else:
        message = f"{subject} needs {expected}, got {value_words(value)}"
        if "comparison" in loc and name in _ORDERING and not _is_number_text(value):
            code = "wrong-operator"
            message = f"`{name}` compares numbers, and {value_words(value)} is not a number"
            hint = (
                "test a bool attribute with `eq` or `ne`"
                if isinstance(value, bool)
                else "test an enum attribute with `eq`, `ne`, `in` or `not_in`"
            )
        elif isinstance(value, str) and "number" in expected and _is_number_text(value):
            hint = f"remove the quotes: write {value}, not \"{value}\""
        elif isinstance(value, list) and name in _SEVERAL:
            hint = f"to test several values, use `{_SEVERAL[name]}: [...]`"
        elif details[0].get("ctx", {}).get("class_name") == "Comparison":
            message = f"{subject} needs a condition, got {value_words(value)}"
            hint = _CONDITION_HINT
            if isinstance(value, list):
                hint = "to combine conditions, list them under `all:` (each must hold) or `any:`"
        elif expected in PATTERN_NOUNS.values():
            hint = PATTERN_HINTS[pattern_of(field_at(model, loc)[0])]
    return located.problem(path, code, message, hint or _field_hint(model, loc))


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


def _is_number_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


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
    r"^\d+\.\d+\.\d+$": "write the version as major.minor.patch, e.g. `1.0.0`",
    r"^sha256:[0-9a-f]{64}$": "write `sha256:` and 64 hex digits, as `healthkb release` does",
}

# Patterns for values that are not names, and what such a value is called.
PATTERN_NOUNS = {
    r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$": "a language tag",
    r"^\d+\.\d+\.\d+$": "a version (major.minor.patch)",
    r"^sha256:[0-9a-f]{64}$": "a digest",
}


def _other(
    detail: Any,
    model: type[BaseModel],
    located: Located,
    path: PathKey,
    misplaced: dict[PathKey, PathKey],
) -> Problem:
    kind = str(detail["type"])
    loc = tuple(detail["loc"])
    name = _last_name(path)
    value = detail.get("input")
    ctx = detail.get("ctx", {})
    if kind == "extra_forbidden":
        if path in misplaced:
            owner_path = misplaced[path]
            owner = _last_name(owner_path)
            parent = _value_at(located.data, owner_path[:-1])
            hint = (
                f"indent it under `{owner}:`, with spaces"
                if isinstance(parent, dict) and owner in parent
                else f"write `{owner}:` above it and indent it under `{owner}:`"
            )
            return located.problem(
                path, "unknown-key", f"`{shorten(name)}` belongs under `{owner}`", hint
            )
        allowed = allowed_keys(model, loc[:-1])
        return located.problem(
            path, "unknown-key", f"unknown key `{shorten(name)}`", did_you_mean(name, allowed)
        )
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
    message = str(detail["msg"]).removeprefix("Value error, ")
    if message.startswith("Input should be"):
        message = f"{_subject(path)} should be{message.removeprefix('Input should be')}"
        message = f"{message}, got {value_words(value)}"
    elif path and not message.startswith("a "):
        message = f"`{name}`: {message}"
    hint = "" if kind == "value_error" else _field_hint(model, loc)
    return located.problem(path, "invalid-value", message, hint)


def _pattern_mismatch(
    located: Located, path: PathKey, loc: tuple[Any, ...], value: Any, pattern: str
) -> Problem:
    text = _named(value)
    hint = PATTERN_HINTS.get(pattern, f"it must match the pattern {pattern}")
    if pattern in PATTERN_NOUNS:
        message = f"{text} is not {PATTERN_NOUNS[pattern]}"
        return located.problem(path, "invalid-value", f"`{_last_name(path)}`: {message}", hint)
    if loc[-1:] == ("[key]",):
        # A name given as a key (an attribute, a fact): say where it was given.
        where = _last_name(path[:-1])
        return located.problem(path, "invalid-name", f"{text} is not a valid name in `{where}`", hint)
    return located.problem(
        path, "invalid-name", f"{text} is not a valid name for `{_last_name(path)}`", hint
    )


def _length(detail: Any, model: type[BaseModel], located: Located, path: PathKey) -> Problem:
    ctx = detail.get("ctx", {})
    actual = ctx.get("actual_length", len(detail.get("input") or ""))
    subject = _subject(path)
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


def _subject(path: PathKey) -> str:
    """What a path names, for the start of a message: "`gt`", "item 2 of `rules`"."""
    if not path:
        return "the file"
    last = path[-1]
    if isinstance(last, int):
        owner = _last_name(path[:-1])
        return f"item {last + 1} of `{owner}`" if owner else f"item {last + 1}"
    return f"`{shorten(str(last))}`"


def _last_name(path: PathKey) -> str:
    return next((str(p) for p in reversed(path) if isinstance(p, str)), "")


def _field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    """The description of the field at `loc` (its docstring in model.py), as a hint."""
    field = field_at(model, loc)[1]
    text = (field.description or "").strip() if field is not None else ""
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


def _value_at(data: Any, path: PathKey) -> Any:
    for step in path:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return None
    return data


def _misplaced_keys(
    details: list[Any], model: type[BaseModel], data: Any
) -> dict[PathKey, PathKey]:
    """Unknown keys that belong under an empty or missing sibling (`derive` under `then`).

    Maps the unknown key's path to its owner's path. A key dedented by mistake gives
    both "unknown key" and "`then` is empty": the one mistake is reported once, at the
    key that moved.
    """
    found: dict[PathKey, PathKey] = {}
    for detail in details:
        if detail["type"] != "extra_forbidden":
            continue
        loc = tuple(detail["loc"])
        parent_path = data_path(data, loc[:-1])
        parent = _value_at(data, parent_path)
        if not isinstance(parent, dict):
            continue
        for owner in allowed_keys(model, loc[:-1]):
            if parent.get(owner) is None and loc[-1] in allowed_keys(model, (*loc[:-1], owner)):
                found[(*parent_path, loc[-1])] = (*parent_path, owner)
                break
    return found


def _misspelt_keys(details: list[Any], model: type[BaseModel], data: Any) -> set[PathKey]:
    """Missing keys that an unknown key beside them misspells (`titel` for `title`).

    The typo is one mistake: it is reported once, as the unknown key whose hint names
    the missing one.
    """
    missing = {data_path(data, tuple(d["loc"])) for d in details if d["type"] == "missing"}
    found: set[PathKey] = set()
    for detail in details:
        if detail["type"] != "extra_forbidden":
            continue
        loc = tuple(detail["loc"])
        meant = closest(str(loc[-1]), allowed_keys(model, loc[:-1]))
        candidate = (*data_path(data, loc[:-1]), meant) if meant else None
        if candidate in missing:
            found.add(candidate)
    return found


def _without_duplicates(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[int, int, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.line, problem.column, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
