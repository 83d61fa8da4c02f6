"""Prometheus metrics at /metrics: requests, latency, reports, and the whole server under gunicorn."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from prometheus_client import REGISTRY


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_requests_are_counted_by_route_template_and_status_class(client):
    labels = {"route": "/api/v1/assets/<int:asset_id>", "method": "GET", "status": "4xx"}
    before = _sample("stocktake_http_requests_total", **labels)
    assert client.get("/api/v1/assets/12345").status_code == 401
    assert client.get("/api/v1/assets/67890").status_code == 401
    assert _sample("stocktake_http_requests_total", **labels) == before + 2
    # The raw path never becomes a label: label sets stay bounded whatever agents send. (Only the
    # labels are searched: a sample's value, such as a *_created timestamp, may hold any digits.)
    text = client.get("/metrics").get_data(as_text=True)
    labels = "\n".join(re.findall(r"\{[^}]*\}", text))
    assert "/api/v1/assets/<int:asset_id>" in labels
    assert "12345" not in labels and "67890" not in labels


def test_latency_histogram_and_in_flight_gauge(client):
    labels = {"route": "/api/v1/openapi.json", "method": "GET"}
    before = _sample("stocktake_http_request_duration_seconds_count", **labels)
    client.get("/api/v1/openapi.json")
    assert _sample("stocktake_http_request_duration_seconds_count", **labels) == before + 1
    text = client.get("/metrics").get_data(as_text=True)
    # Only the scrape itself is in flight while the page is rendered.
    assert re.search(r"^stocktake_http_requests_in_flight 1\.0$", text, re.M)


def test_metrics_page_is_prometheus_text(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "# TYPE stocktake_reports_total counter" in response.get_data(as_text=True)


def test_metrics_token_is_required_when_set(config, database):
    from dataclasses import replace

    from collector.app import create_app

    app = create_app(replace(config, metrics_token="s3cret-scrape"))
    client = app.test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and "Bearer" in refused.headers["WWW-Authenticate"]
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"}).status_code == 200
    app.extensions["stocktake"]["db"].dispose()


@pytest.mark.live
def test_gunicorn_workers_are_summed(live_server):
    """Two workers, twenty requests: whichever worker answers the scrape reports all twenty."""
    for _ in range(20):
        assert requests.get(live_server.url + "/api/v1/openapi.json", timeout=10).ok
    for _ in range(6):  # several scrapes, answered by different workers, all see the same total
        text = requests.get(live_server.url + "/metrics", timeout=10).text
        found = re.search(r'^stocktake_http_requests_total\{method="GET",route="/api/v1/openapi.json",status="2xx"\} (\S+)$',
                          text, re.M)
        assert found and float(found.group(1)) == 20.0, text[:2000]
    assert len(live_server.worker_pids()) == 2


def test_reports_and_spool_drops_are_counted(client, make_agent, reports):
    agent = make_agent()
    stored, unchanged = {"kind": "inventory", "outcome": "stored"}, {"kind": "inventory", "outcome": "unchanged"}
    before = (_sample("stocktake_reports_total", **stored), _sample("stocktake_reports_total", **unchanged),
              _sample("stocktake_agent_spool_dropped_total"))
    report = reports.report(agent.agent_id, host_seed=3)
    assert client.post("/api/v1/inventory", json=report, headers=agent.headers).status_code == 201
    again = {**report, "report_id": str(uuid.uuid4())}
    assert client.post("/api/v1/inventory", json=again, headers=agent.headers).status_code == 201
    assert _sample("stocktake_reports_total", **stored) == before[0] + 1
    assert _sample("stocktake_reports_total", **unchanged) == before[1] + 1
    dropping = {**report, "report_id": str(uuid.uuid4()), "spool_dropped": 4}
    assert client.post("/api/v1/inventory", json=dropping, headers=agent.headers).status_code == 201
    assert _sample("stocktake_agent_spool_dropped_total") == before[2] + 4


def test_fleet_gauges_come_from_the_database(client, make_agent):
    agents = [make_agent(), make_agent(), make_agent()]
    client.post("/api/v1/checkin", headers=agents[0].headers, json={"spool_depth": 5, "spool_rejected": 2})
    client.post("/api/v1/checkin", headers=agents[1].headers, json={"spool_depth": 1})
    text = client.get("/metrics").get_data(as_text=True)
    assert re.search(r"^stocktake_fleet_agents 3\.0$", text, re.M)
    assert re.search(r"^stocktake_fleet_agents_checked_in_last_hour 2\.0$", text, re.M)
    assert re.search(r"^stocktake_fleet_spooled_reports 6\.0$", text, re.M)
    assert re.search(r"^stocktake_fleet_rejected_reports 2\.0$", text, re.M)
