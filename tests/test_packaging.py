"""The wheel carries the bundled KB, so `healthkb.load()` works after a plain install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_the_wheel_loads_its_bundled_kb_from_any_directory(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("healthkb-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(site)
    assert {"healthkb/py.typed", "healthkb/_bundled/kb/kb.yaml"} <= names
    # The playground's page, scripts and styles: package data, nothing to build.
    static = ROOT / "engine" / "healthkb" / "service" / "static"
    assert {f"healthkb/service/static/{p.name}" for p in static.iterdir()} <= names
    assert "healthkb/service/static/index.html" in names
    assert any(n.startswith("healthkb/_bundled/rules/") for n in names)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = (
        "import healthkb, pathlib;"
        "kb = healthkb.load();"
        "print(pathlib.Path(healthkb.__file__).parent.parent);"
        "print(kb.evaluate({'symptoms': {'physical_discomfort': True}}).conclusion_ids)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str(site), "['stop_and_rest']"]


@pytest.mark.slow
def test_after_a_plain_install_commands_read_the_editors_kb_and_never_write_the_installed_one(
    tmp_path: Path,
) -> None:
    # The installed layout: the package with its bundled copy of the KB, outside ROOT.
    site = tmp_path / "site"
    shutil.copytree(ROOT / "engine" / "healthkb", site / "healthkb")
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, site / "healthkb" / "_bundled" / folder)
    installed = sorted((site / "healthkb" / "_bundled").rglob("*"))
    stamps = {p: p.stat().st_mtime_ns for p in installed}

    def healthkb(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "healthkb", *argv],
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(site)},
            capture_output=True,
            text=True,
            check=False,
        )

    # The editor's checkout, with a rule edited but its version not raised.
    checkout = tmp_path / "checkout"
    for folder in ("kb", "rules"):
        shutil.copytree(ROOT / folder, checkout / folder)
    rules = checkout / "rules" / "running_and_diet.yaml"
    rules.write_text(rules.read_text().replace("3–5 times per week", "3–6 times per week"))
    done = healthkb(checkout, "validate")
    assert done.returncode == 1 and "version-not-bumped" in done.stdout, done.stderr
    assert done.stderr.endswith("problem(s) found (folder .)\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = healthkb(elsewhere, "validate")
    assert done.returncode == 0 and "(bundled KB)" in done.stdout, done.stderr
    done = healthkb(elsewhere, "schema")
    assert done.returncode == 2 and "does not write into the installed package" in done.stderr
    assert sorted((site / "healthkb" / "_bundled").rglob("*")) == installed
    assert {p: p.stat().st_mtime_ns for p in installed} == stamps
