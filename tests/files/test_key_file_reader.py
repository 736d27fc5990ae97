"""Key files (Ed25519 signing keys, X25519 sealing keys, hash keys) are read by one
reader: a pipe, a device or a huge file named as a key is a located error, never a hang."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from healthkb.files.ed25519_keys import KeyFileError, read_public_key
from healthkb.files.x25519_keys import read_hash_key, read_sealing_private_key

READERS: list[Callable[[Path], Any]] = [read_public_key, read_sealing_private_key, read_hash_key]


@pytest.mark.parametrize("reader", READERS)
def test_a_named_pipe_given_as_a_key_is_refused_without_waiting_for_a_writer(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    pipe = tmp_path / "key.pipe"
    os.mkfifo(pipe)
    with pytest.raises(KeyFileError, match="the key file is a named pipe, not a regular file"):
        reader(pipe)


@pytest.mark.parametrize("reader", READERS)
def test_a_huge_file_given_as_a_key_is_refused(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    huge = tmp_path / "huge.key"
    huge.write_bytes(b"x" * (1 << 20))
    with pytest.raises(KeyFileError, match="too large to be a key file"):
        reader(huge)


@pytest.mark.parametrize("reader", READERS)
def test_a_missing_key_file_says_it_cannot_be_read(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    with pytest.raises(KeyFileError, match="cannot read the key"):
        reader(tmp_path / "missing.key")
