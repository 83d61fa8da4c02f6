"""Running reconciliation for the API, the CLI, the scheduler and ingest, one run at a time.

Full runs are serialised by the database: on PostgreSQL a transaction-scoped advisory lock
(so with several collector nodes only one runs the scheduled job; the others skip), on
SQLite the write transaction itself (BEGIN IMMEDIATE). The incremental run after a report
is best effort: a failure is logged and the next full run puts things right, so ingest
never fails because of it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from functools import lru_cache

from sqlalchemy import text

from collector import metrics
from collector.config import CollectorConfig
from collector.db import Database
from collector.reconcile.engine import RunResult, reconcile_full, reconcile_subjects
from collector.reconcile.policy import parse_policy
from collector.reconcile.rules import ReconcileRules, load_rules
from collector.reconcile.scoping import ExceptionScope, load_scope

__all__ = ["ADVISORY_LOCK_KEY", "rules_for", "run_full", "run_incremental", "scope_for"]

log = logging.getLogger(__name__)
# pg_advisory locks take a bigint; this one is "stocktake reconcile" for anyone reading pg_locks.
ADVISORY_LOCK_KEY = 0x5354_4B52_4543


@lru_cache(maxsize=8)
def _rules(path: str) -> ReconcileRules:
    return load_rules(path or None)


def rules_for(config: CollectorConfig) -> ReconcileRules:
    return _rules(getattr(config, "reconcile_rules_file", "") or "")


def scope_for(session, config: CollectorConfig, now: datetime) -> ExceptionScope:
    """The exception scope: the configured unmanaged policy (validated at start-up) and the live rules."""
    policy, problems = parse_policy(getattr(config, "unmanaged_policy", None) or {})
    if problems:  # config.validate() refuses these; a hand-built config may not have been validated
        raise ValueError("; ".join(problems))
    return load_scope(session, policy, now)


def run_full(db: Database, config: CollectorConfig, now: datetime, dry_run: bool = False) -> RunResult | None:
    """A full run; None when another node holds the lock (PostgreSQL)."""
    rules = rules_for(config)
    started = time.perf_counter()
    with db.write() as session:
        if not db.is_sqlite:
            locked = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar()
            if not locked:
                log.info("reconciliation skipped: another node is running it")
                return None
        result = reconcile_full(session, rules, now, dry_run=dry_run,
                                exception_scope=scope_for(session, config, now))
    metrics.observe_reconciliation("full", time.perf_counter() - started)
    log.info("reconciliation finished", extra={"run_id": result.run_id, "mode": "full", "dry_run": dry_run,
                                                "subjects": result.subjects, "opened": result.opened,
                                                "resolved": result.resolved})
    return result


def run_incremental(db: Database, config: CollectorConfig, now: datetime, asset_ids=(), device_ids=()) -> RunResult | None:
    started = time.perf_counter()
    try:
        with db.write() as session:
            result = reconcile_subjects(session, rules_for(config), now, asset_ids=list(asset_ids),
                                        device_ids=list(device_ids), exception_scope=scope_for(session, config, now))
        metrics.observe_reconciliation("incremental", time.perf_counter() - started)
        return result
    except Exception:  # noqa: BLE001 - ingest must not fail because of reconciliation
        log.exception("incremental reconciliation failed; the next full run will catch up",
                      extra={"assets": list(asset_ids)[:20], "devices": list(device_ids)[:20]})
        return None
