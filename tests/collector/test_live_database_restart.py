"""PostgreSQL stopped or crashed while reports are in flight (R20), on a server of the test's own.

Every request gets either a 2xx, and its report is there after the restart, or a 503 with
Retry-After, and nothing of it is half stored; once the server is back, the collector
serves again without a restart of its own (dead pooled connections are invalidated).
"""

import json
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import select

from collector.access.enrollment import create_enrollment_secret, enroll_agent
from collector.db import Database
from collector.migrate import upgrade
from collector.models import Observation, ReportReceipt
from common.schema import EnrollRequest
from tests.conftest import LiveServer
from tests.pgserver import private_postgres  # noqa: F401  (fixture)

pytestmark = pytest.mark.live

AGENTS = 8
REPORTS_EACH = 12


def _enrol(url: str, count: int) -> list[tuple[str, str]]:
    database = Database(url)
    try:
        upgrade(database.engine)
        with database.write() as session:
            secret = create_enrollment_secret(session, "restart").secret
            agents = [enroll_agent(session, EnrollRequest(enroll_secret=secret, hostname=f"pg-{n}")) for n in range(count)]
        return [(a.agent_id, a.node_key) for a in agents]
    finally:
        database.dispose()


def _stored(url: str) -> tuple[set, set]:
    """Report ids with a receipt, and report ids with an observation."""
    database = Database(url)
    try:
        with database.session() as session:
            receipts = set(session.scalars(select(ReportReceipt.report_id)))
            observations = set(session.scalars(select(Observation.report_id)))
        return receipts, observations
    finally:
        database.dispose()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_reports_in_flight_when_postgresql_stops_are_stored_or_503(private_postgres, tmp_path, reports, mode):
    agents = _enrol(private_postgres.url, AGENTS)
    server = LiveServer(private_postgres.url, tmp_path, workers=2, threads=4)
    answers: list[tuple[str, int, str | None, float]] = []  # report id, status, Retry-After, when sent
    errors: list[str] = []
    started = threading.Barrier(AGENTS + 1, timeout=60)
    some_stored = threading.Semaphore(0)

    def agent_life(n: int, agent_id: str, node_key: str) -> None:
        headers = {"Authorization": f"Bearer {node_key}", "Content-Type": "application/json"}
        started.wait()
        try:
            for k in range(REPORTS_EACH):  # bounded; each report different, so each is a full ingest
                report = reports.report(agent_id, software_count=300, host_seed=n * 100 + k)
                sent_at = time.monotonic()
                response = requests.post(f"{server.url}/api/v1/inventory", data=json.dumps(report),
                                         headers=headers, timeout=60)
                answers.append((report["report_id"], response.status_code, response.headers.get("Retry-After"), sent_at))
                if response.status_code == 201:
                    some_stored.release()
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=agent_life, args=(n, *agent)) for n, agent in enumerate(agents)]
    try:
        for thread in threads:
            thread.start()
        started.wait()
        for _ in range(AGENTS):
            assert some_stored.acquire(timeout=60), "reports were not being stored before the stop"
        stopped_at = time.monotonic()
        private_postgres.stop(mode)  # requests are in flight: eight agents posting back to back
        for thread in threads:
            thread.join(timeout=300)
        assert not any(thread.is_alive() for thread in threads)
        assert not errors, errors[:3]
        statuses = {status for _, status, _, _ in answers}
        assert statuses <= {201, 503}, sorted(statuses)
        assert all(int(retry) > 0 for _, status, retry, _ in answers if status == 503)
        # The stop really caught requests in flight: sent before it, answered 503.
        assert any(status == 503 and sent_at < stopped_at for _, status, _, sent_at in answers)

        private_postgres.start()
        receipts, observations = _stored(private_postgres.url)
        for report_id, status, _, _ in answers:
            if status == 201:
                assert report_id in receipts and report_id in observations, f"acknowledged {report_id} is missing"
            else:
                # A 503 means not acknowledged: stored completely (the commit reached the
                # server but its answer did not; a retry gets "already stored") or not at all.
                assert (report_id in receipts) == (report_id in observations), f"{report_id} half stored"

        # The collector recovers on its own once the database is back.
        for _ in range(100):  # bounded: 100 polls, 0.1 s apart
            if requests.get(f"{server.url}/api/v1/health/ready", timeout=30).status_code == 200:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("collector not ready after PostgreSQL came back")
        for n, (agent_id, node_key) in enumerate(agents):
            report = reports.report(agent_id, host_seed=10_000 + n, report_id=str(uuid.uuid4()))
            response = requests.post(f"{server.url}/api/v1/inventory", data=json.dumps(report), timeout=60,
                                     headers={"Authorization": f"Bearer {node_key}", "Content-Type": "application/json"})
            assert response.status_code == 201, response.text
    finally:
        server.stop()
