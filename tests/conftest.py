"""Shared fixtures: one database per test session (SQLite or PostgreSQL), clean tables per test.

``STOCKTAKE_TEST_DB`` picks the backend: ``sqlite`` (default) or ``postgresql`` (the server
in ``STOCKTAKE_TEST_PG_URL``, default the local one at 127.0.0.1:5432, database ``test``).
On PostgreSQL each session works in a schema of its own, dropped at the end, so parallel
runs and leftovers never interfere.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.factories import ReportFactory


DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent


def _backend() -> str:
    backend = os.environ.get("STOCKTAKE_TEST_DB", "sqlite")
    if backend not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"STOCKTAKE_TEST_DB must be sqlite or postgresql, not {backend!r}")
    return backend


def pytest_report_header(config):
    return f"stocktake test database: {_backend()}"


def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql_pass: runs in the PostgreSQL pass although it takes no database "
                                       "fixture (it brings a PostgreSQL of its own)")


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass runs the tests that touch the test database; the rest ran in the SQLite pass.

    A test that needs neither ``db_url`` nor ``database`` (agent probes, SNMP codecs, spool crashes,
    unit files) behaves the same whichever database the suite was given, so running it twice
    only costs CI time.
    """
    if _backend() != "postgresql":
        return
    once = pytest.mark.skip(reason="database-independent: runs in the SQLite pass (make test)")
    for item in items:
        if "db_url" not in getattr(item, "fixturenames", ()) and item.get_closest_marker("postgresql_pass") is None:
            item.add_marker(once)


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    if _backend() == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'stocktake.db'}"
        return
    import psycopg

    base = os.environ.get("STOCKTAKE_TEST_PG_URL", DEFAULT_PG_URL)
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        admin = psycopg.connect(plain, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL run skipped: no server at {base.split('@')[-1]} ({str(exc).strip().splitlines()[0]})")
    schema = f"stocktake_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options=-csearch_path%3D{schema}"
    admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


@pytest.fixture(scope="session")
def database(db_url):
    from collector.db import Database
    from collector.migrate import upgrade

    db = Database(db_url)
    upgrade(db.engine)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after each test that used the database."""
    yield
    if "database" not in request.fixturenames:
        return
    db = request.getfixturevalue("database")
    from collector.db import CommittedIds
    from collector.models import Base

    CommittedIds.clear_all()  # catalogue ids learned by this test's Databases (the module's servers too)

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.is_sqlite:
            cursor.execute("PRAGMA foreign_keys=OFF")
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("PRAGMA foreign_keys=ON")
        else:
            dirty = _dirty_tables(db, cursor, tables)
            raw.commit()
            if dirty:
                _truncate(raw, cursor, dirty)
    finally:
        raw.close()


_DIRTY_PROBES: dict[int, str] = {}


def _dirty_tables(db, cursor, tables: list[str]) -> list[str]:
    """The tables a test wrote to: rows left, or an id sequence used since its last restart.

    One query of EXISTS probes takes ~3 ms; a TRUNCATE of all ~50 tables took 150-400 ms after
    every database test, most of the PostgreSQL pass's time. Probing the sequences as well keeps
    "ids start at 1" true for a table whose rows a test inserted and then deleted.
    """
    probe = _DIRTY_PROBES.get(id(db))
    if probe is None:
        cursor.execute("SELECT t.relname, s.oid::regclass::text FROM pg_class s "
                       "JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i') "
                       "JOIN pg_class t ON t.oid = d.refobjid "
                       "WHERE s.relkind = 'S' AND s.relnamespace = current_schema()::regnamespace")
        sequences: dict[str, list[str]] = {}
        for table, sequence in cursor.fetchall():
            sequences.setdefault(table, []).append(sequence)
        probe = " UNION ALL ".join(
            f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM {table})"
            + "".join(f" OR pg_sequence_last_value('{sequence}') IS NOT NULL" for sequence in sequences.get(table, []))
            for table in tables)
        _DIRTY_PROBES[id(db)] = probe
    cursor.execute(probe)
    return [row[0] for row in cursor.fetchall()]


def _truncate(raw, cursor, tables: list[str], attempts: int = 3) -> None:
    """TRUNCATE the given tables; retried when PostgreSQL picks it as a deadlock victim. An autovacuum
    worker locking two of the ~60 tables in the other order has done so (once in a full run)."""
    import psycopg

    for attempt in range(1, attempts + 1):
        try:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            raw.commit()
            return
        except psycopg.errors.DeadlockDetected:
            raw.rollback()
            if attempt == attempts:
                raise
            time.sleep(0.2 * attempt)


@pytest.fixture
def config(db_url, tmp_path):
    from collector.config import CollectorConfig

    # facts_batch_window_ms=0: a report's reconciliation runs inside the request, so a test can
    # assert on it at once; tests/collector/test_facts_batching.py covers the batched default.
    return CollectorConfig(data_dir=str(tmp_path / "var"), database_url=db_url, log_format="text", log_level="WARNING",
                           facts_batch_window_ms=0)


@pytest.fixture
def app(config, database):
    from collector.app import create_app

    application = create_app(config)
    application.config["TESTING"] = True
    yield application
    application.extensions["stocktake"]["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def reports() -> ReportFactory:
    return ReportFactory(seed=7)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The production server command (gunicorn) serving the test database on loopback."""

    def __init__(self, db_url: str, data_dir: Path, workers: int = 2, threads: int = 8, extra_env=None,
                 certfile: Path | None = None, keyfile: Path | None = None) -> None:
        self.port = _free_port()
        scheme = "https" if certfile else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        tls = ["--certfile", str(certfile), "--keyfile", str(keyfile)] if certfile else []
        self._verify = str(certfile) if certfile else True
        env = {**os.environ, "STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(data_dir),
               "STOCKTAKE_LOG_LEVEL": "WARNING",
               # Load shedding off unless a test asks for it: a loaded CI machine must not turn
               # concurrency tests' slow answers into 503s (test_admission tests shedding itself).
               "STOCKTAKE_SHED_QUEUE_WAIT_MS": "0", **(extra_env or {})}
        env.pop("STOCKTAKE_CONFIG", None)
        self.log = open(data_dir / "gunicorn.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:collector.gunicorn_conf", "-k", "gthread", "-w", str(workers),
             "--threads", str(threads),
             "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "--no-control-socket", *tls,
             "collector.app:create_app()"],
            env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()  # never leave a server behind when start-up fails
            raise

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/api/v1/health/live", timeout=5, verify=self._verify).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):  # listening before a worker has booted
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not become ready in 30 s")

    def worker_pids(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.process.pid).children()]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture
def live_server(db_url, database, tmp_path):
    server = LiveServer(db_url, tmp_path)
    yield server
    server.stop()
from tests.factories import make_agent, make_token  # noqa: E402,F401  (fixtures)
