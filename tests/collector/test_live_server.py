"""Against the production server command (gunicorn) on loopback: concurrency and hostile bodies."""

import gzip
import http.client
import json
import threading
import uuid
import zlib

import psutil
import pytest
import requests
from sqlalchemy import func, select

from collector.access.enrollment import create_enrollment_secret
from collector.models import Asset, Observation, ReportReceipt

pytestmark = pytest.mark.live


@pytest.fixture
def enroll_secret(database):
    with database.write() as session:
        return create_enrollment_secret(session, "live").secret


def _count(database, model):
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_fifty_agents_concurrently_each_report_stored_exactly_once(live_server, database, enroll_secret, reports):
    agents = 50
    barrier = threading.Barrier(agents, timeout=60)
    outcomes: list = []
    errors: list = []

    def agent_life(n: int) -> None:
        try:
            with requests.Session() as http:
                enrolled = http.post(f"{live_server.url}/api/v1/enroll",
                                     json={"enroll_secret": enroll_secret, "hostname": f"host-{n}"}, timeout=60).json()
                headers = {"Authorization": f"Bearer {enrolled['node_key']}", "Content-Encoding": "gzip",
                           "Content-Type": "application/json"}
                first = reports.report(enrolled["agent_id"], software_count=150, host_seed=n)
                second = {**first, "report_id": str(uuid.uuid4()), "software": first["software"][1:]}
                body = gzip.compress(json.dumps(first).encode())
                barrier.wait()
                for payload in (body, body, gzip.compress(json.dumps(second).encode())):  # the 2nd is a retry
                    response = http.post(f"{live_server.url}/api/v1/inventory", data=payload, headers=headers, timeout=60)
                    outcomes.append((response.status_code, response.json()["status"]))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=agent_life, args=(n,)) for n in range(agents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[:3]
    assert sorted(set(outcomes)) == [(200, "already stored"), (201, "stored")]
    assert outcomes.count((201, "stored")) == 2 * agents
    assert _count(database, ReportReceipt) == 2 * agents
    assert _count(database, Observation) == 2 * agents
    assert _count(database, Asset) == agents


def _chunked_post(url, headers, chunks):
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.putrequest("POST", "/api/v1/inventory")
    for name, value in {**headers, "Transfer-Encoding": "chunked", "Content-Type": "application/json"}.items():
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for chunk in chunks:
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server may answer and close before the client is done sending
    response = connection.getresponse()
    status, body = response.status, response.read()
    connection.close()
    return status, body


def test_chunked_body_without_length_over_the_limit_is_413(live_server, database, make_agent):
    agent = make_agent()
    limit = 16 * 1024 * 1024
    chunk = b" " * 65536
    status, body = _chunked_post(live_server.url, agent.headers, [chunk] * (limit // len(chunk) + 2))
    assert status == 413, body
    assert _count(database, ReportReceipt) == 0
    assert requests.get(f"{live_server.url}/api/v1/health", timeout=5).ok


def _gzip_bomb(megabytes: int) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * (1024 * 1024)
    return b"".join(compressor.compress(block) for _ in range(megabytes)) + compressor.flush()


def _peak_rss(pid: int) -> int:
    """The process's resident high-water mark (VmHWM), which a freed allocation cannot hide."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_gzip_bomb_is_refused_without_the_worker_growing_past_the_cap(db_url, database, tmp_path, make_agent, reports):
    from tests.conftest import LiveServer

    server = LiveServer(db_url, tmp_path, workers=1, threads=1)
    try:
        agent = make_agent()
        headers = {**agent.headers, "Content-Encoding": "gzip", "Content-Type": "application/json"}
        # Warm the worker up with a real report so that its baseline includes the app's imports.
        warm = gzip.compress(json.dumps(reports.report(agent.agent_id)).encode())
        assert requests.post(f"{server.url}/api/v1/inventory", data=warm, headers=headers, timeout=30).status_code == 201
        worker = psutil.Process(server.worker_pids()[0])
        before = worker.memory_info().rss
        bomb = _gzip_bomb(512)  # 512 MiB inflated, about 0.5 MiB on the wire
        response = requests.post(f"{server.url}/api/v1/inventory", data=bomb, headers=headers, timeout=60)
        growth = _peak_rss(worker.pid) - before
        assert response.status_code == 413
        assert growth < 48 * 1024 * 1024, f"worker grew by {growth / 2**20:.0f} MiB"
        # and it keeps serving
        again = gzip.compress(json.dumps(reports.report(agent.agent_id)).encode())
        assert requests.post(f"{server.url}/api/v1/inventory", data=again, headers=headers, timeout=30).status_code == 201
    finally:
        server.stop()
