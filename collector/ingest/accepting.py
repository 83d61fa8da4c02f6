"""Accepting a report once its sender is known: the steps every ingest route shares.

The native endpoints (``/api/v1/inventory``, ``/api/v1/discovery``) and the foreign agents'
(collector/interop/) differ in how they authenticate and what they parse; from a parsed report
on, they are the same: refuse times ahead of the collector's clock, store in one write
transaction (a retried report id is "duplicate"), count it, and hand what the report touched to the
"facts changed" step (batched off the request: collector/facts_batching.py).
"""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from collector import metrics
from collector.config import CollectorConfig
from collector.db import Database
from collector.facts import FactSource
from collector.facts_batching import report_facts_changed
from collector.ingest.clock import discovery_times, refuse_future_times
from collector.ingest.discovery import DiscoveryResult, store_discovery
from collector.ingest.inventory import DuplicateReport, IngestResult, store_inventory
from collector.ingest.parsing import ParsedInventory
from common.schema import DiscoveryReport

__all__ = ["accept_discovery", "accept_inventory", "discovery_counts"]

log = logging.getLogger(__name__)


def accept_inventory(db: Database, config: CollectorConfig, agent_id: str, last_content_hash: str | None,
                     parsed: ParsedInventory, now: datetime, wire_hash: str | None = None,
                     around_store: Callable[[Session], AbstractContextManager] | None = None) -> IngestResult:
    """Store a parsed inventory report of ``agent_id``; outcome ``duplicate`` for a retried report id.
    ``wire_hash``: a foreign agent's raw body's, kept with the stored content (store_inventory).
    ``around_store``: entered with the write transaction's session around the store, in that
    transaction (a foreign agent's first report registers its agent row so: one commit, not two)."""
    refuse_future_times([("collected_at", parsed.collected_at)], now, config.max_clock_skew_s)
    unchanged = parsed.content_hash == last_content_hash
    if last_content_hash is None:
        # A first report is validated in full outside the write transaction (no lock held);
        # later ones are validated inside it, only in what differs from the previous report.
        parsed.validated()
    try:
        with db.write() as session, (around_store(session) if around_store else nullcontext()):
            result = store_inventory(session, agent_id, parsed, now, expect_unchanged=unchanged, wire_hash=wire_hash)
    except DuplicateReport:
        result = IngestResult("duplicate", parsed.report_id, None, None)
    metrics.count_report("inventory", result.outcome)
    if result.outcome == "duplicate":
        return result
    metrics.count_spool_drops(parsed.spool_dropped)
    log.info("inventory stored", extra={"agent_id": agent_id, "report_id": parsed.report_id, "outcome": result.outcome})
    if result.outcome == "stored":  # new or changed content: identifiers may have moved
        report_facts_changed(db, config, now, asset_ids=[result.asset_id], source=FactSource.INVENTORY)
    return result


def accept_discovery(db: Database, config: CollectorConfig, agent_id: str, report: DiscoveryReport, raw: bytes,
                     now: datetime) -> DiscoveryResult:
    """Store a validated discovery report of ``agent_id`` (``raw`` is kept as its observation's payload)."""
    refuse_future_times(discovery_times(report), now, config.max_clock_skew_s)
    result = store_discovery(db, agent_id, report, raw, now, batch_size=config.discovery_batch_devices)
    metrics.count_report("discovery", result.outcome)
    if result.outcome != "duplicate" and result.unlinked_ids:
        report_facts_changed(db, config, now, device_ids=result.unlinked_ids, source=FactSource.DISCOVERY)
    return result


def discovery_counts(result: DiscoveryResult) -> dict:
    """What a stored discovery report's answer tells the scanner."""
    return {"devices": result.devices, "new_devices": result.new_devices, "linked": result.linked,
            "placed": result.placed, "device_ids": list(result.device_ids)}
