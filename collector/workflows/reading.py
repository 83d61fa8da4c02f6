"""Reading workflows: the filtered list, one instance with its ready tasks and history, my tasks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models import WorkflowEvent, WorkflowInstance
from collector.models.workflows import InstanceStatus
from collector.workflows import engine
from collector.workflows.loading import TemplateSet
from collector.workflows.roles import WorkflowActor
from collector.workflows.secrets import masked, secret_ids
from collector.workflows.service import task_role
from collector.workflows.specs import load_workflow

__all__ = ["InstancePage", "describe_field", "instance_data", "instance_summary", "instance_view", "list_instances",
           "my_tasks", "ready_task_views"]

STATUSES = tuple(s.value for s in InstanceStatus)


@dataclass(frozen=True)
class InstancePage:
    items: list[dict]
    total: int


def instance_summary(instance: WorkflowInstance) -> dict:
    return {"id": instance.id, "template": instance.template, "status": instance.status, "stage": instance.stage,
            "ci_id": instance.ci_id, "exception_id": instance.exception_id, "initiator_id": instance.initiator_id,
            "need_by": instance.need_by.isoformat() if instance.need_by else None,
            "created_at": instance.created_at.isoformat(), "updated_at": instance.updated_at.isoformat(),
            "closed_at": instance.closed_at.isoformat() if instance.closed_at else None,
            "version": instance.version}


def _filtered(query, status: str | None, template: str | None):
    if status:
        query = query.where(WorkflowInstance.status == status)
    if template:
        query = query.where(WorkflowInstance.template == template)
    return query


def list_instances(session: Session, status: str | None = None, template: str | None = None, page: int = 1,
                   per_page: int = 50) -> InstancePage:
    """Newest first."""
    total = session.scalar(_filtered(select(func.count()).select_from(WorkflowInstance), status, template)) or 0
    rows = session.scalars(_filtered(select(WorkflowInstance), status, template)
                           .order_by(WorkflowInstance.id.desc()).limit(per_page).offset((page - 1) * per_page))
    return InstancePage([instance_summary(i) for i in rows], total)


def describe_field(field) -> dict:
    described = {"id": field.id, "type": field.type, "label": field.label,
                 "required": field.get_validation("required") == "true"}
    if field.type == "enum":
        described["options"] = [o.id for o in field.options]
    return described


def ready_task_views(instance: WorkflowInstance, workflow=None) -> list[dict]:
    if instance.status != InstanceStatus.RUNNING.value:
        return []
    views = []
    for task in engine.ready_tasks(workflow or load_workflow(instance)):
        info = engine.task_info(task.task_spec)
        views.append({"id": task.task_spec.bpmn_id, "name": info["name"], "stage": info["stage"],
                      "role": task_role(task, info), "approval": info["properties"].get("approval") == "true",
                      "validation": info["properties"].get("check"),
                      "fields": [describe_field(f) for f in info["fields"]]})
    return views


def instance_data(instance: WorkflowInstance, workflow=None) -> dict:
    """What the process knows so far (form values, derived facts), secret fields masked.

    Masked here, in the one place reads go through: the stored state keeps the value for
    the tasks that need it."""
    workflow = workflow or load_workflow(instance)
    secret = set().union(*(secret_ids(info["fields"]) for info in engine.task_infos(workflow.spec).values()))
    return {name: masked(value) if name in secret and value not in (None, "") else value
            for name, value in engine.task_data(workflow).items()}


def instance_view(session: Session, instance_id: int) -> dict:
    instance = session.get(WorkflowInstance, instance_id)
    if instance is None:
        raise NotFound(f"no workflow with id {instance_id}")
    events = session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == instance_id)
                             .order_by(WorkflowEvent.id))
    history = [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "actor_role": e.actor_role, "kind": e.kind,
                "stage": e.stage, "task": e.task, "detail": e.detail, "note": e.note} for e in events]
    workflow = load_workflow(instance, session)  # restored once for both
    return {**instance_summary(instance), "ready_tasks": ready_task_views(instance, workflow),
            "data": instance_data(instance, workflow),
            "events": history}


def my_tasks(session: Session, templates: TemplateSet, actor: WorkflowActor) -> list[dict]:
    """Open tasks of running workflows that ``actor`` may complete, themselves or as a delegate
    (rows of ``workflow_tasks``, collector/workflows/tasks.py), the most urgent first."""
    from collector.workflows import delegation, tasks

    return tasks.my_tasks(session, templates, actor, delegation.delegated_groups(session, actor, templates.groups))
