"""Delegated approvals: one person's approvals (all, or one approver group) to another, for a period.

Holidays and absences should not stop a workflow: the delegate may approve in the delegator's
name from ``starts_at`` until ``ends_at`` (or until revoked); the event then records "delegate
for delegator". Rows are kept after they end or are revoked, as the record of who could act.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import users as _users  # noqa: F401  (the table the keys name)
from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["WorkflowDelegation"]


class WorkflowDelegation(Base):
    __tablename__ = "workflow_delegations"
    __table_args__ = (Index("ix_workflow_delegations_delegate_period", "delegate_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delegate_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # One approver group, or NULL for all of the delegator's approvals.
    approver_group: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
