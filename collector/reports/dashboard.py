"""The dashboard's figures: what the fleet looks like now, in a handful of grouped counts.

Every figure is one aggregate query over an indexed column or a small table, so the page
stays quick at 100,000 assets. The named counts ("without an agent", "not in the CMDB", open
exceptions acknowledged or not) come from collector/reports/counts.py, as on every other page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from collector.models import Agent, Asset
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import CiMatch
from collector.reports import counts
from collector.reconcile.report import EXCEPTION_KINDS, OUTCOMES, last_run

__all__ = ["Dashboard", "dashboard"]


@dataclass(frozen=True)
class Dashboard:
    assets: int
    cis: int
    without_agent: int  # devices no agent accounts for (counts.devices_without_agent)
    not_in_cmdb: int  # observed subjects matched to no CI (counts.not_in_cmdb)
    open_exceptions: dict[str, int]  # per kind, open and not acknowledged
    acknowledged: int  # open, acknowledged
    outcomes: dict[str, int]
    agents: dict[str, int]  # reporting, silent, never, revoked
    last_run: dict | None

    @property
    def open_total(self) -> int:
        """Open and not acknowledged: what still waits for a person."""
        return sum(self.open_exceptions.values())


def _agent_health(session: Session, now: datetime, silent_after: timedelta) -> dict[str, int]:
    health = {"reporting": 0, "silent": 0, "never": 0, "revoked": 0}
    state = case((Agent.revoked_at.is_not(None), "revoked"), (Agent.last_seen_at.is_(None), "never"),
                 (Agent.last_seen_at >= now - silent_after, "reporting"), else_="silent").label("state")
    health.update(session.execute(select(state, func.count()).group_by(state)).all())
    return health


def dashboard(session: Session, now: datetime, silent_after: timedelta) -> Dashboard:
    """``silent_after``: an agent not heard from for this long counts as silent."""
    waiting = counts.open_exceptions(session, EXCEPTION_KINDS)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    outcomes.update(session.execute(select(CiMatch.outcome, func.count()).group_by(CiMatch.outcome)).all())
    return Dashboard(
        assets=session.scalar(select(func.count()).select_from(Asset)) or 0,
        cis=session.scalar(select(func.count()).select_from(ConfigurationItem)) or 0,
        without_agent=counts.devices_without_agent(session),
        not_in_cmdb=counts.not_in_cmdb(session),
        open_exceptions=waiting.not_acknowledged,
        acknowledged=waiting.acknowledged_total,
        outcomes=outcomes,
        agents=_agent_health(session, now, silent_after),
        last_run=last_run(session),
    )
