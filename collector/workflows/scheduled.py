"""The workflow jobs the jobs leader schedules (collector/jobs.py): SLA breaches and schedule triggers.

Listed here, not in collector/jobs.py, so that the workflow package owns what it needs run
and when; the leader only adds each entry to its APScheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from collector.config import CollectorConfig
from collector.db import Database

__all__ = ["sla_job", "warn_at_start", "workflow_jobs"]

log = logging.getLogger(__name__)


def sla_job(db: Database, config: CollectorConfig) -> None:
    from collector.workflows.sla import breach_job

    try:
        breach_job(db, config)
    except Exception:  # noqa: BLE001 - a failed round is logged; the next one tries again
        log.exception("workflow SLA breach check failed")


def _triggers_job(db: Database, config: CollectorConfig) -> None:
    from collector.workflows.triggers import scheduled_triggers_job

    scheduled_triggers_job(db, config)


def workflow_jobs(config: CollectorConfig) -> list[tuple[str, Callable[[Database, CollectorConfig], None], int]]:
    """(job id, function, interval in seconds) for each workflow job."""
    return [("workflow_sla", sla_job, config.workflow_sla_interval_s),
            ("workflow_triggers", _triggers_job, config.workflow_triggers_interval_s)]


def warn_at_start(config: CollectorConfig) -> list[str]:
    """Log (and return) what the configured triggers cannot do: a start-up warning, never a crash."""
    from collector.workflows.loading import templates_for
    from collector.workflows.triggers import trigger_warnings

    try:
        warnings = trigger_warnings(config, templates_for(config))
    except Exception:  # noqa: BLE001 - a warning must not stop the jobs
        log.exception("could not check the workflow triggers")
        return []
    for warning in warnings:
        log.warning(warning)
    return warnings
