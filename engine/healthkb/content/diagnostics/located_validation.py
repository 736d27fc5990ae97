"""Turning pydantic's validation errors into located, editor-friendly problems.

pydantic reports one error per branch of a union (`gt: "30"` is neither an `int` nor a
`float`) in its own words ("Input should be a valid dictionary or instance of Then").
An editor made one mistake and wants it said once, in the words of the file format,
at the place in the file. So errors are grouped by the place in the data they point
at, each group becomes one problem, and the wording comes from the model itself (its
field names, allowed values, patterns and field descriptions).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ...errors import Problem, closest, shorten
from ...files.yaml_reader import Located, PathKey
from .error_wording import (
    is_type_error,
    last_name,
    other_error,
    quoted_number,
    value_words,
    wrong_type,
)
from .model_fields import allowed_keys, is_tag

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "allowed_keys",
    "data_path",
    "problems_from",
    "quoted_number",
    "validate_located",
    "value_words",
]


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
    indented = _over_indented_keys(details, located.data)
    problems = [_over_indented(located, key, owner) for key, owner in indented.items()]
    # Sets to look paths up in, made once: asked of each group against every other
    # group, a file with thousands of mistakes took seconds (20,000 rules that are not
    # mappings: 90 s), for the same answers (docs/performance.md, "Validating the
    # rules, again").
    owners = set(indented.values())
    beside_owners = {key[:-2] + key[-1:] for key in indented}
    below_others = _proper_prefixes(groups)
    misplaced_owners = set(misplaced.values())
    for path, found in groups.items():
        # Under a key indented too far, or where that key belongs: reported as that.
        if path in beside_owners or any(path[:i] in owners for i in range(len(path) + 1)):
            continue
        wrong_types = [d for d in found if is_type_error(d)]
        # A union branch that matched the value's shape reports deeper: say only that.
        deeper = path in below_others
        if wrong_types and not deeper and path not in misplaced_owners:
            problems.append(wrong_type(wrong_types, model, located, path))
        for detail in found:
            if is_type_error(detail):
                continue
            if detail["type"] == "missing" and (path in misplaced_owners or path in misspelt):
                continue
            if detail["type"] == "extra_forbidden" and path in misplaced:
                problems.append(_misplaced(located, path, misplaced[path]))
                continue
            problems.append(other_error(detail, model, located, path))
    return _without_duplicates(problems)


def _proper_prefixes(paths: Iterable[PathKey]) -> set[PathKey]:
    """Every path some other path goes on below: each path's prefixes, itself left out."""
    return {path[:i] for path in paths for i in range(len(path))}


def data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """The path through the data that a pydantic `loc` points at (union tags dropped)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if (isinstance(current, dict) and part in current) or (
            isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        ):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict) and isinstance(part, str):
            # Either a union tag (skip it) or a key that is missing/unknown.
            if is_tag(part):
                continue
            path.append(part)
            current = None
    return tuple(path)


def _over_indented_keys(details: list[Any], data: Any) -> dict[PathKey, PathKey]:
    """Required keys found one level too deep (`then:` indented under `when:`).

    Maps the key's path where it was written to the path of the key it is indented
    under. The one mistake otherwise reads as a missing key beside, and as an unknown
    key (or a broken condition) under, the other key.
    """
    found: dict[PathKey, PathKey] = {}
    for detail in details:
        if detail["type"] != "missing":
            continue
        path = data_path(data, tuple(detail["loc"]))
        parent = _value_at(data, path[:-1])
        if not isinstance(parent, dict):
            continue
        for name, child in parent.items():
            if isinstance(child, dict) and path[-1] in child:
                found[(*path[:-1], name, path[-1])] = (*path[:-1], name)
                break
    return found


def _over_indented(located: Located, path: PathKey, owner_path: PathKey) -> Problem:
    key, owner = last_name(path), last_name(owner_path)
    line, _ = located.place(owner_path)
    return located.problem(
        path,
        "over-indented",
        f"`{key}:` is indented under `{owner}:` (line {line}), so the rule has no `{key}`",
        f"move `{key}:` and what is under it left, to line up with `{owner}:`",
    )


def _misplaced(located: Located, path: PathKey, owner_path: PathKey) -> Problem:
    owner = last_name(owner_path)
    parent = _value_at(located.data, owner_path[:-1])
    hint = (
        f"indent it under `{owner}:`, with spaces"
        if isinstance(parent, dict) and owner in parent
        else f"write `{owner}:` above it and indent it under `{owner}:`"
    )
    return located.problem(
        path, "unknown-key", f"`{shorten(last_name(path))}` belongs under `{owner}`", hint
    )


def _value_at(data: Any, path: PathKey) -> Any:
    for step in path:
        if isinstance(data, list) and isinstance(step, int):
            data = data[step] if 0 <= step < len(data) else None
        elif isinstance(data, dict):
            data = data.get(step)
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
