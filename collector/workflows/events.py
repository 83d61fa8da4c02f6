"""Recording what happens to a workflow: one event row, and the same fact in the audit log.

Both in the caller's transaction, so a transition either leaves its events in both places or
in neither. KPIs read the events table; the audit log's hash chain makes tampering visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from collector.access.audit_log import append_entries, append_entry
from collector.db import insert_rows
from collector.models import WorkflowEvent, WorkflowInstance
from collector.workflows.roles import WorkflowActor

__all__ = ["EventBatch", "KpiMark", "NewEvent", "record_event", "record_events"]


@dataclass(frozen=True)
class KpiMark:
    """What a completion event carries for the KPIs: the task's ``kpi`` property and its ready time."""

    kpi: str | None = None
    ready_at: datetime | None = None


@dataclass(frozen=True)
class NewEvent:
    """One event of a batch (:func:`record_events`); ``stage`` is the instance's when it happened."""

    instance_id: int
    template: str
    stage: str
    kind: str
    detail: dict = field(default_factory=dict)
    task: str | None = None
    note: str | None = None
    mark: KpiMark = KpiMark()


class EventBatch:
    """The events of one transition, written together when it ends: one multi-row insert and one
    append to the audit chain instead of a lock, a read of the chain's head and two inserts per
    event (measured: 8 of a transition's 16 round trips on PostgreSQL; docs/benchmarks.md)."""

    def __init__(self, instance: WorkflowInstance, actor: WorkflowActor, now: datetime) -> None:
        self.instance, self.actor, self.now = instance, actor, now
        self.events: list[NewEvent] = []

    def add(self, kind: str, task: str | None = None, detail: dict | None = None, note: str | None = None,
            mark: KpiMark = KpiMark()) -> None:
        self.events.append(NewEvent(self.instance.id, self.instance.template, self.instance.stage, kind,
                                    _with_delegation(self.actor, detail), task, note, mark))

    def write(self, session: Session) -> None:
        record_events(session, self.events, self.actor, self.now)
        self.events = []


def _with_delegation(actor: WorkflowActor, detail: dict | None) -> dict:
    """The event's detail, naming whom a delegate acted for ("bob for fiona")."""
    detail = dict(detail or {})
    if actor.on_behalf_of:
        detail["on_behalf_of"] = actor.on_behalf_of
    return detail


def _audit_detail(template: str, stage: str, task: str | None, actor: WorkflowActor, note: str | None,
                  detail: dict) -> dict:
    return {"template": template, "stage": stage, "task": task, "role": actor.role, "note": note, **detail}


def record_event(session: Session, instance: WorkflowInstance, kind: str, actor: WorkflowActor,
                 now: datetime, task: str | None = None, detail: dict | None = None,
                 note: str | None = None, mark: KpiMark = KpiMark()) -> WorkflowEvent:
    detail = _with_delegation(actor, detail)
    event = WorkflowEvent(instance_id=instance.id, at=now, actor_id=actor.user_id, actor=actor.username,
                          actor_role=actor.role, kind=kind, stage=instance.stage, task=task, detail=detail, note=note,
                          task_kpi=mark.kpi, ready_at=mark.ready_at)
    session.add(event)
    append_entry(session, f"workflow_{kind}", actor.audit, f"workflow {instance.id}",
                 _audit_detail(instance.template, instance.stage, task, actor, note, detail), now)
    return event


def record_events(session: Session, events: list[NewEvent], actor: WorkflowActor, now: datetime) -> None:
    """Many events by one actor at one time, in order: one insert for the rows, one for their audit entries."""
    if not events:
        return
    # The table, not the mapped class: the ORM's bulk insert groups rows by the keys they set
    # (one statement per group); one executemany over the table is one statement.
    insert_rows(session, WorkflowEvent.__table__, [
        {"instance_id": e.instance_id, "at": now, "actor_id": actor.user_id, "actor": actor.username,
         "actor_role": actor.role, "kind": e.kind, "stage": e.stage, "task": e.task, "detail": e.detail,
         "note": e.note, "task_kpi": e.mark.kpi, "ready_at": e.mark.ready_at} for e in events])
    who = actor.audit  # once: a property that builds a new Actor
    append_entries(session, [(f"workflow_{e.kind}", who, f"workflow {e.instance_id}",
                              _audit_detail(e.template, e.stage, e.task, actor, e.note, e.detail)) for e in events], now)
