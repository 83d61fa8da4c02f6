"""The fleet's named figures, each defined once and read by every page and export that shows it.

Two different questions used to share the word "unmanaged" (issue 14):
- **without an agent**: a device the scanners found on the network that no agent-reported
  asset accounts for (``devices.asset_id`` is NULL). The dashboard and the devices page count this.
- **not in the CMDB**: an observed subject (asset or device) that reconciliation matched to no
  CI (outcome "unmanaged"). The reconciliation report, its export and the "unmanaged"
  exception kind are about this.
Open exceptions are those reconciliation still holds open (``open_key`` set); of these,
"acknowledged" ones have been seen by a person and the rest are "not acknowledged".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import Device
from collector.models.reconcile import AuditException, CiMatch

__all__ = ["LABELS", "OpenExceptions", "devices_without_agent", "not_in_cmdb", "open_exceptions",
           "without_agent_clause", "not_in_cmdb_clause"]

# The names the UI and the exports print, so the same figure reads the same everywhere.
LABELS = {
    "without_agent": "Devices without an agent",
    "not_in_cmdb": "Not in the CMDB",
    "open_not_acknowledged": "Open exceptions (not acknowledged)",
    "open_acknowledged": "Open exceptions (acknowledged)",
}


def without_agent_clause():
    return Device.asset_id.is_(None)


def not_in_cmdb_clause():
    return CiMatch.outcome == "unmanaged"


def devices_without_agent(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Device).where(without_agent_clause())) or 0


def not_in_cmdb(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CiMatch).where(not_in_cmdb_clause())) or 0


@dataclass(frozen=True)
class OpenExceptions:
    """Per kind: open and not yet acknowledged, and open but acknowledged."""

    not_acknowledged: dict[str, int]
    acknowledged: dict[str, int]

    @property
    def not_acknowledged_total(self) -> int:
        return sum(self.not_acknowledged.values())

    @property
    def acknowledged_total(self) -> int:
        return sum(self.acknowledged.values())

    @property
    def total(self) -> int:
        return self.not_acknowledged_total + self.acknowledged_total


def open_exceptions(session: Session, kinds: tuple[str, ...]) -> OpenExceptions:
    """One grouped count over the open exceptions (the kind/status index)."""
    waiting, seen = dict.fromkeys(kinds, 0), dict.fromkeys(kinds, 0)
    for kind, status, count in session.execute(
            select(AuditException.kind, AuditException.status, func.count())
            .where(AuditException.open_key.is_not(None)).group_by(AuditException.kind, AuditException.status)):
        target = seen if status == "acknowledged" else waiting
        target[kind] = target.get(kind, 0) + count
    return OpenExceptions(waiting, seen)
