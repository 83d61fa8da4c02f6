"""Workflows: one running six-stage process per instance, and its append-only event history.

An instance runs a BPMN template (collector/workflows/templates/) about a subject: a CI, an
audit exception, or both. The interpreter's own state (SpiffWorkflow's serialised workflow)
is stored beside the columns the product queries (status, stage, subject), and ``version``
goes up by one per transition so that a client acting on a stale view is refused.
Events are never changed: KPIs are computed from them, and each is also in the audit log.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["STAGES", "EventKind", "InstanceStatus", "Stage", "WorkflowEvent", "WorkflowInstance", "WorkflowSpec"]


class Stage(str, Enum):
    """The six stages every template walks through, in this order."""

    INITIATION = "Initiation"
    AUTHORIZATION = "Authorization"
    EXECUTION = "Execution"
    DOCUMENTATION = "Documentation"
    VALIDATION = "Validation"
    CLOSURE = "Closure"


STAGES = tuple(s.value for s in Stage)


class InstanceStatus(str, Enum):
    RUNNING = "running"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class EventKind(str, Enum):
    STARTED = "started"
    TASK_COMPLETED = "task_completed"
    APPROVED = "approved"
    REJECTED = "rejected"
    RESUBMITTED = "resubmitted"
    COMMENT = "comment"
    CMDB_CHANGE = "cmdb_change"
    STAGE_ENTERED = "stage_entered"
    CLOSED = "closed"
    OVERRIDE = "override"
    SLA_BREACHED = "sla_breached"
    EXCEPTION_JOINED = "exception_joined"  # another exception of the same CI and kind joined it
    ASSIGNED = "assigned"  # triage: the task owner changed


class WorkflowInstance(Base):
    __tablename__ = "workflow_instances"
    __table_args__ = (Index("ix_workflow_instances_status_stage", "status", "stage"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    template: Mapped[str] = mapped_column(String(64), index=True)
    # SHA-256 of the BPMN (and DMN) files it started from: an edited template does not
    # silently change what a running instance means.
    template_hash: Mapped[str] = mapped_column(String(64))
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("cis.id", ondelete="SET NULL"), index=True)
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("audit_exceptions.id", ondelete="SET NULL"),
                                                     index=True)
    status: Mapped[str] = mapped_column(String(16), default=InstanceStatus.RUNNING.value)
    stage: Mapped[str] = mapped_column(String(16), default=Stage.INITIATION.value)
    initiator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    need_by: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # SpiffWorkflow's BpmnWorkflowSerializer output (task tree and data); the process spec is in
    # workflow_specs under template_hash (rows from before migration 0019 still carry their own).
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)


class WorkflowEvent(Base):
    """One thing that happened to an instance; rows are only ever added."""

    __tablename__ = "workflow_events"
    __table_args__ = (Index("ix_workflow_events_instance_at", "instance_id", "at"),
                      Index("ix_workflow_events_kind_at", "kind", "at"),
                      Index("ix_workflow_events_task_kpi_at", "task_kpi", "at"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instances.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str | None] = mapped_column(String(16))
    task: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    # What the KPIs read, set when a task is completed: the task's BPMN ``kpi`` property as it
    # was (e.g. "delivered") and when the task became ready (approval time = at - ready_at).
    task_kpi: Mapped[str | None] = mapped_column(String(32))
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WorkflowSpec(Base):
    """The serialised process spec of one template version, shared by its instances' states."""

    __tablename__ = "workflow_specs"

    template_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
