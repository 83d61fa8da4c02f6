"""When normalisation runs: on a schedule and after every full reconciliation, never inside ingest.

An agent report's transaction only links the asset to catalogue titles (new titles included);
normalising there would add a read of the rules and an anti-join to every report (and
bench/fleet.py's numbers). Instead the scheduled job (``sam_jobs``, every
:data:`NORMALISE_INTERVAL_S`) and the "facts changed" consumer for full runs normalise the
titles that appeared since; with nothing new a run costs two indexed statements. The CLI
(``sam normalise``) and the API (``POST /api/v1/sam/normalise``) run it on demand.
"""

from __future__ import annotations

import logging

from collector.config import CollectorConfig
from collector.db import Database
from collector.facts import FactsChanged, register_consumer

__all__ = ["NORMALISE_INTERVAL_S", "normalise_job", "sam_jobs"]

log = logging.getLogger(__name__)
NORMALISE_INTERVAL_S = 300


def normalise_job(db: Database, config: CollectorConfig) -> None:
    """Normalise the titles that have no mapping yet (or one of an older ruleset)."""
    from collector.access.audit_log import Actor
    from collector.sam.runs import normalise_and_record

    try:
        result = normalise_and_record(db, Actor(None, None, "scheduled job"), record_idle=False)
        if result.titles:
            log.info("sam normalise", extra=result.as_dict())
    except Exception:  # noqa: BLE001 - logged; the next round tries again
        log.exception("scheduled SAM normalisation failed")


def sam_jobs(config: CollectorConfig) -> list[tuple[str, object, int]]:
    """(job id, job, interval in seconds) for collector/jobs.py."""
    return [("sam_normalise", normalise_job, NORMALISE_INTERVAL_S)]


def _on_facts_changed(db: Database, config: CollectorConfig, change: FactsChanged) -> None:
    if change.full:
        normalise_job(db, config)


register_consumer("sam.normalise", _on_facts_changed)
