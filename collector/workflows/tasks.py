"""Open tasks as rows (``workflow_tasks``): kept in step with each transition, read by the inbox.

:func:`sync_tasks` runs at the end of every start and transition, in the same transaction, so
the rows always say what the stored interpreter state says: a row per ready user task, closed
when its task is completed (by whom, when) or withdrawn when the process moved on without it.
:func:`my_tasks` is then one indexed query instead of rebuilding every running instance.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from collector.models import WorkflowInstance, WorkflowTask
from collector.models.workflows import InstanceStatus
from collector.workflows import engine
from collector.workflows.loading import TemplateSet
from collector.workflows.roles import WorkflowActor
from collector.workflows.shape import SLA_PROPERTY, parse_sla_hours

__all__ = ["MY_TASKS_MAX", "due_at", "my_tasks", "open_task_specs", "set_owner", "sync_tasks"]

MY_TASKS_MAX = 500


def due_at(properties: dict, stage: str, stage_sla: dict, ready_at: datetime) -> datetime | None:
    """When a task that became ready at ``ready_at`` is overdue: its own ``sla_hours``, else its stage's."""
    if SLA_PROPERTY in properties:
        hours = parse_sla_hours(properties[SLA_PROPERTY])
    elif stage in stage_sla:
        hours = stage_sla[stage]
    else:
        return None
    return ready_at + timedelta(hours=hours)


def open_task_specs(workflow) -> dict[str, dict]:
    """bpmn id -> what a row stores about each ready user task (role resolved from the task's data)."""
    from collector.workflows.service import task_role

    specs = {}
    for task in engine.ready_tasks(workflow):
        info = engine.task_info(task.task_spec)
        specs[task.task_spec.bpmn_id] = {"name": (info["name"] or task.task_spec.bpmn_id)[:255],
                                         "stage": info["stage"], "role": task_role(task, info)[:64],
                                         "approval": info["properties"].get("approval") == "true",
                                         "properties": info["properties"]}
    return specs


def sync_tasks(session: Session, instance: WorkflowInstance, workflow, now: datetime, stage_sla: dict,
               completed: tuple[str, WorkflowActor] | None = None) -> None:
    """Close the completed task's row, withdraw rows no longer ready, add rows for newly ready tasks."""
    session.flush()  # writers do not autoflush: rows added earlier in this transaction (a start) count
    rows = {r.task: r for r in session.scalars(select(WorkflowTask).where(
        WorkflowTask.instance_id == instance.id, WorkflowTask.completed_at.is_(None)))}
    owner = next((r.owner_id for r in rows.values() if r.owner_id is not None), None)
    if completed is not None and completed[0] in rows:
        row, actor = rows.pop(completed[0]), completed[1]
        row.completed_at, row.completed_by_id, row.completed_by = now, actor.user_id, actor.username
    ready = open_task_specs(workflow) if instance.status == InstanceStatus.RUNNING.value else {}
    for task, row in rows.items():
        if task not in ready:
            row.completed_at = now  # withdrawn: nobody completed it
    for task, spec in ready.items():
        if task not in rows:
            session.add(WorkflowTask(instance_id=instance.id, task=task, name=spec["name"], stage=spec["stage"],
                                     role=spec["role"], approval=spec["approval"], ready_at=now, owner_id=owner,
                                     due_at=due_at(spec["properties"], spec["stage"], stage_sla, now)))


def set_owner(session: Session, instance_id: int, owner_id: int | None) -> None:
    """Give the instance's open tasks (and so the tasks that follow them) to ``owner_id``."""
    for row in session.scalars(select(WorkflowTask).where(WorkflowTask.instance_id == instance_id,
                                                         WorkflowTask.completed_at.is_(None))):
        row.owner_id = owner_id


def _may_act_clause(actor: WorkflowActor, groups: dict[str, frozenset[str]], delegated: dict[str, set[str]]):
    """SQL for "``actor`` may complete this open task", the rules of roles.check_may_act."""
    if actor.role not in ("admin", "operator"):
        return false()
    direct = {"operator"} | {g for g, members in groups.items() if actor.role == "admin" or actor.username in members}
    if actor.role == "admin":
        direct.add("admin")
    mine = or_(WorkflowInstance.initiator_id == actor.user_id, WorkflowInstance.initiator_id.is_(None))
    clause = or_(WorkflowTask.role.in_(sorted(direct)), and_(WorkflowTask.role == "initiator", mine))
    if delegated:
        clause = or_(clause, and_(WorkflowTask.approval.is_(True), WorkflowTask.role.in_(sorted(delegated))))
    if actor.user_id is not None:  # nobody approves their own request
        clause = and_(clause, or_(WorkflowTask.approval.is_(False), WorkflowInstance.initiator_id.is_(None),
                                  WorkflowInstance.initiator_id != actor.user_id))
    return clause


def my_tasks(session: Session, templates: TemplateSet, actor: WorkflowActor,
             delegated: dict[str, set[str]] | None = None) -> list[dict]:
    """Open tasks ``actor`` may complete, the most urgent first. ``delegated``: approver group ->
    names of the people whose approvals in that group ``actor`` holds now (collector/workflows/delegation.py)."""
    delegated = delegated or {}
    rows = session.execute(
        select(WorkflowTask, WorkflowInstance)
        .join(WorkflowInstance, WorkflowInstance.id == WorkflowTask.instance_id)
        .where(WorkflowTask.completed_at.is_(None), WorkflowInstance.status == InstanceStatus.RUNNING.value,
               _may_act_clause(actor, templates.groups, delegated))
        .order_by(WorkflowTask.due_at.is_(None), WorkflowTask.due_at, WorkflowTask.ready_at, WorkflowTask.id)
        .limit(MY_TASKS_MAX))
    return [_view(row, instance, templates, actor, delegated) for row, instance in rows]


def _view(row: WorkflowTask, instance: WorkflowInstance, templates: TemplateSet, actor: WorkflowActor,
          delegated: dict[str, set[str]]) -> dict:
    template = templates.get(instance.template)
    info = template.tasks.get(row.task) if template is not None else None
    props = info["properties"] if info else {}
    direct = actor.role == "admin" or row.role not in templates.groups or actor.username in templates.groups[row.role]
    return {"workflow": instance.id, "template": instance.template, "version": instance.version, "id": row.task,
            "name": row.name, "stage": row.stage, "role": row.role, "approval": row.approval,
            "validation": props.get("check"), "fields": [_field(f) for f in info["fields"]] if info else [],
            "ready_at": row.ready_at.isoformat(), "due_at": row.due_at.isoformat() if row.due_at else None,
            "breached": row.breached_at is not None, "owner_id": row.owner_id,
            "on_behalf_of": None if direct else sorted(delegated.get(row.role, ()))}


def _field(field) -> dict:
    from collector.workflows.reading import describe_field

    return describe_field(field)
