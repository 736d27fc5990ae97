"""The wheel carries the bundled KB, so `healthkb.load()` works after a plain install."""

from __future__ import annotations

import os
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
