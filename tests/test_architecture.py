"""The package's layout tells its data flow: stages in subpackages, imports pointing down.

docs/architecture.md names every subpackage and what it may import; the import-linter
contract in pyproject.toml enforces the order (`.ci/run` runs `lint-imports`), and these
tests check that the contract holds, that it would catch an upward import, and that no
module imports another that imports it back at run time.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

from conftest import ROOT

PACKAGE = ROOT / "engine" / "healthkb"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = config["tool"]["importlinter"]["contracts"]
    return list(contract["layers"])


def _stage_names(layer: str) -> list[str]:
    return [name.strip(" ()").removeprefix("healthkb.") for name in layer.split("|")]


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_contract_is_kept() -> None:
    run = _lint_imports(ROOT, ROOT / "engine")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    # A copy of the package where the results stage reaches up into the editors' tools.
    shutil.copytree(PACKAGE, tmp_path / "engine" / "healthkb")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    proof = tmp_path / "engine" / "healthkb" / "results" / "proof.py"
    proof.write_text(
        proof.read_text(encoding="utf-8") + "\nfrom ..editing import cases  # noqa\n",
        encoding="utf-8",
    )
    run = _lint_imports(tmp_path, tmp_path / "engine")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "healthkb.results.proof -> healthkb.editing.cases" in run.stdout


def test_no_module_imports_one_that_imports_it_back_at_run_time() -> None:
    graph = grimp.build_graph("healthkb", exclude_type_checking_imports=True)
    cycles = [
        (module, other)
        for module in sorted(graph.modules)
        for other in sorted(graph.find_modules_directly_imported_by(module))
        if module != other
        and graph.chain_exists(importer=other, imported=module, as_packages=False)
    ]
    assert cycles == []


OPTIONAL_EXTRAS = {
    "cli/batch.py": ["from ..batch.cluster import dask_runners"],
    "cli/serve.py": ["from ..service import server", "from ..service import settings as"],
    "cli/editor_tools/lsp.py": ["from ...lsp import server"],
}
"""The only imports a function may hold: in the top layer (nothing imports `cli`, so no
cycle can hide behind them), of a module that needs an optional extra which the other
commands must not need (Dask distributed, FastAPI, pygls), each a plain import statement that
grimp and import-linter see like any other."""
FORMATS_ON_DEMAND = {
    "cli/evaluate.py": [
        "from ..render.html import esc, language_switch",
        "from ..render.html_explain import explanation_page, why_not_page",
    ],
}
"""And, in the top layer too, the modules of an output format that only some runs of a
command ask for: the HTML pages of `explain --format html`, which `healthkb evaluate`
(the same module) must not pay for at start-up (docs/performance.md)."""
OWN_MODULES_ON_DEMAND = {
    "__init__.py": [
        "from .analysis.what_if import WhatIf",
        "from .audit import chain",
        "from .audit.checkpoints import CheckpointCheck",
        "from .audit import log",
        "from .audit.store import Stored",
        "from .results import explain",
        "from .runtime import shipment",
    ],
    "knowledge_base.py": [
        "from .audit import log",
        "from .content.versioning import release_signature",
        "from .runtime import shipment",
    ],
    "results/result.py": ["from ..analysis import what_if", "from . import explain"],
    "cli/audit_options.py": ["from ..audit import log", "from ..audit import protection"],
}
"""And the modules of healthkb that evaluating never runs but a module on its path names:
the what-if search (analysis/, z3 behind it), the audit log with its stores, the proofs
and why-nots of results/explain.py, a release's signature, a KB's shipment, each
imported at its first use through `files.on_demand.OnDemand` (or, for the public names,
the package's `__getattr__`), so that `healthkb evaluate` does not pay for them
(docs/performance.md, "Start-up, fourth pass"). Each is a plain import statement of a
lower layer: grimp and import-linter see it like any other, so neither a cycle nor an
upward import can hide behind it."""
COMMANDS_ON_DISPATCH = {
    "cli/__init__.py": [
        *(
            f"from . import {name}"
            for name in [
                *("validate", "analyze", "evaluate", "batch", "test", "coverage", "schema"),
                *("release", "governed_release", "diff", "report", "audit", "serve", "fhir"),
            ]
        ),
        "from .editor_tools import fmt",
        "from .editor_tools import lsp",
    ],
}
"""And `cli.command_module`, the one function that imports the module of the command about
to run, and only it (start-up of `healthkb evaluate`: docs/performance.md); nothing imports
`cli`, and each statement names its module for grimp and import-linter."""


def test_no_import_is_hidden_inside_a_function() -> None:
    # Imports inside functions are how cycles get dodged rather than removed.
    hidden = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"\s+(from \.|from healthkb|import healthkb)", line)
        and not _under_type_checking(path, number)
        and not _an_optional_extra(path, line)
    ]
    assert hidden == []


def test_no_module_is_imported_by_name() -> None:
    # `importlib.import_module("healthkb.x")` is an import no tool sees: a cycle or an
    # upward import can hide behind it.
    by_name = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bimport_module\b|\b__import__\b|importlib\.util\.module_from_spec", line)
    ]
    assert by_name == []


def test_only_dask_runs_import_dask() -> None:
    # Every command pays for what it imports: Dask distributed costs a second.
    code = (
        "import sys; from healthkb.cli import main, parser; parser(); "
        "import healthkb.batch.job, healthkb.batch.impact; "
        "assert 'distributed' not in sys.modules and 'healthkb.batch.cluster' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _an_optional_extra(path: Path, line: str) -> bool:
    place = path.relative_to(PACKAGE).as_posix()
    allowed = [
        *OPTIONAL_EXTRAS.get(place, []),
        *FORMATS_ON_DEMAND.get(place, []),
        *OWN_MODULES_ON_DEMAND.get(place, []),
        *COMMANDS_ON_DISPATCH.get(place, []),
    ]
    return any(line.strip().startswith(statement) for statement in allowed)


def _under_type_checking(path: Path, number: int) -> bool:
    lines = path.read_text(encoding="utf-8").splitlines()[:number]
    block = next(line for line in reversed(lines) if not line.startswith((" ", "\t")))
    return block.startswith("if TYPE_CHECKING")


def test_the_package_root_keeps_the_public_api_and_few_modules() -> None:
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(set(modules) - {"__init__.py", "__main__.py"}) <= 10, modules


def test_every_subpackage_is_a_layer_and_is_explained_in_the_architecture_page() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    stages = {name for layer in _layers() for name in _stage_names(layer)}
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages <= stages
    root_modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "__main__"}
    assert root_modules <= stages
    for name in sorted(subpackages):
        assert f"`{name}/`" in page, f"docs/architecture.md does not explain {name}/"


def _modules_by_room() -> dict[str, list[Path]]:
    """Each folder of the package (the root included, as "") and the modules directly in it."""
    rooms: dict[str, list[Path]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" or "_bundled" in path.parts:
            continue
        room = path.parent.relative_to(PACKAGE).as_posix()
        rooms.setdefault("" if room == "." else room, []).append(path)
    return rooms


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_room_holds_a_fifth_of_the_package_or_more_than_twenty_modules() -> None:
    rooms = _modules_by_room()
    total = sum(_lines(p) for paths in rooms.values() for p in paths)
    for room, paths in rooms.items():
        share = sum(_lines(p) for p in paths) / total
        assert len(paths) <= 20, f"{room or 'the root'} holds {len(paths)} modules"
        assert share <= 0.20, f"{room or 'the root'} holds {share:.0%} of the package's lines"


def test_no_function_is_longer_than_eighty_lines() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name} {length}")
    assert long == []


def test_the_architecture_page_names_every_module_in_the_section_of_its_room() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", page, flags=re.M)
    by_room = {m.group(1): s for s in sections if (m := re.match(r"`(\w+)/`", s))}
    unnamed = []
    for room, paths in _modules_by_room().items():
        top = room.split("/")[0]
        text = by_room.get(top, "") if room else page
        for path in paths:
            if path.name == "__main__.py":
                continue
            inner = path.relative_to(PACKAGE / top).as_posix() if room else path.name
            if f"`{path.name}`" not in text and f"`{inner}`" not in text:
                unnamed.append(f"{room}/{path.name}" if room else path.name)
    assert unnamed == [], "docs/architecture.md does not describe: " + ", ".join(unnamed)
