"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary folder.

`initdb` and `pg_ctl` run in a folder of their own, on a free loopback port, with
password (SCRAM) authentication, as an unprivileged user when the tests run as root
(PostgreSQL refuses to run as root). One server per test session (`postgres`); each test
that asks for `postgres_url` gets a fresh database of its own. Tests skip only where
the PostgreSQL binaries are missing (`.ci/run` installs Debian's postgresql).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

USER = "healthkb"
PASSWORD = "audit-store-test"
_UNPRIVILEGED = "nobody"


def binaries() -> Path | None:
    """The folder of Debian's PostgreSQL server binaries (the newest), if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


@dataclass
class PostgresServer:
    bin: Path
    folder: Path
    port: int
    _databases: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"audit_{next(self._databases)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def dump(self, database_url: str) -> bytes:
        """`pg_dump` of a database: every byte the database would give a backup."""
        done = subprocess.run(
            [str(self.bin / "pg_dump"), "--dbname", database_url],
            capture_output=True,
            check=True,
        )
        return done.stdout

    def stop(self) -> None:
        # A server already gone (its folder removed, or stopped by hand) is stopped.
        if not (self.folder / "data" / "postmaster.pid").exists():
            return
        _run_as_server_user(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.folder / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ]
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as_server_user(command: list[str]) -> None:
    if os.geteuid() == 0:
        command = ["runuser", "-u", _UNPRIVILEGED, "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True)


def start_server(folder: Path, bin: Path) -> PostgresServer:
    """initdb in `folder`, then start the server on a free port; stopped by `stop()`."""
    if os.geteuid() == 0:
        account = pwd.getpwnam(_UNPRIVILEGED)
        os.chown(folder, account.pw_uid, account.pw_gid)
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        os.chown(password_file, pwd.getpwnam(_UNPRIVILEGED).pw_uid, -1)
    data = folder / "data"
    _run_as_server_user(
        [
            str(bin / "initdb"),
            "-D",
            str(data),
            "-U",
            USER,
            "--auth=scram-sha-256",
            f"--pwfile={password_file}",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ]
    )
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=60"
    _run_as_server_user(
        [
            str(bin / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(folder / "server.log"),
            "-w",
            "start",
        ]
    )
    return PostgresServer(bin, folder, port)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session (skips where PostgreSQL is missing)."""
    bin = binaries()
    if bin is None:
        pytest.skip("PostgreSQL's server binaries are not installed (.ci/run installs them)")
    folder = Path(tempfile.mkdtemp(prefix="healthkb-postgres-"))
    server = start_server(folder, bin)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """The URL of a fresh, empty database on the session's server."""
    return postgres.create_database()
