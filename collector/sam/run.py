"""One licence position run end to end: compute and store it, then raise the workflows it calls for.

The job (every ``sam_positions_interval_s``, and after normalisation), ``stocktake-collector sam
positions --run`` and ``POST /api/v1/sam/positions/run`` all come here. The run is one write
transaction (on PostgreSQL under an advisory lock, so two nodes never compute at once); the
workflows start after it commits, in their own short transactions: a remediation per new
over_deployed exception (trigger ``license_over_deployment``) and a renewal per entitlement
with new renewal items (``subscription_renewal``), each only when its trigger is configured.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import text

from collector.access.audit_log import Actor, append_entry
from collector.config import CollectorConfig
from collector.db import Database
from collector.models import utcnow
from collector.sam.positions import compute_positions

__all__ = ["ADVISORY_LOCK_KEY", "positions_job", "raise_workflows", "run_positions"]

log = logging.getLogger(__name__)
# "SAMP" for anyone reading pg_locks; the schema's hash is the second key (as the audit log's lock),
# so separate Stocktake schemas on one server never wait for each other.
ADVISORY_LOCK_KEY = 0x5341_4D50
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))")
BATCH = 200  # exceptions per workflow-opening transaction


def run_positions(db: Database, config: CollectorConfig, *, as_of: datetime | None = None,
                  unused_days: int | None = None, actor: Actor | None = None) -> dict | None:
    """Compute every position and raise the workflows; a summary, or None when another node is running it.

    A run someone asked for (``actor``: CLI, API, web) is recorded in the audit log with its
    outcome; the hourly job's runs are not (they would fill the log with routine)."""
    now = utcnow()
    started = time.perf_counter()
    with db.write() as session:
        if not db.is_sqlite and not session.execute(_TRY_LOCK, {"key": ADVISORY_LOCK_KEY}).scalar():
            log.info("licence positions skipped: another node is computing them")
            return None
        run = compute_positions(session, as_of=as_of or now, unused_days=unused_days or config.sam_unused_days)
        summary = {"run_id": run.id, "as_of": run.as_of.isoformat(), "counts": dict(run.counts)}
        if actor is not None:
            append_entry(session, "sam_positions_run", actor, f"sam_position_run:{run.id}",
                         {k: v for k, v in run.counts.items() if not isinstance(v, (list, dict))})
    summary["seconds"] = round(time.perf_counter() - started, 3)
    summary["workflows"] = raise_workflows(db, config, summary["counts"]["exceptions"]["opened_ids"], now)
    log.info("licence positions computed", extra={"run_id": summary["run_id"], "seconds": summary["seconds"]})
    return summary


def raise_workflows(db: Database, config: CollectorConfig, exception_ids: list[int], now: datetime) -> dict:
    """Remediations for the new over_deployed exceptions and renewals for new renewal items."""
    from collector.workflows.loading import templates_for
    from collector.workflows.sam_triggers import link_renewal_items, open_remediations, renewal_subjects
    from collector.workflows.trigger_config import Trigger, configured_triggers
    from collector.workflows.triggers import fire

    templates = templates_for(config)
    active = {t: name for t, name in configured_triggers(config.workflow_triggers).items()
              if templates.get(name) is not None}
    done = {}
    remediation = active.get(Trigger.LICENSE_OVER_DEPLOYED)
    if remediation and exception_ids:
        started = joined = 0
        for start in range(0, len(exception_ids), BATCH):
            with db.write() as session:
                result = open_remediations(session, templates, remediation, exception_ids[start:start + BATCH], now)
            started, joined = started + result.started, joined + result.joined
        done[Trigger.LICENSE_OVER_DEPLOYED.value] = {"started": started, "joined": joined}
    renewal = active.get(Trigger.SUBSCRIPTION_RENEWAL)
    if renewal:
        with db.write() as session:
            result = fire(session, templates, Trigger.SUBSCRIPTION_RENEWAL, renewal, renewal_subjects(session), now)
            link_renewal_items(session)
        done[Trigger.SUBSCRIPTION_RENEWAL.value] = {"started": result.started, "skipped": result.skipped}
    return done


def positions_job(db: Database, config: CollectorConfig) -> None:
    """The jobs leader's schedule (``sam_positions_interval_s``)."""
    try:
        run_positions(db, config)
    except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
        log.exception("licence position run failed")
