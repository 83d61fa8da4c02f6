"""Listing audit exceptions (the queue admins work and auditors export)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException

__all__ = ["ExceptionPage", "exception_row", "list_exceptions"]


@dataclass(frozen=True)
class ExceptionPage:
    items: list[dict]
    total: int


def _iso(value):
    return value.isoformat() if value is not None else None


def exception_row(exception: AuditException, asset_tag: str | None) -> dict:
    return {"id": exception.id, "kind": exception.kind, "status": exception.status, "ci_id": exception.ci_id,
            "asset_tag": asset_tag, "subject_type": exception.subject_type, "subject_id": exception.subject_id,
            "summary": exception.summary, "evidence": exception.evidence, "opened_at": _iso(exception.opened_at),
            "updated_at": _iso(exception.updated_at), "resolved_at": _iso(exception.resolved_at),
            "resolution_note": exception.resolution_note}


def list_exceptions(session: Session, kind: str | None, status: str | None, page: int, per_page: int) -> ExceptionPage:
    """Newest first; ``status`` None lists all."""
    query = (select(AuditException, ConfigurationItem.asset_tag)
             .outerjoin(ConfigurationItem, ConfigurationItem.id == AuditException.ci_id))
    if kind:
        query = query.where(AuditException.kind == kind)
    if status:
        query = query.where(AuditException.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AuditException.opened_at.desc(), AuditException.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return ExceptionPage([exception_row(e, tag) for e, tag in rows], total)
