"""Big discovery reports (issue 16, defect 6): stored in batches that let other writers in, never
half-stored to a reader, and the incremental reconciliation after them within the drivers'
parameter limits (PostgreSQL 65,535; SQLite 32,766)."""

import os
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from collector.models import Device, ReportReceipt
from collector.models.reconcile import AuditException, ReconcileRun
from common.schema import DiscoveryReport

SCHEMA_MAX_DEVICES = 65_536


def _report(agent_id: str, count: int, offset: int = 0) -> dict:
    now = datetime.now(timezone.utc).isoformat()
    return {"schema_version": 1, "report_id": str(uuid.uuid4()), "agent_id": agent_id, "scan_id": "arp-big",
            "started_at": now, "finished_at": now,
            "devices": [{"ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                         "mac": f"02:00:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
                         "found_by": ["arp"], "seen_at": now} for i in range(offset, offset + count)]}


def _scalar(database, statement):
    with database.session() as session:
        return session.scalar(statement)


def test_a_report_of_the_schema_maximum_is_stored_and_reconciled(client, database, make_agent):
    if database.engine.dialect.name == "postgresql" and not os.environ.get("STOCKTAKE_BIG_TESTS"):
        pytest.skip("on PostgreSQL this end-to-end ingest takes ~4 min here (device lookups during ingest, to be "
                    "profiled), beyond CI's time budget; STOCKTAKE_BIG_TESTS=1 runs it")
    scanner = make_agent()
    report = _report(scanner.agent_id, SCHEMA_MAX_DEVICES)
    response = client.post("/api/v1/discovery", json=report, headers=scanner.headers)
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["devices"], response.get_json()["new_devices"]) == (SCHEMA_MAX_DEVICES,) * 2
    assert _scalar(database, select(func.count()).select_from(Device)) == SCHEMA_MAX_DEVICES
    assert _scalar(database, select(ReportReceipt.outcome)) == "discovery"
    # The incremental run after it judged every device (no CI: each one is unmanaged).
    run = _scalar(database, select(ReconcileRun).where(ReconcileRun.mode == "incremental"))
    assert run is not None and (run.status, run.subjects) == ("finished", SCHEMA_MAX_DEVICES)
    assert _scalar(database, select(func.count()).select_from(AuditException)
                   .where(AuditException.kind == "unmanaged")) == SCHEMA_MAX_DEVICES
    again = client.post("/api/v1/discovery", json=report, headers=scanner.headers)
    assert again.status_code == 200 and again.get_json()["status"] == "already stored"


def test_a_check_in_gets_through_while_a_big_report_is_being_stored(app, database, make_agent):
    """SQLite has one writer at a time: the check-in must get the lock between two batches, not
    after the whole report (which used to take 75 s and fail check-ins after the 30 s busy timeout)."""
    scanner, laptop = make_agent(), make_agent()
    report = _report(scanner.agent_id, 10_000)  # five batches of the default 2,000
    answers = {}
    poster = threading.Thread(target=lambda: answers.setdefault("discovery", app.test_client().post(
        "/api/v1/discovery", json=report, headers=scanner.headers).status_code))
    poster.start()
    try:
        deadline = time.monotonic() + 120  # hang guard only
        while not _scalar(database, select(func.count()).select_from(Device)) and poster.is_alive():
            assert time.monotonic() < deadline, "no batch was ever committed"
            time.sleep(0.01)
        checkin = app.test_client().post("/api/v1/checkin", json={"spool_depth": 0}, headers=laptop.headers)
        stored_then = _scalar(database, select(func.count()).select_from(Device))
        outcome_then = _scalar(database, select(ReportReceipt.outcome))
    finally:
        poster.join(timeout=120)
    assert checkin.status_code == 200
    assert outcome_then == "receiving" and stored_then < 10_000  # in before the report was finished
    assert answers["discovery"] == 201
    assert _scalar(database, select(func.count()).select_from(Device)) == 10_000


def test_a_retry_of_an_unfinished_report_completes_it_without_doubling(database, make_agent, monkeypatch):
    from collector.ingest import discovery

    scanner = make_agent()
    report = DiscoveryReport.model_validate(_report(scanner.agent_id, 5))
    report.devices.append(report.devices[0].model_copy(update={"mac": None, "ip": None}))  # no identity: skipped
    calls = {"n": 0}
    real = discovery._store_batch

    def dies_after_the_first_batch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("collector stopped")
        return real(*args, **kwargs)

    monkeypatch.setattr(discovery, "_store_batch", dies_after_the_first_batch)
    now = datetime.now(timezone.utc)
    with pytest.raises(RuntimeError):
        discovery.store_discovery(database, scanner.agent_id, report, b"{}", now, batch_size=3)
    assert _scalar(database, select(ReportReceipt.outcome)) == "receiving"
    assert _scalar(database, select(func.count()).select_from(Device)) == 3
    monkeypatch.setattr(discovery, "_store_batch", real)
    result = discovery.store_discovery(database, scanner.agent_id, report, b"{}", now, batch_size=3)
    assert (result.outcome, result.devices, result.new_devices) == ("stored", 6, 2)
    assert _scalar(database, select(func.count()).select_from(Device)) == 5
    assert _scalar(database, select(ReportReceipt.outcome)) == "discovery"
    assert discovery.store_discovery(database, scanner.agent_id, report, b"{}", now).outcome == "duplicate"
