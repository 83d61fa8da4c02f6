"""The batched "facts changed" step (the default): reports answer at once, their reconciliation
follows in one run per window, failures do not stop later batches, and a clean exit runs what
is pending. The rest of the suite runs the step inside the request (facts_batch_window_ms=0)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

import collector.facts_batching as facts_batching
from collector.facts import FactSource
from collector.models.reconcile import AuditException, ReconcileRun
from tests.collector.test_facts import seen  # noqa: F401  (fixture: the consumer recording every change)

ROOT = Path(__file__).resolve().parents[2]
LONG_WINDOW_MS = 30_000  # longer than any test takes to post its reports: the run waits for stop()


@pytest.fixture
def batched_app(config, database, monkeypatch):
    """An app whose reports' facts wait for a batch (a long window, no early run when reports
    pause: the test decides when it runs)."""
    from collector.app import create_app

    monkeypatch.setattr(facts_batching, "QUIET_S", LONG_WINDOW_MS / 1000)
    application = create_app(replace(config, facts_batch_window_ms=LONG_WINDOW_MS))
    application.config["TESTING"] = True
    db = application.extensions["stocktake"]["db"]
    yield application, db
    facts_batching.batcher_for(db, application.extensions["stocktake"]["config"]).stop()
    db.dispose()


def _counts(database) -> tuple[int, int]:
    with database.session() as session:
        runs = session.scalar(select(func.count()).select_from(ReconcileRun).where(ReconcileRun.mode == "incremental"))
        unmanaged = session.scalar(select(func.count()).select_from(AuditException)
                                   .where(AuditException.subject_type == "asset", AuditException.status == "open"))
    return runs, unmanaged


def test_reports_of_one_window_are_reconciled_in_one_run_after_they_are_answered(batched_app, make_agent, reports,
                                                                                 database, seen):
    app, db = batched_app
    client = app.test_client()
    asset_ids = []
    for n in range(5):
        agent = make_agent()
        response = client.post("/api/v1/inventory", json=reports.report(agent.agent_id, host_seed=100 + n),
                               headers=agent.headers)
        assert response.status_code == 201 and response.get_json()["status"] == "stored"
        asset_ids.append(response.get_json()["asset_id"])
    batcher = facts_batching.batcher_for(db, app.extensions["stocktake"]["config"])
    assert batcher.pending_subjects() == 5
    assert _counts(database) == (0, 0) and seen == []  # answered; nothing reconciled yet

    batcher.stop()  # what a clean exit does: run the pending batch at once
    assert batcher.pending_subjects() == 0 and batcher.batches_run == 1
    [change] = seen
    assert (change.source, change.asset_ids) == (FactSource.INVENTORY, tuple(sorted(asset_ids)))
    assert change.reconciliation is not None and change.reconciliation.subjects == 5
    assert _counts(database) == (1, 5)  # one incremental run; each new machine's unmanaged exception


def test_inventory_and_discovery_subjects_keep_their_source(batched_app, make_agent, reports, database, seen):
    from tests.collector.api.test_discovery import PRINTER, _report

    app, db = batched_app
    client = app.test_client()
    agent = make_agent()
    assert client.post("/api/v1/inventory", json=reports.report(agent.agent_id), headers=agent.headers).status_code == 201
    scanner = make_agent()
    response = client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER]), headers=scanner.headers)
    assert response.status_code == 201
    facts_batching.batcher_for(db, app.extensions["stocktake"]["config"]).stop()
    assert sorted((change.source, len(change.asset_ids), len(change.device_ids)) for change in seen) == \
           [(FactSource.DISCOVERY, 0, 1), (FactSource.INVENTORY, 1, 0)]


def test_a_failing_batch_is_logged_and_the_next_one_still_runs(database, config, make_agent, reports, monkeypatch,
                                                               caplog):
    from collector.db import Database

    db = Database(config.effective_database_url)
    calls = []

    def flaky(db_, config_, now, **kwargs):
        calls.append(kwargs["asset_ids"])
        if len(calls) == 1:
            raise RuntimeError("database went away")

    monkeypatch.setattr(facts_batching, "facts_changed", flaky)
    batcher = facts_batching.FactsBatcher(db, config, window_s=0.01)
    try:
        batcher.submit(FactSource.INVENTORY, _now(), [1], [])
        assert batcher.flush(10)
        batcher.submit(FactSource.INVENTORY, _now(), [2, 3], [])
        assert batcher.flush(10)
    finally:
        batcher.stop()
        db.dispose()
    assert [set(ids) for ids in calls] == [{1}, {2, 3}]
    assert batcher.batches_run == 2
    assert "facts batch failed" in caplog.text


def test_a_full_batch_runs_without_waiting_for_the_window(database, config, monkeypatch):
    from collector.db import Database

    db = Database(config.effective_database_url)
    ran = []
    monkeypatch.setattr(facts_batching, "facts_changed", lambda *a, **k: ran.append(len(k["asset_ids"])))
    batcher = facts_batching.FactsBatcher(db, config, window_s=3600, max_subjects=10, quiet_s=3600)
    try:
        batcher.submit(FactSource.INVENTORY, _now(), range(10), [])
        assert batcher.flush(10)  # an hour to wait either way, yet it ran: the batch was full
    finally:
        batcher.stop()
        db.dispose()
    assert ran == [10]


def test_a_batch_runs_when_reports_pause_without_waiting_for_the_window(database, config, monkeypatch):
    from collector.db import Database

    db = Database(config.effective_database_url)
    ran = []
    monkeypatch.setattr(facts_batching, "facts_changed", lambda *a, **k: ran.append(sorted(k["asset_ids"])))
    batcher = facts_batching.FactsBatcher(db, config, window_s=3600, quiet_s=0.05)
    try:
        batcher.submit(FactSource.INVENTORY, _now(), [1], [])
        batcher.submit(FactSource.INVENTORY, _now(), [2], [])
        assert batcher.flush(10)  # an hour's window, yet it ran: nothing more came for 50 ms
    finally:
        batcher.stop()
        db.dispose()
    assert ran == [[1, 2]]


def test_window_zero_reconciles_inside_the_request(client, make_agent, reports, database, seen):
    agent = make_agent()  # the suite's config: facts_batch_window_ms=0
    assert client.post("/api/v1/inventory", json=reports.report(agent.agent_id), headers=agent.headers).status_code == 201
    assert len(seen) == 1 and _counts(database) == (1, 1)


@pytest.mark.parametrize("window", [-1, 60_001])
def test_window_out_of_range_is_refused(config, window):
    from collector.config import ConfigError

    with pytest.raises(ConfigError, match="facts_batch_window_ms"):
        replace(config, facts_batch_window_ms=window).validate()


def test_a_process_that_exits_cleanly_runs_its_pending_batch(db_url, database, make_agent, reports, tmp_path):
    """A CLI command or worker ends with a batch pending (a minute's window): atexit runs it."""
    agent = make_agent()
    script = textwrap.dedent(f"""
        import json, sys
        from collector.app import create_app
        from collector.config import CollectorConfig
        app = create_app(CollectorConfig(data_dir={str(tmp_path)!r}, database_url={db_url!r}, log_format="text",
                                         log_level="WARNING", facts_batch_window_ms=60000))
        response = app.test_client().post("/api/v1/inventory", data=sys.stdin.buffer.read(),
                                          headers={{"Authorization": {agent.headers["Authorization"]!r},
                                                   "Content-Type": "application/json"}})
        assert response.status_code == 201, response.data
        print(response.get_json()["status"])
    """)
    import json

    done = subprocess.run([sys.executable, "-c", script], input=json.dumps(reports.report(agent.agent_id)).encode(),
                          capture_output=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "STOCKTAKE_CONFIG": ""})
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stdout.decode().strip() == "stored"
    assert _counts(database) == (1, 1)  # reconciled before the process ended, not a minute later


def _now():
    from collector.models import utcnow

    return utcnow()


def test_a_gunicorn_server_stopped_gracefully_reconciles_what_it_was_holding(db_url, database, make_agent, reports,
                                                                               tmp_path):
    """SIGTERM right after the last answer: the workers' pending batches run before they exit."""
    import requests

    from tests.conftest import LiveServer

    server = LiveServer(db_url, tmp_path, workers=2, threads=4, extra_env={"STOCKTAKE_FACTS_BATCH_WINDOW_MS": "60000"})
    try:
        with requests.Session() as http:
            for n in range(12):
                agent = make_agent()
                response = http.post(f"{server.url}/api/v1/inventory", json=reports.report(agent.agent_id, host_seed=300 + n),
                                     headers=agent.headers, timeout=60)
                assert response.status_code == 201 and response.json()["status"] == "stored", response.text
    finally:
        server.stop()  # SIGTERM to the master; gunicorn stops its workers gracefully
    runs, unmanaged = _counts(database)
    assert unmanaged == 12 and 1 <= runs <= 12  # every machine reconciled; none waits for a full run
