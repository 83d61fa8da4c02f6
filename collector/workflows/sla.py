"""SLA breaches: open tasks past their due time, recorded and notified once each.

A template gives a stage (its lane) or a single user task an ``sla_hours`` extension property;
a task's ``due_at`` is set when it becomes ready (collector/workflows/tasks.py). The jobs
leader runs :func:`breach_job` on a schedule: every open task of a running workflow whose due
time has passed and whose breach is not yet recorded gets ``breached_at``, a ``sla_breached``
workflow event (and so an audit log entry), and notifications in the same transaction: email
to the people who may do the task and have an address, and a signed webhook to each hook in
``workflow_sla_webhooks``. ``breached_at`` and the outbox's dedupe key make it once per task,
even when two job runners race.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.config import CollectorConfig
from collector.db import Database
from collector.models import User, WorkflowInstance, WorkflowTask, utcnow
from collector.models.workflows import EventKind, InstanceStatus
from collector.notify import enqueue
from collector.workflows.events import record_event
from collector.workflows.roles import SYSTEM

__all__ = ["BATCH", "breach_job", "list_breaches", "record_breaches", "role_emails"]

log = logging.getLogger(__name__)
BATCH = 500  # breaches recorded per transaction; the job loops, bounded


def record_breaches(session: Session, config: CollectorConfig, groups: dict[str, frozenset[str]],
                    now: datetime, limit: int = BATCH) -> list[int]:
    """Record up to ``limit`` new breaches due at ``now``; return their task row ids."""
    query = (select(WorkflowTask, WorkflowInstance)
             .join(WorkflowInstance, WorkflowInstance.id == WorkflowTask.instance_id)
             .where(WorkflowTask.completed_at.is_(None), WorkflowTask.breached_at.is_(None),
                    WorkflowTask.due_at <= now, WorkflowInstance.status == InstanceStatus.RUNNING.value)
             .order_by(WorkflowTask.due_at, WorkflowTask.id).limit(limit)
             .with_for_update(of=WorkflowTask, skip_locked=True))
    breached = []
    for task, instance in session.execute(query).all():
        task.breached_at = now
        detail = {"due_at": task.due_at.isoformat(), "role": task.role, "task_name": task.name}
        record_event(session, instance, EventKind.SLA_BREACHED.value, SYSTEM, now, task.task, detail)
        _notify(session, config, groups, task, instance)
        breached.append(task.id)
    return breached


def _notify(session: Session, config: CollectorConfig, groups: dict[str, frozenset[str]], task: WorkflowTask,
            instance: WorkflowInstance) -> None:
    subject = f"SLA breached: workflow {instance.id} ({instance.template}), task {task.name}"[:200]
    body = (f"Task {task.name!r} ({task.task}, stage {task.stage}) of workflow {instance.id} ({instance.template}) "
            f"was due at {task.due_at.isoformat()} and is not done.\nIt needs role {task.role!r}.\n")
    payload = {"event": "sla_breached", "workflow": instance.id, "template": instance.template, "task": task.task,
               "stage": task.stage, "role": task.role, "due_at": task.due_at.isoformat(),
               "ci_id": instance.ci_id, "exception_id": instance.exception_id}
    key = f"sla-breach:task:{task.id}"
    emails = role_emails(session, task.role, instance.initiator_id, groups)
    if emails and config.smtp_host:
        enqueue(session, "email", emails, subject, body, payload, dedupe_key=key, due_at=task.breached_at)
    hooks = [h for h in config.workflow_sla_webhooks.split(",") if h.strip()]
    for hook in hooks:
        enqueue(session, "webhook", hook.strip(), subject, body, payload, dedupe_key=key, due_at=task.breached_at)


def role_emails(session: Session, role: str, initiator_id: int | None, groups: dict[str, frozenset[str]]) -> list[str]:
    """The addresses of the active people who may do a task needing ``role`` (admins only for
    ``admin`` and the members only for a group, not every admin who could step in)."""
    if role == "initiator" and initiator_id is not None:
        who = User.id == initiator_id
    elif role in ("operator", "initiator"):
        who = User.role.in_(("operator", "admin"))
    elif role == "admin":
        who = User.role == "admin"
    elif role in groups:
        who = User.username.in_(sorted(groups[role]))
    else:
        return []
    return sorted(session.scalars(select(User.email).where(who, User.disabled_at.is_(None),
                                                           User.email.is_not(None), User.email != "")))


def breach_job(db: Database, config: CollectorConfig, now: datetime | None = None) -> int:
    """The scheduled job: record every breach due now, a batch per transaction; the number recorded."""
    from collector.workflows.loading import templates_for

    now = now or utcnow()
    groups = templates_for(config).groups
    total = 0
    for _ in range(1000):  # bounded: 500,000 breaches per round at most
        with db.write() as session:
            found = record_breaches(session, config, groups, now)
        total += len(found)
        if len(found) < BATCH:
            break
    if total:
        log.warning("workflow SLA breaches recorded", extra={"breaches": total})
    return total


def list_breaches(session: Session, open_only: bool = False, template: str | None = None, page: int = 1,
                  per_page: int = 50) -> tuple[list[dict], int]:
    """Breached tasks, newest breach first; ``open_only``: still not done."""
    query = (select(WorkflowTask, WorkflowInstance.template)
             .join(WorkflowInstance, WorkflowInstance.id == WorkflowTask.instance_id)
             .where(WorkflowTask.breached_at.is_not(None)))
    if open_only:
        query = query.where(WorkflowTask.completed_at.is_(None))
    if template:
        query = query.where(WorkflowInstance.template == template)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(WorkflowTask.breached_at.desc(), WorkflowTask.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return [_breach_view(task, template_name) for task, template_name in rows], total


def _breach_view(task: WorkflowTask, template: str) -> dict:
    return {"workflow": task.instance_id, "template": template, "task": task.task, "name": task.name,
            "stage": task.stage, "role": task.role, "ready_at": task.ready_at.isoformat(),
            "due_at": task.due_at.isoformat() if task.due_at else None, "breached_at": task.breached_at.isoformat(),
            "completed_at": task.completed_at.isoformat() if task.completed_at else None,
            "completed_by": task.completed_by}
