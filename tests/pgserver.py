"""A PostgreSQL server of a test's own, to stop, crash and restart without touching anyone else's.

The machine's shared server (127.0.0.1:5432) is never stopped: tests that need the
database to go away start this one instead, from Debian's binaries
(/usr/lib/postgresql/<version>/bin), in a temporary directory, listening on 127.0.0.1 only
with its Unix socket in its own directory. PostgreSQL refuses to run as root, so under
root initdb and pg_ctl run as the ``postgres`` account (runuser) on a directory it owns.

    server = PrivatePostgres.create()     # skips the test when PostgreSQL is not installed
    server.start(); server.url            # postgresql+psycopg://postgres@127.0.0.1:<port>/postgres
    server.stop("immediate")              # a crash: no checkpoint, recovery at the next start
    server.start(); ...; server.remove()
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

__all__ = ["PrivatePostgres", "private_postgres"]

_STOP_MODES = ("smart", "fast", "immediate")


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    """One initdb'd cluster on ``port`` in ``datadir``; trust authentication on loopback."""

    def __init__(self, port: int, datadir: Path, bin_dir: Path, run_as: str | None = None) -> None:
        self.port = port
        self.datadir = Path(datadir)
        self.bin_dir = bin_dir
        self._prefix = ["runuser", "-u", run_as, "--"] if run_as else []
        self._initdb()

    @classmethod
    def create(cls) -> "PrivatePostgres":
        """A fresh cluster in a new temporary directory, or skip the calling test saying why."""
        bin_dir = _bin_dir()
        if bin_dir is None:
            pytest.skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
        run_as = None
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no postgres account to run initdb as")
            run_as = account.pw_name
        # Not under pytest's tmp_path: its parents are 0700 root, which the postgres account cannot enter.
        base = Path(tempfile.mkdtemp(prefix="stocktake-pg-"))
        if run_as:
            os.chown(base, account.pw_uid, account.pw_gid)
        return cls(_free_port(), base / "data", bin_dir, run_as)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str, timeout: float = 120) -> None:
        result = subprocess.run([*self._prefix, str(self.bin_dir / tool), *args], capture_output=True, text=True,
                                timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")

    def _initdb(self) -> None:
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "--no-sync",
                  "--encoding=UTF8", "--locale=C")

    def start(self, timeout_s: int = 60) -> None:
        """Start (or restart after a stop or crash) and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.datadir} "
                   "-c max_connections=100 -c shared_buffers=32MB")
        self._run("pg_ctl", "start", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"),
                  "-o", options, "-w", "-t", str(timeout_s), timeout=timeout_s + 10)

    def stop(self, mode: str = "fast", timeout_s: int = 60) -> None:
        """``fast``: sessions are terminated (57P01), then a clean shutdown; ``immediate``: a crash."""
        if mode not in _STOP_MODES:
            raise ValueError(f"stop mode must be one of {_STOP_MODES}, not {mode!r}")
        self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", mode, "-w", "-t", str(timeout_s),
                  timeout=timeout_s + 10)

    def is_running(self) -> bool:
        result = subprocess.run([*self._prefix, str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.datadir)],
                                capture_output=True, timeout=30)
        return result.returncode == 0

    def remove(self) -> None:
        """Stop if running (immediately: nothing here is worth a checkpoint) and delete the files."""
        if self.datadir.exists() and self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


@pytest.fixture
def private_postgres():
    """A started PrivatePostgres, removed after the test whatever state it was left in."""
    server = PrivatePostgres.create()
    try:
        server.start()
        yield server
    finally:
        server.remove()
