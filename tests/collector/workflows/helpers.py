"""Small helpers the workflow tests share: counting rows, reading an instance back."""

from __future__ import annotations

from sqlalchemy import func, select

from collector.models import AuditLogEntry, WorkflowEvent, WorkflowInstance


def snapshot(database, instance_id: int) -> tuple:
    """What must not change when a move is refused: version, stage, state, events, audit rows."""
    with database.session() as session:
        instance = session.get(WorkflowInstance, instance_id)
        events = session.scalar(select(func.count()).select_from(WorkflowEvent)
                                .where(WorkflowEvent.instance_id == instance_id))
        audit = session.scalar(select(func.count()).select_from(AuditLogEntry))
        return instance.version, instance.stage, instance.status, instance.state, events, audit


def event_kinds(database, instance_id: int) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(WorkflowEvent.kind).where(WorkflowEvent.instance_id == instance_id)
                                    .order_by(WorkflowEvent.id)))


def ready(database, instance_id: int) -> list[str]:
    from collector.workflows.reading import ready_task_views

    with database.session() as session:
        return [t["id"] for t in ready_task_views(session.get(WorkflowInstance, instance_id))]
