"""The dashboard's figures: what the fleet looks like now, in a handful of grouped counts.

Every figure is one aggregate query over an indexed column or a small table, so the page
stays quick at 100,000 assets. Open exceptions count everything reconciliation still holds
open (``open_key`` set), acknowledged or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collector.models import Agent, Asset, Device
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch
from collector.reconcile.report import EXCEPTION_KINDS, OUTCOMES, last_run

__all__ = ["Dashboard", "dashboard"]


@dataclass(frozen=True)
class Dashboard:
    assets: int
    cis: int
    unmanaged_devices: int
    open_exceptions: dict[str, int]
    acknowledged: int
    outcomes: dict[str, int]
    agents: dict[str, int]  # reporting, silent, never, revoked
    last_run: dict | None

    @property
    def open_total(self) -> int:
        return sum(self.open_exceptions.values())


def _agent_health(session: Session, now: datetime, silent_after: timedelta) -> dict[str, int]:
    health = {"reporting": 0, "silent": 0, "never": 0, "revoked": 0}
    state = case((Agent.revoked_at.is_not(None), "revoked"), (Agent.last_seen_at.is_(None), "never"),
                 (Agent.last_seen_at >= now - silent_after, "reporting"), else_="silent").label("state")
    health.update(session.execute(select(state, func.count()).group_by(state)).all())
    return health


def dashboard(session: Session, now: datetime, silent_after: timedelta) -> Dashboard:
    """``silent_after``: an agent not heard from for this long counts as silent."""
    open_exceptions = dict.fromkeys(EXCEPTION_KINDS, 0)
    acknowledged = 0
    for kind, status, count in session.execute(
            select(AuditException.kind, AuditException.status, func.count())
            .where(AuditException.open_key.is_not(None)).group_by(AuditException.kind, AuditException.status)):
        open_exceptions[kind] = open_exceptions.get(kind, 0) + count
        acknowledged += count if status == "acknowledged" else 0
    outcomes = dict.fromkeys(OUTCOMES, 0)
    outcomes.update(session.execute(select(CiMatch.outcome, func.count()).group_by(CiMatch.outcome)).all())
    return Dashboard(
        assets=session.scalar(select(func.count()).select_from(Asset)) or 0,
        cis=session.scalar(select(func.count()).select_from(ConfigurationItem)) or 0,
        unmanaged_devices=session.scalar(select(func.count()).select_from(Device).where(Device.asset_id.is_(None))) or 0,
        open_exceptions=open_exceptions,
        acknowledged=acknowledged,
        outcomes=outcomes,
        agents=_agent_health(session, now, silent_after),
        last_run=last_run(session),
    )
