"""Scheduled collector jobs (APScheduler): the full reconciliation run on an interval.

One process per node (``stocktake-collector jobs``, systemd/stocktake-collector-jobs.service)
rather than a scheduler inside every gunicorn worker; the database lock in the run service
keeps several nodes from reconciling at once.
"""

from __future__ import annotations

import logging
import signal

from collector.config import CollectorConfig
from collector.db import Database
from collector.models import utcnow
from collector.reconcile.service import run_full

__all__ = ["reconcile_job", "run_jobs"]

log = logging.getLogger(__name__)


def reconcile_job(db: Database, config: CollectorConfig) -> None:
    try:
        run_full(db, config, utcnow())
    except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
        log.exception("scheduled reconciliation failed")


def run_jobs(db: Database, config: CollectorConfig, once: bool = False) -> None:
    if once:
        reconcile_job(db, config)
        return
    from apscheduler.schedulers.blocking import BlockingScheduler

    interval = getattr(config, "reconcile_interval_s", 3600)
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(reconcile_job, "interval", seconds=interval, args=(db, config), id="reconcile",
                      next_run_time=utcnow(), max_instances=1, coalesce=True)

    def stop(signum, _frame):
        log.info("stopping scheduled jobs", extra={"signal": signum})
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("scheduled jobs started", extra={"reconcile_interval_s": interval})
    scheduler.start()
