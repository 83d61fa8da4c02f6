"""The run service: one full run at a time across nodes (PostgreSQL advisory lock), and an
incremental run that never breaks ingest."""

import pytest
from sqlalchemy import text

from collector.reconcile.service import ADVISORY_LOCK_KEY, run_full, run_incremental
from tests.collector.reconcile.fleet import NOW, build_messy_fleet


def test_a_second_node_skips_while_another_holds_the_lock(database, config):
    if database.is_sqlite:
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers with BEGIN IMMEDIATE")
    with database.write() as session:
        build_messy_fleet(session)
    with database.engine.connect() as other_node:
        with other_node.begin():
            assert other_node.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY}).scalar()
            assert run_full(database, config, NOW) is None  # skipped, not blocked
        result = run_full(database, config, NOW)  # lock released with the other transaction
    assert result is not None and result.counts["matched"] == 63


def test_an_incremental_failure_is_logged_not_raised(database, config, caplog, monkeypatch):
    with database.write() as session:
        fleet = build_messy_fleet(session)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("collector.reconcile.service.reconcile_subjects", broken)
    assert run_incremental(database, config, NOW, asset_ids=[fleet.assets["lt-001"]]) is None
    assert "incremental reconciliation failed; the next full run will catch up" in caplog.text
