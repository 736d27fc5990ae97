"""docs/performance.md cannot rot: every benchmark command it shows runs (at a small size),
every test file it names as a guard exists, and every fast path's module points back
to its section."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from tests.benchmarks.generated_kb import write_generated_kb
from tests.benchmarks.stages import STAGES, stage_times

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "performance.md"

# Each command the doc shows, and the small run of it the suite makes: the same module
# and options, with smaller sizes (`--quick` where the module has it).
SMALL_RUNS = {
    "python -m tests.benchmarks": "python -m tests.benchmarks --quick",
    "python -m tests.benchmarks --quick": "python -m tests.benchmarks --quick",
    "python -m tests.benchmarks.peer": "python -m tests.benchmarks.peer --quick",
    "python -m tests.benchmarks.peer --quick": "python -m tests.benchmarks.peer --quick",
    "python -m tests.benchmarks.peer --size 10000 --population 1000 --generated-population 200"
    " --repeats 1000": "python -m tests.benchmarks.peer --size 200 --population 50"
    " --generated-population 20 --repeats 20",
    "python -m tests.benchmarks.stages": "python -m tests.benchmarks.stages --size 200 --rounds 2",
    "python -m tests.benchmarks.memory 1000000": "python -m tests.benchmarks.memory 2000",
    "python -m tests.benchmarks.robustness": "python -m tests.benchmarks.robustness --quick",
    "python -m tests.benchmarks.service": "python -m tests.benchmarks.service --quick",
    "python -m tests.benchmarks.batch 1000000": "python -m tests.benchmarks.batch 1000",
    "python -m tests.benchmarks.batch --commands 100000": (
        "python -m tests.benchmarks.batch --commands 300 1"
    ),
    "python -m tests.benchmarks.batch --parts 100000": (
        "python -m tests.benchmarks.batch --parts 750"
    ),
    "python -m tests.benchmarks.what_if": "python -m tests.benchmarks.what_if --quick",
    "python -m tests.benchmarks.audit_store": "python -m tests.benchmarks.audit_store 200",
}


def shown_commands() -> list[str]:
    """The commands of the doc's ```sh blocks, their comments left out."""
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    lines = [line.split("  #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def test_every_command_the_doc_shows_has_a_small_run() -> None:
    shown = shown_commands()
    assert len(shown) == len(set(shown)), "a command shown twice"
    assert set(shown) == set(SMALL_RUNS), "a command of the doc with no small run here"


@pytest.mark.parametrize("command", sorted(set(SMALL_RUNS.values())))
def test_each_benchmark_command_of_the_doc_runs(command: str) -> None:
    args = command.split()
    assert args[0] == "python"
    done = subprocess.run(
        [sys.executable, *args[1:]], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "it printed no figures"


def test_every_test_file_the_doc_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"\btests/[\w/]+\.py\b", text))
    assert len(named) > 20
    assert {name for name in named if not (ROOT / name).is_file()} == set()


def test_every_module_the_doc_names_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)", text)) - set(
        re.findall(r"\b(tests/[\w/]+\.py)", text)
    )
    package = ROOT / "engine" / "healthkb"
    missing = {name for name in named if not (package / name.removeprefix("healthkb/")).is_file()}
    assert missing == set(), "modules named in docs/performance.md that are not in healthkb"


def test_the_stages_benchmark_times_every_stage_of_a_load(tmp_path: Path) -> None:
    times = stage_times(write_generated_kb(tmp_path / "kb", 120))
    assert list(times) == [*STAGES, "total"]
    assert abs(sum(times[stage] for stage in STAGES) - times["total"]) < 1e-6


def headings() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [heading.strip() for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE)]


def section_references() -> list[tuple[Path, str]]:
    """(file, section) for each `docs/performance.md, "SECTION"` in the code and the tests,
    a comment or docstring wrapped over lines read as one line."""
    found = []
    for folder in (ROOT / "engine" / "healthkb", ROOT / "tests"):
        for path in sorted(folder.rglob("*.py")):
            if path == Path(__file__).resolve():
                continue
            text = re.sub(r"\s*\n\s*(?:#\s*)?", " ", path.read_text(encoding="utf-8"))
            for section in re.findall(r'docs/performance\.md,\s*"([^"]+)"', text):
                found.append((path.relative_to(ROOT), section))
    return found


def test_every_section_the_code_points_to_is_a_heading_of_the_doc() -> None:
    references = section_references()
    assert len(references) > 30
    titles = headings()
    unknown = [
        (str(path), section)
        for path, section in references
        if not any(title.startswith(section) for title in titles)
    ]
    assert unknown == [], "docs/performance.md has no such section (a heading starting so)"


# The modules of the fast paths: each points to its section of the doc.
FAST_PATH_MODULES = (
    "files/yaml_reader.py",
    "files/yaml_lines.py",
    "files/yaml_events.py",
    "files/yaml_places.py",
    "files/yaml_builder.py",
    "content/rule_model.py",
    "content/loading/checking.py",
    "content/checks/numbers.py",
    "content/number_words.py",
    "content/checks/rule_references.py",
    "content/checks/rule_conditions.py",
    "content/checks/stratification.py",
    "content/checks/certainty_paths.py",
    "content/loading/collector_pause.py",
    "content/loading/assembly.py",
    "content/loading/content_digest.py",
    "content/loading/canonical_json.py",
    "content/versioning/items.py",
    "content/versioning/bump.py",
    "runtime/compile.py",
    "runtime/native.py",
    "runtime/engine.py",
    "profiles/profile_model.py",
    "knowledge_base.py",
    "results/proof.py",
    "results/deferred.py",
    "batch/runners.py",
    "runtime/pool.py",
    "batch/forked.py",
    "batch/line_blocks.py",
    "batch/answers.py",
    "files/json_reader.py",
    "files/on_demand.py",
    "content/strict_model.py",
    "content/languages/tags.py",
    "cli/__init__.py",
)


def test_each_fast_paths_module_points_to_its_section() -> None:
    pointing = {str(path) for path, _ in section_references()}
    package = "engine/healthkb/"
    assert {m for m in FAST_PATH_MODULES if package + m not in pointing} == set()
