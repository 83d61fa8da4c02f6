"""A discovery report's receipt: claimed before its devices are stored, finished after the last batch.

``report_receipts.outcome`` is ``receiving`` while the batches run and ``discovery`` once all
are stored; only a finished receipt makes a retry "already stored". A retry of an unfinished
report (the collector stopped half-way, or the agent gave up waiting) finds the observation
the first attempt wrote and stores the devices again under it: devices are upserted by MAC or
identity key, so a second pass updates what the first wrote instead of doubling it.
"""

from __future__ import annotations

import gzip
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from collector.db import insert_ignoring_conflicts
from collector.models import Observation, ReportReceipt
from common.schema import DiscoveryReport

__all__ = ["RECEIVING", "STORED", "claim_discovery", "finish_discovery"]

RECEIVING, STORED = "receiving", "discovery"
_RECEIPTS = ReportReceipt.__table__


def claim_discovery(session: Session, agent_id: str, report: DiscoveryReport, raw: bytes, now: datetime) -> int | None:
    """The observation to store the report's devices under; None when the report id is already stored."""
    report_id = str(report.report_id)
    claimed = session.execute(
        insert_ignoring_conflicts(session, _RECEIPTS)
        .values(report_id=report_id, agent_id=agent_id, outcome=RECEIVING, received_at=now)
        .returning(ReportReceipt.report_id)
    ).first()
    if claimed is None:
        earlier = session.execute(select(ReportReceipt.outcome, ReportReceipt.agent_id, ReportReceipt.observation_id)
                                  .where(ReportReceipt.report_id == report_id)).one()
        resumable = earlier.outcome == RECEIVING and earlier.agent_id == agent_id and earlier.observation_id
        return earlier.observation_id if resumable else None
    observation_id = session.execute(
        insert(Observation.__table__).values(
            source="scan", kind="discovery", agent_id=agent_id, asset_id=None, schema_version=report.schema_version,
            content_hash="", report_id=report_id, collected_at=report.finished_at, received_at=now,
            last_report_id=report_id, last_collected_at=report.finished_at, last_received_at=now,
            report_count=1, payload=gzip.compress(raw, 1, mtime=0),
        ).returning(Observation.id)
    ).scalar_one()
    session.execute(update(_RECEIPTS).where(_RECEIPTS.c.report_id == report_id).values(observation_id=observation_id))
    return observation_id


def finish_discovery(session: Session, report_id: str, observation_id: int) -> None:
    session.execute(update(_RECEIPTS).where(_RECEIPTS.c.report_id == report_id)
                    .values(outcome=STORED, observation_id=observation_id))
