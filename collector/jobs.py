"""Scheduled collector jobs (APScheduler): the full reconciliation run, licence positions, notification
delivery, and the workflow jobs (SLA breaches, schedule triggers: collector/workflows/scheduled.py).

One process per node (``stocktake-collector jobs``, systemd/stocktake-collector-jobs.service)
rather than a scheduler inside every gunicorn worker. Of all the nodes' job processes exactly
one schedules: the holder of the jobs lease (``collector/leader.py``); the others stand by and
take over when it goes away. The database lock in the run service stays as a second guard.
"""

from __future__ import annotations

import logging
import os
import signal
import threading

from collector.config import CollectorConfig
from collector.db import Database
from collector.facts import reconcile_all
from collector.leader import JobsLease
from collector.models import utcnow
from collector.notify.delivery import delivery_job
from collector.sam.hooks import sam_jobs
from collector.sam.run import positions_job
from collector.workflows.scheduled import warn_at_start, workflow_jobs

__all__ = ["reconcile_job", "run_jobs"]

log = logging.getLogger(__name__)


def reconcile_job(db: Database, config: CollectorConfig) -> None:
    try:
        reconcile_all(db, config, utcnow())
    except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
        log.exception("scheduled reconciliation failed")


def run_jobs(db: Database, config: CollectorConfig, once: bool = False, stop: threading.Event | None = None) -> None:
    if once:
        reconcile_job(db, config)
        for _job_id, job, _interval in sam_jobs(config):  # normalise new titles before positions count them
            job(db, config)
        positions_job(db, config)
        for _job_id, job, _interval in workflow_jobs(config):
            job(db, config)
        delivery_job(db, config)
        return
    stop = stop or _stop_on_signals()
    lease = JobsLease(db, config.data_dir)
    standby_logged = False
    while not stop.is_set():
        if lease.acquire():
            log.warning("scheduled jobs: this node leads", extra={"pid": os.getpid(),
                                                                 "reconcile_interval_s": config.reconcile_interval_s})
            standby_logged = False
            _lead(db, config, lease, stop)
            lease.release()
            continue
        if not standby_logged:
            log.warning("scheduled jobs: standing by, another node leads", extra={"pid": os.getpid()})
            standby_logged = True
        stop.wait(config.jobs_standby_poll_s)


def _lead(db: Database, config: CollectorConfig, lease: JobsLease, stop: threading.Event) -> None:
    """Schedule the jobs until stopped or until the lease is lost (then another node may lead)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(reconcile_job, "interval", seconds=config.reconcile_interval_s, args=(db, config),
                      id="reconcile", next_run_time=utcnow(), max_instances=1, coalesce=True)
    scheduler.add_job(delivery_job, "interval", seconds=config.notify_interval_s, args=(db, config),
                      id="notify", max_instances=1, coalesce=True)
    scheduler.add_job(positions_job, "interval", seconds=config.sam_positions_interval_s, args=(db, config),
                      id="sam_positions", max_instances=1, coalesce=True)
    warn_at_start(config)
    for job_id, job, interval in [*workflow_jobs(config), *sam_jobs(config)]:
        scheduler.add_job(job, "interval", seconds=interval, args=(db, config), id=job_id, max_instances=1,
                          coalesce=True)
    scheduler.start()
    try:
        while not stop.wait(min(30, config.jobs_standby_poll_s)):
            if not lease.still_held():
                log.error("scheduled jobs: lease lost (database connection gone); stepping down")
                return
    finally:
        scheduler.shutdown(wait=True)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handle(signum, _frame):
        log.info("stopping scheduled jobs", extra={"signal": signum})
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop
