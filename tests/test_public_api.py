"""The public API: `healthkb.__all__` is pinned, and every type a public method of an
exported class returns (or a public property holds) is exported too, so that an app
never needs a deep import to name what the library hands it."""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from collections.abc import Iterator
from pathlib import Path

import healthkb
from support.fresh_python import fresh_python_output

ROOT = Path(__file__).resolve().parents[1]

PINNED = [
    "AuditLog",
    "AuditLogError",
    "Checked",
    "CheckpointCheck",
    "ConclusionResult",
    "Conflict",
    "Derivation",
    "DerivedFact",
    "EvaluationError",
    "Explanation",
    "ExplanationTree",
    "FactUsed",
    "FiredRule",
    "HealthKBError",
    "KBError",
    "KBShipment",
    "KnowledgeBase",
    "Problem",
    "ProfileError",
    "Reached",
    "ResolvedCitation",
    "Result",
    "ShipmentError",
    "Stored",
    "UnknownConclusionError",
    "UnknownLanguageError",
    "Verification",
    "WhatIf",
    "WhyNot",
    "load",
]


def test_exported_members_are_pinned() -> None:
    assert sorted(healthkb.__all__) == PINNED
    for name in healthkb.__all__:
        assert getattr(healthkb, name).__doc__, f"healthkb.{name} has no docstring"


def test_the_names_evaluating_never_uses_are_imported_at_their_first_read() -> None:
    # `import healthkb` leaves analysis/ and audit/ alone (start-up, docs/performance.md);
    # each of their public names is still there, the very class, the first time it is read.
    code = (
        "import json, sys\n"
        "import healthkb\n"
        "lazy = ['healthkb.analysis.what_if', 'healthkb.audit.log', 'healthkb.audit.chain',\n"
        "    'healthkb.results.explain', 'healthkb.runtime.shipment']\n"
        "before = [name for name in lazy if name in sys.modules]\n"
        "from healthkb import *\n"
        "from healthkb.audit.log import AuditLog as deep\n"
        "from healthkb.analysis.what_if import WhatIf as deep_what_if\n"
        "print(json.dumps([before, AuditLog is deep, healthkb.WhatIf is deep_what_if,\n"
        "    set(healthkb.__all__) <= set(dir(healthkb)), hasattr(healthkb, 'NoSuchName')]))\n"
    )
    assert json.loads(fresh_python_output(code)) == [[], True, True, True, False]


def _named_types(annotation: object) -> Iterator[type]:
    """The classes an annotation names, through unions, generics and containers."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _named_types(argument)


def _exported() -> dict[str, object]:
    return {name: getattr(healthkb, name) for name in healthkb.__all__} | {
        "Tree": healthkb.ExplanationTree
    }


def _public_hints(cls: type) -> Iterator[tuple[str, object]]:
    for name, member in inspect.getmembers(cls):
        if name.startswith("_"):
            continue
        function = member.fget if isinstance(member, property) else member
        if not callable(function):
            continue
        try:
            # The public names a module imports only for its annotations (those read on
            # demand: healthkb/__init__.py) resolve as the package exports them.
            hints = typing.get_type_hints(function, localns=_exported())
        except (NameError, TypeError):
            continue
        if "return" in hints:
            yield name, hints["return"]


def test_every_type_a_public_method_returns_is_exported() -> None:
    exported = {getattr(healthkb, name) for name in healthkb.__all__}
    missing = []
    for name in healthkb.__all__:
        cls = getattr(healthkb, name)
        if not isinstance(cls, type) or issubclass(cls, BaseException):
            continue
        for method, annotation in _public_hints(cls):
            for named in _named_types(annotation):
                if named.__module__.startswith("healthkb") and named not in exported:
                    missing.append(f"{name}.{method} -> {named.__module__}.{named.__qualname__}")
    assert not missing, "returned but not exported: " + ", ".join(sorted(set(missing)))


def test_every_public_exception_derives_from_healthkb_error() -> None:
    for name in healthkb.__all__:
        member = getattr(healthkb, name)
        if isinstance(member, type) and issubclass(member, BaseException):
            assert issubclass(member, healthkb.HealthKBError), name


def test_docs_use_only_the_exported_names_and_the_supported_deep_imports() -> None:
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    supported = set(re.findall(r"`from (healthkb\.[\w.]+) import ([\w, ]+)`", api))
    allowed = {(module, name.strip()) for module, names in supported for name in names.split(",")}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for module, names in re.findall(
            r"^from (healthkb\.[\w.]+) import ([\w, ]+)$", page.read_text(encoding="utf-8"), re.M
        ):
            for name in names.split(","):
                assert (module, name.strip()) in allowed, (
                    f"{page.name} imports {name.strip()} from {module}: export it from healthkb "
                    "or list it in docs/api.md's supported deep imports"
                )
