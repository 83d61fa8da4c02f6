"""Load shedding: agent requests that waited too long for a thread get a quick 503 with Retry-After."""

from __future__ import annotations

import gzip
import json
import re
import threading

import pytest
import requests
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from collector import admission
from collector.models import ReportReceipt


def _shed(endpoint: str) -> float:
    return REGISTRY.get_sample_value("stocktake_load_shed_total", {"route": endpoint}) or 0.0


def test_an_agent_request_queued_too_long_is_refused_with_retry_after(client, database, make_agent):
    agent = make_agent()
    before = _shed("api.checkin")
    admission.note_queue_wait(1.5)  # the server hook's measurement for the next request in this thread
    response = client.post("/api/v1/checkin", headers=agent.headers, json={"agent_version": "0.2.0"})
    assert response.status_code == 503
    assert 30 <= int(response.headers["Retry-After"]) <= 300
    assert "busy" in response.get_json()["error"]
    assert _shed("api.checkin") == before + 1
    with database.session() as session:  # refused before anything was stored
        from collector.models import Agent

        assert session.get(Agent, agent.agent_id).last_checkin_at is None
    # The wait is per request: the next one, not queued, is served.
    assert client.post("/api/v1/checkin", headers=agent.headers, json={}).status_code == 200


def test_a_short_wait_is_served(client, make_agent):
    agent = make_agent()
    admission.note_queue_wait(0.2)
    assert client.post("/api/v1/checkin", headers=agent.headers, json={}).status_code == 200


def test_peoples_requests_are_never_shed(client, make_token):
    admission.note_queue_wait(30.0)
    assert client.get("/api/v1/assets", headers=make_token("auditor")).status_code == 200


@pytest.mark.live
def test_gunicorn_sheds_a_burst_and_stores_only_what_it_answered_2xx(db_url, database, tmp_path, make_agent, reports):
    """One worker thread, twelve first-time reports at once: the late ones are refused, nothing half-stored."""
    from tests.conftest import LiveServer

    agents = [make_agent() for _ in range(12)]
    bodies = [gzip.compress(json.dumps(reports.report(a.agent_id, software_count=1500, host_seed=i)).encode())
              for i, a in enumerate(agents)]
    server = LiveServer(db_url, tmp_path, workers=1, threads=1, extra_env={"STOCKTAKE_SHED_QUEUE_WAIT_MS": "150"})
    try:
        answers: list[requests.Response] = []
        barrier = threading.Barrier(len(agents))

        def send(agent, body):
            barrier.wait(timeout=30)
            answers.append(requests.post(server.url + "/api/v1/inventory", data=body, timeout=120, headers={
                **agent.headers, "Content-Type": "application/json", "Content-Encoding": "gzip"}))

        threads = [threading.Thread(target=send, args=pair) for pair in zip(agents, bodies)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        statuses = sorted(answer.status_code for answer in answers)
        assert len(statuses) == 12 and set(statuses) <= {201, 503}, statuses
        refused = [answer for answer in answers if answer.status_code == 503]
        assert refused, statuses  # eleven queued behind ~100 ms reports on one thread: some waited > 150 ms
        assert all(30 <= int(answer.headers["Retry-After"]) <= 300 for answer in refused)
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(ReportReceipt)) == statuses.count(201)
        text = requests.get(server.url + "/metrics", timeout=10).text
        shed = re.search(r'^stocktake_load_shed_total\{route="api.post_inventory"\} (\S+)$', text, re.M)
        assert shed and float(shed.group(1)) == len(refused)
    finally:
        server.stop()
