"""Recording what happens to a workflow: one event row, and the same fact in the audit log.

Both in the caller's transaction, so a transition either leaves its events in both places or
in neither. KPIs read the events table; the audit log's hash chain makes tampering visible.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collector.access.audit_log import append_entry
from collector.models import WorkflowEvent, WorkflowInstance
from collector.workflows.roles import WorkflowActor

__all__ = ["record_event"]


def record_event(session: Session, instance: WorkflowInstance, kind: str, actor: WorkflowActor,
                 now: datetime, task: str | None = None, detail: dict | None = None,
                 note: str | None = None) -> WorkflowEvent:
    detail = dict(detail or {})
    if actor.on_behalf_of:
        detail["on_behalf_of"] = actor.on_behalf_of
    event = WorkflowEvent(instance_id=instance.id, at=now, actor_id=actor.user_id, actor=actor.username,
                          actor_role=actor.role, kind=kind, stage=instance.stage, task=task, detail=detail, note=note)
    session.add(event)
    append_entry(session, f"workflow_{kind}", actor.audit, f"workflow {instance.id}",
                 {"template": instance.template, "stage": instance.stage, "task": task, "role": actor.role,
                  "note": note, **detail}, now)
    return event
