"""A SQLite database that could not be written, and then could again (issue 16, defect 5).

How the test makes SQLite read-only for root: ``chattr +i`` (the immutable flag). Root
ignores permission bits, so ``chmod 0444`` would change nothing; the immutable flag binds
root as well (only CAP_LINUX_IMMUTABLE may clear it), so ``open(O_RDWR)`` fails with EPERM
and SQLite falls back to a read-only handle exactly as it does for a service account facing
a read-only file or a filesystem remounted read-only. Such a handle stays read-only after
the file is writable again, which is what kept the collector answering 500. The ``-shm``
file is never made immutable: SQLite writes it through a memory map, where a refused write
is SIGBUS, not an error.
"""

import json
import shutil
import subprocess
import time

import pytest
import requests
from sqlalchemy import func, select

from collector.access.enrollment import create_enrollment_secret, enroll_agent
from collector.db import Database
from collector.migrate import upgrade
from collector.models import Observation, ReportReceipt
from common.schema import EnrollRequest
from tests.conftest import LiveServer

pytestmark = pytest.mark.live


def _chattr(flag: str, *paths) -> None:
    subprocess.run(["chattr", flag, *map(str, paths)], check=True, capture_output=True)


@pytest.fixture
def sqlite_file(tmp_path):
    """A migrated SQLite database of this test's own, with one enrolled agent."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed: no way to make a file read-only for root")
    path = tmp_path / "own" / "stocktake.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    with database.write() as session:
        secret = create_enrollment_secret(session, "ro").secret
        enrolled = enroll_agent(session, EnrollRequest(enroll_secret=secret, hostname="ro-host"))
    database.dispose()
    try:
        _chattr("+i", path)
        _chattr("-i", path)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"this filesystem has no immutable flag: {exc.stderr.decode().strip()}")
    yield path, enrolled
    _chattr("-i", *[p for p in path.parent.iterdir()])  # never leave an undeletable file behind


def _post(server, enrolled, report):
    return requests.post(f"{server.url}/api/v1/inventory", data=json.dumps(report), timeout=30,
                         headers={"Authorization": f"Bearer {enrolled.node_key}", "Content-Type": "application/json"})


def _get(server, path):
    return requests.get(f"{server.url}/api/v1/{path}", timeout=30)


def _assert_503(response):
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0


def _ready_again(server, attempts: int = 50) -> int:
    """Poll readiness until it says ok; returns how many polls it took (bounded)."""
    for attempt in range(1, attempts + 1):
        if _get(server, "health/ready").status_code == 200:
            return attempt
        time.sleep(0.1)
    raise AssertionError(f"not ready {attempts} polls after the database became writable")


def _stored(path) -> tuple[int, int]:
    database = Database(f"sqlite:///{path}")
    try:
        with database.session() as session:
            return (session.scalar(select(func.count()).select_from(ReportReceipt)),
                    session.scalar(select(func.count()).select_from(Observation)))
    finally:
        database.dispose()


def test_read_only_sqlite_answers_503_and_serves_again_once_writable(sqlite_file, tmp_path, reports):
    path, enrolled = sqlite_file
    _chattr("+i", path)  # the collector starts while its database cannot be written
    server = LiveServer(f"sqlite:///{path}", tmp_path, workers=1, threads=2)
    try:
        _assert_503(_post(server, enrolled, reports.report(enrolled.agent_id, host_seed=1)))
        _assert_503(_get(server, "health/ready"))
        _assert_503(_get(server, "health"))
        assert _get(server, "health/live").status_code == 200
        _chattr("-i", path)
        assert _stored(path) == (0, 0)
        _ready_again(server)
        stored = _post(server, enrolled, reports.report(enrolled.agent_id, host_seed=1))
        assert stored.status_code == 201, stored.text
        assert _stored(path) == (1, 1)

        # A running collector whose files turn read-only (disk I/O error on its open handles).
        _chattr("+i", path, path.with_name(path.name + "-wal"))
        _assert_503(_post(server, enrolled, reports.report(enrolled.agent_id, host_seed=2)))
        _assert_503(_get(server, "health/ready"))
        _chattr("-i", path, path.with_name(path.name + "-wal"))
        _ready_again(server)
        again = _post(server, enrolled, reports.report(enrolled.agent_id, host_seed=2))
        assert again.status_code == 201, again.text
        assert _stored(path) == (2, 2)
    finally:
        _chattr("-i", *[p for p in path.parent.iterdir()])
        server.stop()
