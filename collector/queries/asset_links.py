"""What reconciliation and the network say about one asset: its CI match with the
explanation, the exceptions raised about it or its CI, and the scanned devices that are it
(with the switch port each was seen on)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collector.models import Device
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch

__all__ = ["AssetLinks", "asset_links"]


@dataclass(frozen=True)
class AssetLinks:
    match: CiMatch | None
    ci: ConfigurationItem | None
    open_exceptions: list[AuditException]
    closed_exceptions: list[AuditException]
    devices: list[Device]


def asset_links(session: Session, asset_id: int, closed_limit: int = 20) -> AssetLinks:
    match = session.scalar(select(CiMatch).where(CiMatch.subject_type == "asset", CiMatch.subject_id == asset_id))
    ci = session.get(ConfigurationItem, match.ci_id) if match is not None and match.ci_id else None
    about = and_(AuditException.subject_type == "asset", AuditException.subject_id == asset_id)
    if ci is not None:
        about = or_(about, AuditException.ci_id == ci.id)
    order = (AuditException.opened_at.desc(), AuditException.id.desc())
    open_ = list(session.scalars(select(AuditException).where(about, AuditException.open_key.is_not(None))
                                 .order_by(*order)))
    closed = list(session.scalars(select(AuditException).where(about, AuditException.open_key.is_(None))
                                  .order_by(*order).limit(closed_limit)))
    devices = list(session.scalars(select(Device).where(Device.asset_id == asset_id).order_by(Device.id)))
    return AssetLinks(match, ci, open_, closed, devices)
