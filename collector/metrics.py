"""Prometheus metrics: what an operator watches to size and run the collector.

Served at ``/metrics`` in the Prometheus text format (prometheus-client). Under gunicorn every
worker is its own process, so the counters live in prometheus-client's multiprocess mode: the
gunicorn config (``collector/gunicorn_conf.py``) gives the workers one fresh directory in
``PROMETHEUS_MULTIPROC_DIR`` and marks dead workers; a scrape then sums every worker, whichever
one answers. Without that variable (``stocktake-collector serve``, tests) the process's own
registry is served.

What is measured:
- ``stocktake_http_requests_total`` and ``stocktake_http_request_duration_seconds``: per route
  template (never the raw path, so label sets stay bounded), method and status class;
- ``stocktake_http_requests_in_flight``: requests being served now (the open connections that
  matter: those holding a worker thread);
- ``stocktake_reports_total``: ingested reports per kind (inventory, discovery) and outcome;
- ``stocktake_agent_spool_dropped_total``: reports agents say they had to drop (each one is a
  gap in the fleet's history);
- ``stocktake_fleet_*`` gauges read from the database at scrape time (so every node agrees):
  agents, agents checked in within the hour, reports waiting in agents' spools, reports agents
  set aside in ``rejected/`` (refused or failed on too often: each one needs a human);
- ``stocktake_foreign_wire_unchanged_total``: foreign agents' (OCS, FusionInventory, GLPI)
  inventories recognised as unchanged from their raw bytes, per protocol, never parsed;
- ``stocktake_load_shed_total``: requests answered 503 with Retry-After instead of served;
- ``stocktake_reconciliation_duration_seconds``: per mode (full, incremental).
"""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest)

__all__ = ["count_foreign_wire_unchanged", "count_report", "count_shed", "count_spool_drops", "init_app", "observe_reconciliation", "render"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Latency buckets around the targets that matter here (p95 < 500 ms for agents, pages < 1 s).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("stocktake_http_requests", "HTTP requests served", ("route", "method", "status"))
LATENCY = Histogram("stocktake_http_request_duration_seconds", "Time to answer an HTTP request",
                    ("route", "method"), buckets=_LATENCY_BUCKETS)
IN_FLIGHT = Gauge("stocktake_http_requests_in_flight", "Requests being served now", multiprocess_mode="livesum")
REPORTS = Counter("stocktake_reports", "Agent reports ingested", ("kind", "outcome"))
SPOOL_DROPPED = Counter("stocktake_agent_spool_dropped", "Reports agents dropped from a full spool")
FOREIGN_WIRE_UNCHANGED = Counter("stocktake_foreign_wire_unchanged",
                                 "Foreign agents' inventories recognised as unchanged from their raw bytes", ("protocol",))
SHED = Counter("stocktake_load_shed", "Requests answered 503 with Retry-After to shed load", ("route",))
FACTS_PENDING = Gauge("stocktake_facts_pending_subjects",
                      "Reported assets and devices waiting for their batched reconciliation (collector/facts_batching.py)",
                      multiprocess_mode="livesum")
RECONCILIATION = Histogram("stocktake_reconciliation_duration_seconds", "Duration of reconciliation runs",
                           ("mode",), buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600))


def init_app(app: Flask, token: str = "") -> None:
    """Instrument every request and serve ``/metrics`` (behind a bearer token when one is set)."""
    app.before_request(_start)
    app.after_request(record_status)
    app.teardown_request(_finish)
    app.extensions["stocktake_metrics_token"] = token
    app.add_url_rule("/metrics", "metrics", _metrics_view, methods=["GET"])


def _start() -> None:
    g.metrics_started = time.perf_counter()
    IN_FLIGHT.inc()


def _finish(_exc) -> None:
    started = g.pop("metrics_started", None)
    if started is None:
        return
    IN_FLIGHT.dec()
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    LATENCY.labels(route, request.method).observe(time.perf_counter() - started)
    status = g.pop("metrics_status", None) or (500 if _exc is not None else 0)
    REQUESTS.labels(route, request.method, f"{status // 100}xx" if status else "unknown").inc()


def record_status(response: Response) -> Response:
    """after_request hook: teardown cannot see the response, so its status is kept here."""
    g.metrics_status = response.status_code
    return response


def render(fleet: dict[str, float] | None = None) -> tuple[bytes, str]:
    """The exposition text: every worker's counters under gunicorn (this process's otherwise),
    then the fleet gauges."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest()
    if fleet:
        gauges = CollectorRegistry()
        gauges.register(_FleetGauges(fleet))
        body += generate_latest(gauges)
    return body, CONTENT_TYPE_LATEST


class _FleetGauges:
    """Fleet-wide numbers from the database, one gauge each."""

    HELP = {"agents": "Enrolled agents (not revoked)",
            "agents_checked_in_last_hour": "Agents that checked in within the last hour",
            "spooled_reports": "Reports waiting in agents' spools, as of their last check-in",
            "rejected_reports": "Reports agents set aside in rejected/, as of their last check-in",
            "foreign_agents": "Foreign agents (OCS, FusionInventory, GLPI) known by device id (not revoked)"}

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        for name, value in self.values.items():
            yield GaugeMetricFamily(f"stocktake_fleet_{name}", self.HELP.get(name, name), value=value)


def fleet_gauges() -> dict[str, float]:
    from datetime import timedelta

    from sqlalchemy import func, select

    from collector.extensions import request_session
    from collector.models import Agent, AgentProtocol, utcnow

    # Foreign agents neither enrol nor check in: counted apart, so the check-in share stays the native fleet's.
    native = Agent.protocol == AgentProtocol.STOCKTAKE.value
    row = request_session().execute(select(
        func.count().filter(native), func.count().filter(native, Agent.last_checkin_at >= utcnow() - timedelta(hours=1)),
        func.coalesce(func.sum(Agent.spool_depth), 0), func.coalesce(func.sum(Agent.spool_rejected), 0),
        func.count().filter(~native),
    ).select_from(Agent).where(Agent.revoked_at.is_(None))).one()
    return dict(zip(_FleetGauges.HELP, map(float, row)))


def _metrics_view():
    from flask import current_app

    token = current_app.extensions["stocktake_metrics_token"]
    if token and not _bearer_matches(token):
        return Response("metrics need the bearer token set in metrics_token\n", status=401,
                        headers={"WWW-Authenticate": 'Bearer realm="metrics"'}, content_type="text/plain")
    try:
        fleet = fleet_gauges()
    except Exception:  # noqa: BLE001 - the database being away must not hide the process's own metrics
        logging.getLogger(__name__).warning("metrics: fleet gauges unavailable (database)", exc_info=True)
        fleet = None
    body, content_type = render(fleet)
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _bearer_matches(token: str) -> bool:
    import hmac

    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())


def count_report(kind: str, outcome: str) -> None:
    REPORTS.labels(kind, outcome).inc()


def count_foreign_wire_unchanged(protocol: str) -> None:
    FOREIGN_WIRE_UNCHANGED.labels(protocol).inc()


def count_spool_drops(dropped: int) -> None:
    if dropped > 0:
        SPOOL_DROPPED.inc(dropped)


def count_shed(route: str) -> None:
    SHED.labels(route).inc()


def observe_reconciliation(mode: str, seconds: float) -> None:
    RECONCILIATION.labels(mode).observe(seconds)


def set_facts_pending(subjects: int) -> None:
    FACTS_PENDING.set(subjects)
