"""The one "facts changed" step: every writer of facts reaches it, consumers see each change
(full runs included), and a failing consumer breaks neither ingest nor the other consumers."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from collector.facts import FactSource, facts_changed, reconcile_all, register_consumer, unregister_consumer
from collector.models import Device
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException
from tests.collector.api.test_discovery import CAMERA, PRINTER, _report
from tests.collector.reconcile.fleet import NOW, build_messy_fleet

SAMPLE = Path(__file__).resolve().parents[2] / "scripts" / "sample-cmdb.csv"


@pytest.fixture
def seen():
    """A consumer that records every change it is handed."""
    changes = []
    register_consumer("test-recorder", lambda _db, _config, change: changes.append(change))
    yield changes
    unregister_consumer("test-recorder")


@pytest.fixture
def failing():
    def explode(_db, _config, _change):
        raise RuntimeError("consumer bug")

    register_consumer("test-failing", explode)
    yield
    unregister_consumer("test-failing")


@pytest.fixture
def cli(db_url, database, tmp_path):
    """The collector CLI in this process (so it sees the test's consumers), on the test database."""
    from collector.cli import main

    env = {"STOCKTAKE_DATABASE_URL": db_url, "STOCKTAKE_DATA_DIR": str(tmp_path), "STOCKTAKE_CONFIG": None,
           "STOCKTAKE_LOG_LEVEL": "WARNING"}

    def run(*args):
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return run


def _ci_ids(database) -> list[int]:
    with database.session() as session:
        return sorted(session.scalars(select(ConfigurationItem.id)))


def test_an_inventory_report_hands_its_asset_to_the_consumers_after_reconciling_it(client, make_agent, reports, seen):
    agent = make_agent()
    response = client.post("/api/v1/inventory", json=reports.report(agent.agent_id), headers=agent.headers)
    assert response.status_code == 201
    [change] = seen
    assert (change.source, change.asset_ids, change.device_ids, change.full) == \
           (FactSource.INVENTORY, (response.get_json()["asset_id"],), (), False)
    assert change.reconciliation is not None and change.reconciliation.mode == "incremental"
    assert change.reconciliation.subjects == 1


def test_an_unchanged_report_changes_no_facts(client, make_agent, reports, seen):
    agent = make_agent()
    report = reports.report(agent.agent_id, host_seed=3)
    client.post("/api/v1/inventory", json=report, headers=agent.headers)
    again = {**report, "report_id": str(uuid.uuid4()),  # same content, a minute later
             "collected_at": (datetime.now(timezone.utc) + timedelta(minutes=1)).isoformat()}
    assert client.post("/api/v1/inventory", json=again, headers=agent.headers).get_json()["status"] == "unchanged"
    assert len(seen) == 1


def test_a_discovery_report_hands_its_unlinked_devices_to_the_consumers(client, database, make_agent, seen):
    scanner = make_agent()
    response = client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER, CAMERA]),
                           headers=scanner.headers)
    assert response.status_code == 201
    with database.session() as session:
        device_ids = tuple(sorted(session.scalars(select(Device.id))))
    [change] = seen
    assert (change.source, change.device_ids, change.asset_ids) == (FactSource.DISCOVERY, device_ids, ())
    assert len(device_ids) == 2 and change.reconciliation.subjects == 2


def test_a_cmdb_import_over_the_api_hands_the_written_cis_to_the_consumers(client, database, make_token, seen):
    response = client.post("/api/v1/cis/import", headers=make_token("operator"), content_type="multipart/form-data",
                           data={"file": (SAMPLE.open("rb"), "register.csv")})
    assert response.status_code == 200 and response.get_json()["created"] == 32
    [change] = seen
    assert (change.source, change.ci_ids) == (FactSource.CMDB_IMPORT, tuple(_ci_ids(database)))
    assert len(change.ci_ids) == 32
    dry = client.post("/api/v1/cis/import?dry_run=true", headers=make_token("operator"),
                      content_type="multipart/form-data", data={"file": (SAMPLE.open("rb"), "register.csv")})
    assert dry.status_code == 200 and len(seen) == 1  # a dry run changed nothing


def test_a_cmdb_import_from_the_cli_hands_the_written_cis_to_the_consumers(cli, database, seen):
    result = cli("cmdb", "import", str(SAMPLE))
    assert result.exit_code == 0, result.output
    [change] = seen
    assert (change.source, change.ci_ids) == (FactSource.CMDB_IMPORT, tuple(_ci_ids(database)))


def test_fixing_a_ci_in_the_register_resolves_its_drift_at_once(client, database, config, make_token, seen,
                                                                monkeypatch):
    """Before: the import stored the fix and the drift stayed open until the next full run."""
    with database.write() as session:
        build_messy_fleet(session)
    reconcile_all(database, config, NOW)
    with database.session() as session:
        typo = session.scalar(select(ConfigurationItem).where(ConfigurationItem.asset_tag == "LT-TYPO"))
        drift = select(AuditException).where(AuditException.ci_id == typo.id, AuditException.kind == "drift")
        assert session.scalar(drift).status == "open"
    monkeypatch.setattr("collector.api.cis.utcnow", lambda: NOW)
    response = client.post("/api/v1/cis/import", headers=make_token("operator"), content_type="text/csv",
                           data=b"Asset Tag,Serial Number\nLT-TYPO,5CG0123XZY\n")
    assert response.status_code == 200 and response.get_json()["updated"] == 1
    change = seen[-1]
    assert change.ci_ids == (typo.id,) and change.reconciliation.mode == "incremental"
    with database.session() as session:
        assert session.scalar(drift).status == "resolved"


def test_registering_an_unmanaged_device_resolves_its_exception_at_once(client, database, make_agent, make_token,
                                                                         seen):
    """Before: a new CI was reconciled only through subjects already matched to it (none), so the
    device it now claims stayed "unmanaged" until the next full run."""
    scanner = make_agent()
    assert client.post("/api/v1/discovery", json=_report(scanner.agent_id, [PRINTER]),
                       headers=scanner.headers).status_code == 201
    unmanaged = select(AuditException).where(AuditException.kind == "unmanaged")
    with database.session() as session:
        assert session.scalar(unmanaged).status == "open"
    response = client.post("/api/v1/cis/import", headers=make_token("operator"), content_type="text/csv",
                           data=b"Asset Tag,Class,Status,MAC Address(es)\nPR-0009,Printer,Deployed,3C:52:82:00:09:01\n")
    assert response.status_code == 200 and response.get_json()["created"] == 1
    assert seen[-1].reconciliation is not None and seen[-1].reconciliation.mode == "incremental"
    with database.session() as session:
        exception = session.scalar(unmanaged)
        assert exception.status == "resolved", exception.summary


def test_a_big_import_leaves_reconciliation_to_the_full_run_but_still_tells_the_consumers(database, config, seen):
    with database.write() as session:
        build_messy_fleet(session)
    reconcile_all(database, config, NOW)
    change = facts_changed(database, replace(config, reconcile_changed_cis_max_subjects=2), NOW,
                           ci_ids=_ci_ids(database), source=FactSource.CMDB_IMPORT)
    assert change.reconciliation is None and seen[-1] is change


@pytest.mark.parametrize("route", ["api", "cli", "job"])
def test_full_runs_reach_the_consumers(route, client, database, config, make_token, cli, seen):
    from collector.jobs import reconcile_job

    with database.write() as session:
        build_messy_fleet(session)
    if route == "api":
        run_id = client.post("/api/v1/reconciliation/runs", headers=make_token("operator")).get_json()["run_id"]
    elif route == "cli":
        assert cli("reconcile").exit_code == 0
    else:
        reconcile_job(database, config)
    [change] = seen
    assert (change.source, change.full, change.asset_ids, change.ci_ids) == (FactSource.FULL_RUN, True, (), ())
    assert change.reconciliation.mode == "full" and change.reconciliation.opened == 12
    if route == "api":
        assert change.reconciliation.run_id == run_id


def test_a_dry_run_reaches_no_consumer(client, database, make_token, seen):
    with database.write() as session:
        build_messy_fleet(session)
    assert client.post("/api/v1/reconciliation/runs?dry_run=true", headers=make_token("operator")).status_code == 200
    assert seen == []


def test_a_failing_consumer_breaks_neither_ingest_nor_the_consumers_after_it(client, make_agent, reports, failing,
                                                                            seen, caplog):
    agent = make_agent()
    with caplog.at_level(logging.ERROR, logger="collector.facts"):
        response = client.post("/api/v1/inventory", json=reports.report(agent.agent_id), headers=agent.headers)
    assert response.status_code == 201
    assert [change.asset_ids for change in seen] == [(response.get_json()["asset_id"],)]
    [record] = [r for r in caplog.records if r.name == "collector.facts"]
    assert record.getMessage() == "facts consumer failed" and record.consumer == "test-failing"
    assert "consumer bug" in caplog.text


def test_a_failing_reconciliation_still_reaches_the_consumers(database, config, seen, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("reconciliation bug")

    monkeypatch.setattr("collector.reconcile.service.reconcile_subjects", broken)
    change = facts_changed(database, config, NOW, asset_ids=[1], source=FactSource.INVENTORY)
    assert change.reconciliation is None and seen == [change]


def test_consumers_run_in_registration_order_and_a_name_registers_once(database, config):
    calls = []
    register_consumer("test-first", lambda *_: calls.append("first"))
    register_consumer("test-second", lambda *_: calls.append("second"))
    try:
        with pytest.raises(ValueError, match="already registered"):
            register_consumer("test-first", lambda *_: None)
        facts_changed(database, config, NOW, source=FactSource.WORKFLOW)
        assert calls == ["first", "second"]
    finally:
        unregister_consumer("test-first")
        unregister_consumer("test-second")
