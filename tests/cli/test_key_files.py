"""Key and JWKS files are read as the KB's files are: regular files only, with a size
cap, an error (exit 2) saying what is wrong, never a hang or a MemoryError (issue 17:
`audit verify --public-key /dev/zero` grew to 23.9 GB)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support.fuzzing import run_cli

PROFILE = "kb/examples/meets_conditions.yaml"


def bad_files(folder: Path) -> dict[str, tuple[str, str]]:
    """name -> (path, what the message says)."""
    fifo = folder / "key.fifo"
    os.mkfifo(fifo)
    huge = folder / "huge.pem"
    huge.write_bytes(b"-----BEGIN PUBLIC KEY-----\n" + b"A" * 2_000_000)
    return {
        "device": ("/dev/zero", "is a device, not a regular file"),
        "named pipe": (str(fifo), "is a named pipe, not a regular file"),
        "folder": (str(folder), "is a folder, not a regular file"),
        "huge": (str(huge), "larger than"),
    }


def commands(path: str, log: Path) -> dict[str, list[str]]:
    audit = ["--audit-log", str(log), "--checkpoint-key", path]
    return {
        "audit verify --public-key": ["audit", "verify", str(log), "--public-key", path],
        "audit checkpoint --key": ["audit", "checkpoint", str(log), "--key", path],
        "evaluate --checkpoint-key": ["evaluate", PROFILE, *audit],
        "batch --checkpoint-key": ["batch", str(log), "--out", str(log) + ".out", *audit],
        "serve --checkpoint-key": ["serve", "--port", "0", *audit],
        "serve --auth-jwks": [
            "serve",
            "--port",
            "0",
            "--auth-jwks",
            path,
            "--auth-issuer",
            "https://ehr.example",
            "--public-url",
            "https://cds.example.org",
        ],
    }


@pytest.mark.parametrize("kind", ["device", "named pipe", "folder", "huge"])
def test_every_key_option_refuses_files_that_are_not_small_regular_files(
    tmp_path: Path, kind: str
) -> None:
    log = tmp_path / "audit.jsonl"
    code, _, _ = run_cli(["evaluate", PROFILE, "--audit-log", str(log)])
    assert code == 0
    path, says = bad_files(tmp_path)[kind]
    for name, arguments in commands(path, log).items():
        code, _, err = run_cli(arguments)
        assert code == 2, (name, err)
        assert says in err, (name, err)
        assert "Traceback" not in err and "MemoryError" not in err, name
