"""The repository ships pre-commit hooks, so editors can run `healthkb validate` on commit."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from pre_commit.clientlib import load_manifest

from conftest import ROOT, write_kb

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in load_manifest(str(HOOKS))}


def test_the_hooks_file_is_a_valid_pre_commit_manifest() -> None:
    assert sorted(hooks()) == ["healthkb-schema-check", "healthkb-validate"]


def run_hook(hook_id: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """Run the hook's entry as pre-commit would: in the repository's root, no file names."""
    hook = hooks()[hook_id]
    assert hook["pass_filenames"] is False
    command = shlex.split(str(hook["entry"]))
    executable = shutil.which(command[0], path=str(Path(sys.executable).parent))
    assert executable is not None
    return subprocess.run(
        [executable, *command[1:]], cwd=folder, capture_output=True, text=True, check=False
    )


def test_validate_hook_passes_a_good_kb_and_fails_a_broken_one(tmp_path: Path) -> None:
    good = write_kb(tmp_path / "good", {})
    assert run_hook("healthkb-validate", good).returncode == 0
    broken = write_kb(tmp_path / "broken", {"rules/extra.yaml": "rules: [\n"})
    done = run_hook("healthkb-validate", broken)
    assert done.returncode == 1
    assert done.stdout.startswith("rules/extra.yaml:1:9: yaml-syntax: ")


def test_the_hooks_run_on_the_files_they_guard() -> None:
    validate = re.compile(str(hooks()["healthkb-validate"]["files"]))
    assert validate.search("rules/running_and_diet.yaml")
    assert validate.search("kb/tests/silences.yaml")
    assert validate.search("guides/my-kb/kb/facts.yaml")
    assert not validate.search("docs/editors.md")
    schema = re.compile(str(hooks()["healthkb-schema-check"]["files"]))
    assert schema.search("kb/facts.yaml") and schema.search("kb/schemas/profile.schema.json")
    assert not schema.search("rules/running_and_diet.yaml")


def test_schema_hook_passes_on_this_repository() -> None:
    assert run_hook("healthkb-schema-check", ROOT).returncode == 0
