"""`problems_from` as content/diagnostics/located_validation.py had it before its paths
were looked up in sets made once (each group's path was compared with every other
group's): verbatim, for tests/content/test_located_problems.py to hold the new one to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from healthkb.content.diagnostics import located_validation as lv
from healthkb.content.diagnostics.error_wording import is_type_error, other_error, wrong_type
from healthkb.errors import Problem
from healthkb.files.yaml_reader import Located, PathKey

data_path = lv.data_path
_misplaced_keys = lv._misplaced_keys
_misspelt_keys = lv._misspelt_keys
_over_indented_keys = lv._over_indented_keys
_over_indented = lv._over_indented
_misplaced = lv._misplaced
_without_duplicates = lv._without_duplicates


def problems_from_before(
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
    for path, found in groups.items():
        if any(
            path[: len(owner)] == owner or path == key[:-2] + key[-1:]
            for key, owner in indented.items()
        ):
            continue
        wrong_types = [d for d in found if is_type_error(d)]
        # A union branch that matched the value's shape reports deeper: say only that.
        deeper = any(other[: len(path)] == path and other != path for other in groups)
        if wrong_types and not deeper and path not in misplaced.values():
            problems.append(wrong_type(wrong_types, model, located, path))
        for detail in found:
            if is_type_error(detail):
                continue
            if detail["type"] == "missing" and (path in misplaced.values() or path in misspelt):
                continue
            if detail["type"] == "extra_forbidden" and path in misplaced:
                problems.append(_misplaced(located, path, misplaced[path]))
                continue
            problems.append(other_error(detail, model, located, path))
    return _without_duplicates(problems)
