"""Exception triage (assign, comment, acknowledge) done through the exception's resolution workflow.

The exception queue (collector/workflows/triage.py, the web pages) keeps its actions, and each
now acts on the exception's ``exception_resolution`` workflow (opened if it has none yet):
assigning gives the workflow's open tasks an owner and records an ``assigned`` event; a
comment is a workflow comment; acknowledging completes the workflow's triage task. The
exception's own columns (assignee_id, status, acknowledged_*) are kept in step, also when the
triage task is completed from the workflow pages, for the readers that use them (the queue,
exports, KPIs). Migration 0018 carried the older triage records over the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor
from collector.models import AuditException, User, WorkflowEvent, WorkflowInstance
from collector.models.workflows import EventKind, InstanceStatus
from collector.workflows import engine
from collector.workflows.events import record_event
from collector.workflows.loading import SHIPPED_DIR, TemplateSet, load_templates
from collector.workflows.roles import WorkflowActor, actor_for_user
from collector.workflows.specs import load_workflow
from collector.workflows.tasks import set_owner

__all__ = ["TRIAGE_TASK", "acknowledge_through_workflow", "assign_through_workflow", "comment_through_workflow",
           "exception_workflow", "sync_exception_after_task", "templates_or_shipped", "workflow_comments"]

TRIAGE_TASK = "triage"  # exception_resolution's first task: completing it is the acknowledgement
EXCEPTION_TEMPLATE = "exception_resolution"
_shipped: TemplateSet | None = None


def _templates(templates: TemplateSet | None) -> TemplateSet:
    """The given templates, else the shipped ones (exception_resolution is shipped; its approvals
    route to account roles only, so no approver groups are needed)."""
    global _shipped
    if templates is not None:
        return templates
    if _shipped is None:
        _shipped = load_templates([SHIPPED_DIR])
    return _shipped


def templates_or_shipped(templates: TemplateSet | None) -> TemplateSet:
    """What triage acts with: the given templates, else the shipped ones (bulk triage too)."""
    return _templates(templates)


def _actor(session: Session, actor: Actor) -> WorkflowActor:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        return WorkflowActor(actor.user_id, actor.username or "-", "operator", actor.client)
    return actor_for_user(user, actor.client)


def exception_workflow(session: Session, exception: AuditException, now: datetime,
                       templates: TemplateSet | None = None) -> WorkflowInstance | None:
    """The exception's running workflow; opened (as Stocktake) while the exception is unresolved;
    else its latest one; None for a resolved exception that never had one."""
    from collector.workflows.service import open_exception_workflow

    query = select(WorkflowInstance).where(WorkflowInstance.exception_id == exception.id)
    running = session.scalar(query.where(WorkflowInstance.status == InstanceStatus.RUNNING.value))
    if running is not None:
        return running
    if exception.open_key is not None:
        return open_exception_workflow(session, _templates(templates), exception.id, now)
    return session.scalar(query.order_by(WorkflowInstance.id.desc()).limit(1))


def assign_through_workflow(session: Session, exception: AuditException, assignee: User | None, actor: Actor,
                            now: datetime, templates: TemplateSet | None = None) -> None:
    instance = exception_workflow(session, exception, now, templates)
    if instance is None:
        return
    set_owner(session, instance.id, assignee.id if assignee else None)
    record_event(session, instance, EventKind.ASSIGNED.value, _actor(session, actor), now,
                 detail={"assignee": assignee.username if assignee else None,
                         "assignee_id": assignee.id if assignee else None})


def comment_through_workflow(session: Session, exception: AuditException, body: str, actor: Actor, now: datetime,
                             templates: TemplateSet | None = None) -> WorkflowEvent | None:
    """The comment as a workflow event; None when the exception has no workflow (resolved before any)."""
    instance = exception_workflow(session, exception, now, templates)
    if instance is None:
        return None
    return record_event(session, instance, EventKind.COMMENT.value, _actor(session, actor), now, note=body)


def acknowledge_through_workflow(session: Session, exception: AuditException, actor: Actor, note: str | None,
                                 now: datetime, templates: TemplateSet | None = None) -> None:
    """Complete the workflow's triage task (its plan: the note), if it is still waiting."""
    from collector.workflows.service import complete_task

    loaded = _templates(templates)
    instance = exception_workflow(session, exception, now, loaded)
    if instance is None or instance.status != InstanceStatus.RUNNING.value:
        return
    ready = [t.task_spec.bpmn_id for t in engine.ready_tasks(load_workflow(instance, session))]
    if TRIAGE_TASK in ready:
        plan = (note or "").strip()[:2000] or "acknowledged in the exception queue"
        complete_task(session, loaded, instance.id, TRIAGE_TASK, _actor(session, actor), {"plan": plan}, now=now)


def sync_exception_after_task(session: Session, instance: WorkflowInstance, task_id: str, actor: WorkflowActor,
                              now: datetime) -> None:
    """After a task of an exception workflow: completing triage acknowledges the exception."""
    if instance.template != EXCEPTION_TEMPLATE or task_id != TRIAGE_TASK or instance.exception_id is None:
        return
    exception = session.get(AuditException, instance.exception_id)
    if exception is None or exception.open_key is None or exception.status != "open":
        return
    exception.status, exception.acknowledged_at, exception.acknowledged_by_id = "acknowledged", now, actor.user_id
    exception.updated_at = now


def workflow_comments(session: Session, exception_id: int) -> list[WorkflowEvent] | None:
    """The comments on the exception's workflows, oldest first; None when it never had one."""
    ids = list(session.scalars(select(WorkflowInstance.id).where(WorkflowInstance.exception_id == exception_id)))
    if not ids:
        return None
    return list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id.in_(ids),
                                                            WorkflowEvent.kind == EventKind.COMMENT.value)
                                .order_by(WorkflowEvent.at, WorkflowEvent.id)))
