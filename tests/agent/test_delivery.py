"""Delivery against a scripted collector on loopback: status codes, Retry-After, backoff."""

import json
import random
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.delivery import Backoff, KeyKeeper, deliver_spool
from agent.spool import Spool
from agent.state import AgentIdentity
from agent.transport import CollectorClient


class _ScriptedCollector:
    """Answers /api/v1/inventory with the scripted statuses in order, then 201."""

    def __init__(self, statuses, retry_after=None):
        self.statuses = list(statuses)
        self.retry_after = retry_after
        self.calls: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.calls.append(f"{self.path} {self.headers.get('Authorization', '')}")
                if self.path == "/api/v1/enroll":
                    return self._answer(201, {"agent_id": "a1", "node_key": "stkn_new"})
                status = outer.statuses.pop(0) if outer.statuses else 201
                headers = {"Retry-After": str(outer.retry_after)} if outer.retry_after is not None and status in (429, 503) else {}
                self._answer(status, {"status": "stored"} if status < 300 else {"error": f"scripted {status}"}, headers)

            def _answer(self, status, body, headers=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted():
    servers = []

    def make(statuses, retry_after=None):
        server = _ScriptedCollector(statuses, retry_after)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def _spool_with(tmp_path, count):
    spool = Spool(tmp_path / "spool")
    for _ in range(count):
        spool.put({"report_id": str(uuid.uuid4())})
    return spool


class _Clock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def _keys(enrolled=None):
    return KeyKeeper(AgentIdentity("a1", "stkn_old"), lambda previous: enrolled.append(previous) or AgentIdentity("a1", "stkn_new"))


def test_full_jitter_stays_within_the_exponential_envelope():
    backoff = Backoff(base_s=1, cap_s=60, rng=random.Random(3))
    for attempt in range(1, 10):
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= min(60, 2**attempt) for d in delays)
        assert max(delays) > 0.5 * min(60, 2**attempt)  # really spread, not constant
    assert backoff.delay(3, retry_after=17) == 17


def test_busy_collector_is_retried_honouring_retry_after(tmp_path, scripted):
    server = scripted([429, 503, 201], retry_after=7)
    clock = _Clock()
    result = deliver_spool(_spool_with(tmp_path, 1), CollectorClient(server.url), _keys(), budget_s=60,
                           sleep=clock.sleep, clock=clock)
    assert (result.delivered, result.remaining, result.error) == (1, 0, None)
    assert clock.sleeps == [7, 7]


def test_out_of_budget_leaves_reports_spooled_in_order(tmp_path, scripted):
    server = scripted([503] * 20)
    clock = _Clock()
    spool = _spool_with(tmp_path, 3)
    first = spool.pending()[0].report_id
    result = deliver_spool(spool, CollectorClient(server.url), _keys(), budget_s=5,
                           backoff=Backoff(base_s=1, rng=random.Random(1)), sleep=clock.sleep, clock=clock)
    assert result.remaining == 3 and "503" in result.error
    assert spool.pending()[0].report_id == first
    assert sum(clock.sleeps) <= 5


def test_a_report_refused_for_good_is_moved_aside_and_the_rest_go(tmp_path, scripted):
    server = scripted([422])
    spool = _spool_with(tmp_path, 2)
    result = deliver_spool(spool, CollectorClient(server.url), _keys(), sleep=lambda s: None)
    assert (result.delivered, result.rejected, result.remaining) == (1, 1, 0)
    rejected = list((tmp_path / "spool" / "rejected").glob("*.json.gz"))
    assert len(rejected) == 1
    assert "422" in (rejected[0].parent / (rejected[0].name + ".reason")).read_text()


def test_401_renews_the_key_once_then_stops(tmp_path, scripted):
    server = scripted([401, 401, 401])
    enrolled = []
    result = deliver_spool(_spool_with(tmp_path, 2), CollectorClient(server.url), _keys(enrolled), sleep=lambda s: None)
    assert enrolled == [AgentIdentity("a1", "stkn_old")]  # exactly one re-enrolment, with the previous identity
    assert result.remaining == 2 and "401" in result.error
    assert [c for c in server.calls if c.startswith("/api/v1/inventory")] == [
        "/api/v1/inventory Bearer stkn_old", "/api/v1/inventory Bearer stkn_new"]


@pytest.mark.parametrize("damage", [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 40, b"\x1f\x8b\x08\x00garbage"])
def test_a_corrupt_spool_file_is_moved_aside_and_the_rest_go(tmp_path, scripted, damage):
    server = scripted([])
    spool = _spool_with(tmp_path, 3)
    corrupt = spool.pending()[1].path
    corrupt.write_bytes(damage)  # a deflate stream zlib cannot read: zlib.error, not OSError
    result = deliver_spool(spool, CollectorClient(server.url), _keys(), sleep=lambda s: None)
    assert (result.delivered, result.rejected, result.remaining) == (2, 1, 0)
    assert (tmp_path / "spool" / "rejected" / corrupt.name).exists()
    assert "unreadable spool file" in (tmp_path / "spool" / "rejected" / (corrupt.name + ".reason")).read_text()
