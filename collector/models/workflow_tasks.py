"""Open and finished user tasks of workflows, as rows: the inbox, SLA breaches and delegation read these.

The interpreter's serialised state is the truth about what may happen next, but finding "what
is waiting for me" by rebuilding every running instance does not scale. So each transition
(collector/workflows/service.py, in its own transaction) keeps this table in step: a row per
task from the moment it becomes ready until it is completed (or withdrawn because the
process moved elsewhere). ``due_at`` comes from the template's SLA (collector/workflows/sla.py);
``breached_at`` is set once, when the breach was recorded and notified.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import users as _users, workflows as _workflows  # noqa: F401  (tables the keys name)
from collector.models.base import Base, BigIntPK, UtcDateTime

__all__ = ["WorkflowTask"]


class WorkflowTask(Base):
    __tablename__ = "workflow_tasks"
    __table_args__ = (Index("ix_workflow_tasks_open_role", "completed_at", "role"),
                      Index("ix_workflow_tasks_open_due", "completed_at", "due_at"),
                      Index("ix_workflow_tasks_instance_task", "instance_id", "task"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instances.id", ondelete="CASCADE"))
    task: Mapped[str] = mapped_column(String(128))  # the BPMN id of the user task
    name: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str] = mapped_column(String(16))
    # The role as resolved when the task became ready (a DMN decision may have chosen it).
    role: Mapped[str] = mapped_column(String(64))
    approval: Mapped[bool] = mapped_column(Boolean, default=False)
    ready_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The name at the time ("stocktake" for the system; NULL while open or when withdrawn).
    completed_by: Mapped[str | None] = mapped_column(String(64))
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Who the work was given to (exception triage's "assign"); a task that follows inherits it.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
