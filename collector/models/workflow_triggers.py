"""Which automatic trigger started which workflow, about which subject.

Triggers fire again and again (every reconciliation run, every scheduled round); this mark is
how they know a running workflow for the same trigger and subject exists already and start
no second one. A new instance is started once the earlier one has closed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import workflows as _workflows  # noqa: F401  (the table the key names)
from collector.models.base import Base, UtcDateTime

__all__ = ["WorkflowTriggerMark"]


class WorkflowTriggerMark(Base):
    __tablename__ = "workflow_trigger_marks"
    __table_args__ = (Index("ix_workflow_trigger_marks_trigger_subject", "trigger", "subject"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instances.id", ondelete="CASCADE"),
                                             primary_key=True)
    trigger: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))  # e.g. "ci:42", "exception:7"
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime)
