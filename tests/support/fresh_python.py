"""A child Python as a user starts it, for tests of what a process imports or holds.

pyproject's coverage setting `patch = ["subprocess"]` starts coverage in every child
process of a measured test run, and coverage imports modules of its own
(multiprocessing among them) and allocates as it traces: a check of healthkb's imports
or of the collector's behaviour would then measure the test run, not healthkb.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any


def run_fresh_python(argv: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(argv, **options)` without the test run's coverage measurement."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("COV")}
    return subprocess.run(argv, env=env, **options)


def fresh_python_output(code: str, **options: Any) -> str:
    """What `python -c code` prints in a fresh Python (as `run_fresh_python`), which must
    succeed."""
    run = run_fresh_python(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, **options
    )
    return run.stdout
