"""A KB's files as data, to load the same KB in another process or on another machine.

Worker processes (a local pool, or the workers of a Dask cluster) need no shared
filesystem: the parent packs the files the loader reads into a `KBShipment`, with the
digest of the KB it loaded from them; each worker unpacks them into a private
temporary folder, loads them, and refuses the KB unless its digest is the shipped one
(a file edited between the parent's load and the packing, or a different healthkb
version on the worker, would otherwise evaluate against another KB unnoticed).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import HealthKBError

# The YAML files `loader.read_content` reads: those directly in kb/ (the manifest, the
# vocabulary, the lock file, ...), and the sources and rules. Test cases, examples and
# schemas (in other folders of kb/) are not needed to evaluate, and may be large.
_FOLDERS = ("kb", "kb/sources", "kb/translations", "rules")
_SUFFIXES = (".yaml", ".yml")


class ShipmentError(HealthKBError):
    """A shipped KB cannot be packed, or unpacks to another KB than the one shipped."""


@dataclass(frozen=True)
class KBShipment:
    """The files of a KB (path relative to its root -> bytes), and the digest they give."""

    files: tuple[tuple[str, bytes], ...]
    digest: str
    max_steps: int

    @property
    def size(self) -> int:
        """Bytes of file content shipped."""
        return sum(len(data) for _, data in self.files)


def pack(root: Path, digest: str, max_steps: int) -> KBShipment:
    """The files under `root` that make up its KB, said to give `digest` when loaded."""
    paths: list[Path] = []
    for folder in _FOLDERS:
        if (root / folder).is_dir():
            paths += sorted(
                p for p in (root / folder).iterdir() if p.suffix in _SUFFIXES and p.is_file()
            )
    files = []
    for path in paths:
        try:
            files.append((path.relative_to(root).as_posix(), path.read_bytes()))
        except OSError as error:
            raise ShipmentError(f"cannot read {path} to send it to the workers: {error}") from None
    return KBShipment(tuple(files), digest, max_steps)


@contextmanager
def unpacked(shipment: KBShipment) -> Iterator[Path]:
    """A temporary folder holding the shipped files (removed on exit), to load from."""
    with tempfile.TemporaryDirectory(prefix="healthkb-shipped-") as folder:
        root = Path(folder)
        for name, data in shipment.files:
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise ShipmentError(f"refusing to unpack the path {name!r}")
            target = root.joinpath(*relative.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield root


def check_digest(shipment: KBShipment, loaded: str) -> None:
    """Refuse a KB whose digest, loaded from the shipped files, is not the shipped one."""
    if loaded != shipment.digest:
        raise ShipmentError(
            f"the KB sent to this worker loads with digest {loaded}, not {shipment.digest} "
            "as sent: its files changed after the KB was loaded, or the worker runs another "
            "healthkb version; refusing to evaluate with it"
        )
