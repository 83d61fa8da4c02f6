"""One workflow step on many exception workflows at once: what bulk triage does to them.

The same rows :func:`collector.workflows.service.complete_task`, ``set_owner`` and
``record_event`` write one instance at a time, written for a whole selection: instances read
in chunks, the interpreter run once per group of instances in the same place and its result
copied to the rest (step_groups.py; an instance that cannot be grouped runs alone), and states,
task rows, events and their audit entries written as multi-row statements. One at a time, a
triage transition is ~15 statements; 10,000 of them were minutes, not seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, defer

from collector.db import insert_rows
from collector.errors import Conflict
from collector.models import WorkflowInstance, WorkflowTask
from collector.models.workflows import STAGES, EventKind, InstanceStatus
from collector.workflows import engine
from collector.workflows.bulk import CHUNK
from collector.workflows.delegation import authorize
from collector.workflows.events import KpiMark, NewEvent, record_events
from collector.workflows.forms import validate_form
from collector.workflows.loading import TemplateSet
from collector.workflows.roles import WorkflowActor
from collector.workflows.service import task_role
from collector.workflows.specs import load_workflow
from collector.workflows.step_groups import CopyShapes, NotCopyable, Shape, mentioned_names, shape_of, transplant
from collector.workflows.tasks import due_at, open_task_specs

__all__ = ["StepOutcome", "complete_ready_task", "record_on_each", "set_owners"]


@dataclass(frozen=True)
class StepOutcome:
    completed: list[int]  # instance ids whose task was completed now
    not_ready: list[int]  # running instances where the task was not waiting (moved on already)


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class _Permission:
    """authorize() once per distinct (role, initiator, approval): the answer is the same for each."""

    def __init__(self, session: Session, actor: WorkflowActor, templates: TemplateSet, now: datetime) -> None:
        self.session, self.actor, self.templates, self.now = session, actor, templates, now
        self.seen: dict[tuple, WorkflowActor] = {}

    def check(self, role: str, initiator_id: int | None, approval: bool) -> WorkflowActor:
        key = (role, initiator_id, approval)
        if key not in self.seen:
            self.seen[key] = authorize(self.session, self.actor, role, initiator_id, self.templates.groups, approval,
                                       self.now)
        return self.seen[key]


def complete_ready_task(session: Session, templates: TemplateSet, instance_ids: list[int], task_id: str,
                        actor: WorkflowActor, data: dict, now: datetime,
                        states: dict[int, dict] | None = None) -> StepOutcome:
    """Complete ``task_id`` with ``data`` on every instance where it is ready (not approvals,
    validations, actions or derivations: those need a person per instance). Instances where the
    task is not ready are returned, not refused: the caller decides. Raises before writing.

    The engine runs once per group of instances in the same place (collector/workflows/step_groups.py);
    the others get a copy of its result with their own ids and subject. ``states`` (instance id ->
    its stored state, as open_for_exceptions keeps them) spares reading those states back; they
    are only read, never given to the engine (which reads its instance's own from the database)."""
    permission, done, not_ready = _Permission(session, actor, templates, now), [], []
    groups: dict[tuple, _Ran] = {}
    known = states or {}
    copies: dict[str, CopyShapes] = {}  # template hash -> its fresh state's shape parts
    for chunk in _chunks(sorted(set(instance_ids))):
        query = select(WorkflowInstance).where(WorkflowInstance.id.in_(chunk)).order_by(WorkflowInstance.id)
        if all(i in known for i in chunk):
            query = query.options(defer(WorkflowInstance.state))
        instances = list(session.scalars(query.with_for_update()))
        steps = [_grouped_step(session, templates, instance, known.get(instance.id), task_id, data, permission,
                               groups, copies, now) for instance in instances]
        done += [s.instance.id for s in steps if s is not None]
        not_ready += [i.id for i, s in zip(instances, steps, strict=True) if s is None]
        _write(session, templates, [s for s in steps if s is not None], task_id, now)
    return StepOutcome(done, not_ready)


@dataclass
class _Step:
    """An instance after the step, not yet written: the new state and where it now stands."""

    instance: WorkflowInstance  # as read (left unchanged: the rows are written with Core)
    ready: dict  # open_task_specs after the step (the rows to open)
    state: dict
    stage: str
    status: str
    closed_at: datetime | None
    events: list[NewEvent]
    actor: WorkflowActor
    role: str = ""  # the role the task needed
    task_ref: str = ""  # the completed task's id in the state


@dataclass
class _Ran:
    """A group's first instance: its shape before the step, and the step (None: task not ready)."""

    shape: Shape
    step: _Step | None


def _grouped_step(session: Session, templates: TemplateSet, instance: WorkflowInstance, state: dict | None,
                  task_id: str, data: dict, permission: _Permission, groups: dict[tuple, _Ran],
                  copies: dict[str, CopyShapes], now: datetime) -> _Step | None:
    if instance.status != InstanceStatus.RUNNING.value:
        return None
    kept, state = state is not None, instance.state if state is None else state
    mentioned = None if "spec" in state else mentioned_names(session, instance.template_hash)
    if mentioned is None:
        shape = None
    elif kept:  # opened just now: most likely a copy of the template's fresh state
        shape = _copy_shapes(templates, instance, mentioned, copies).shape(state)
    else:
        shape = shape_of(state, mentioned)
    if shape is None:
        return _step(session, templates, instance, task_id, data, permission, now)
    key = (instance.template, instance.template_hash, instance.stage, shape.key)
    ran = groups.get(key)
    if ran is None:
        ran = groups[key] = _Ran(shape, _step(session, templates, instance, task_id, data, permission, now))
        return ran.step
    if ran.step is None:
        return None
    try:
        return _copied_step(ran, instance, shape, permission)
    except NotCopyable:
        return _step(session, templates, instance, task_id, data, permission, now)


def _copy_shapes(templates: TemplateSet, instance: WorkflowInstance, mentioned: frozenset[str],
                 copies: dict[str, CopyShapes]) -> CopyShapes:
    if instance.template_hash not in copies:
        template = templates.get(instance.template)
        fresh = engine.fresh_state(template) if template and template.sha256 == instance.template_hash else None
        copies[instance.template_hash] = CopyShapes(fresh, mentioned)
    return copies[instance.template_hash]


def _copied_step(ran: _Ran, instance: WorkflowInstance, shape: Shape, permission: _Permission) -> _Step:
    """The group's step applied to another of its instances: its state, events and permission."""
    step = ran.step
    state = transplant(ran.shape, step.state, shape)
    own_task = shape.state["tasks"][shape.order[ran.shape.order.index(step.task_ref)]]
    stamp = own_task["internal_data"].get("stocktake_ready_at")
    events = [replace(e, instance_id=instance.id, template=instance.template,
                      mark=replace(e.mark, ready_at=datetime.fromisoformat(stamp) if stamp else None)
                      if e.task is not None else e.mark) for e in step.events]
    acting = permission.check(step.role, instance.initiator_id, False)
    return _Step(instance, step.ready, state, step.stage, step.status, step.closed_at, events, acting, step.role,
                 step.task_ref)


def _step(session: Session, templates: TemplateSet, instance: WorkflowInstance, task_id: str, data: dict,
          permission: _Permission, now: datetime) -> _Step | None:
    if instance.status != InstanceStatus.RUNNING.value:
        return None
    workflow = load_workflow(instance, session)
    task = next((t for t in engine.ready_tasks(workflow) if t.task_spec.bpmn_id == task_id), None)
    if task is None:
        return None
    info = engine.task_info(task.task_spec)
    props = info["properties"]
    if props.get("approval") == "true" or {"check", "action", "derive"} & props.keys():
        raise Conflict(f"task {task_id!r} of workflow {instance.id} needs a person's decision per workflow")
    role = task_role(task, info)
    acting = permission.check(role, instance.initiator_id, False)
    clean = validate_form(info["fields"], data)
    kind = EventKind.RESUBMITTED if props.get("resubmission") == "true" else EventKind.TASK_COMPLETED
    events = [NewEvent(instance.id, instance.template, instance.stage, kind.value, {"fields": clean, "evidence": None},
                       task_id, None, KpiMark(props.get("kpi"), engine.ready_since(task)))]
    engine.run_task(workflow, task, clean)
    engine.mark_ready(workflow, now)
    state = engine.serialize(workflow, with_spec="spec" in instance.state)
    if engine.completed(workflow):
        events.append(NewEvent(instance.id, instance.template, STAGES[-1], EventKind.CLOSED.value))
        return _Step(instance, {}, state, STAGES[-1], InstanceStatus.CLOSED.value, now, events, acting, role,
                     str(task.id))
    stage = engine.current_stage(workflow)
    if stage != instance.stage:
        events.append(NewEvent(instance.id, instance.template, stage, EventKind.STAGE_ENTERED.value))
    return _Step(instance, open_task_specs(workflow), state, stage, InstanceStatus.RUNNING.value, None, events, acting,
                 role, str(task.id))


def _write(session: Session, templates: TemplateSet, steps: list[_Step], task_id: str, now: datetime) -> None:
    if not steps:
        return
    table = WorkflowInstance.__table__
    session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
        state=bindparam("b_state"), stage=bindparam("b_stage"), status=bindparam("b_status"),
        closed_at=bindparam("b_closed"), version=table.c.version + 1, updated_at=now),
        [{"b_id": s.instance.id, "b_state": s.state, "b_stage": s.stage, "b_status": s.status,
          "b_closed": s.closed_at} for s in steps])
    by_actor: dict[WorkflowActor, list[NewEvent]] = {}
    for step in steps:
        by_actor.setdefault(step.actor, []).extend(step.events)
    for acting, events in by_actor.items():
        record_events(session, events, acting, now)
    _sync_task_rows(session, templates, steps, task_id, now)
    for step in steps:  # the rows changed under the ORM's copies
        session.expire(step.instance)


def _sync_task_rows(session: Session, templates: TemplateSet, steps: list[_Step], task_id: str,
                    now: datetime) -> None:
    """tasks.sync_tasks for many instances: close the completed row, withdraw the rest that are no
    longer ready, add rows for the newly ready tasks (carrying the owner)."""
    ids = [s.instance.id for s in steps]
    open_rows: dict[int, list] = {}
    for row in session.execute(select(WorkflowTask.id, WorkflowTask.instance_id, WorkflowTask.task,
                                      WorkflowTask.owner_id).where(WorkflowTask.instance_id.in_(ids),
                                                                   WorkflowTask.completed_at.is_(None))):
        open_rows.setdefault(row.instance_id, []).append(row)
    closed, withdrawn, added = [], [], []
    for step in steps:
        rows = open_rows.get(step.instance.id, [])
        owner = next((r.owner_id for r in rows if r.owner_id is not None), None)
        ready = step.ready
        template = templates.get(step.instance.template)
        sla = template.stage_sla if template else {}
        for row in rows:
            if row.task == task_id:
                closed.append({"b_id": row.id, "b_by_id": step.actor.user_id, "b_by": step.actor.username})
            elif row.task not in ready:
                withdrawn.append({"b_id": row.id})
        have = {r.task for r in rows if r.task != task_id}
        added += [{"instance_id": step.instance.id, "task": task, "name": spec["name"], "stage": spec["stage"],
                   "role": spec["role"], "approval": spec["approval"], "ready_at": now, "owner_id": owner,
                   "due_at": due_at(spec["properties"], spec["stage"], sla, now)}
                  for task, spec in ready.items() if task not in have]
    table = WorkflowTask.__table__
    if closed:
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(
            completed_at=now, completed_by_id=bindparam("b_by_id"), completed_by=bindparam("b_by")), closed)
    if withdrawn:
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(completed_at=now), withdrawn)
    if added:
        insert_rows(session, table, added)


def set_owners(session: Session, instance_ids: list[int], owner_id: int | None) -> None:
    """tasks.set_owner for many instances: their open tasks (and so the ones that follow) go to ``owner_id``."""
    for chunk in _chunks(sorted(set(instance_ids))):
        session.execute(update(WorkflowTask).where(WorkflowTask.instance_id.in_(chunk),
                                                   WorkflowTask.completed_at.is_(None)).values(owner_id=owner_id)
                        .execution_options(synchronize_session=False))


def record_on_each(session: Session, instances: dict[int, tuple[str, str]], kind: str, actor: WorkflowActor,
                   now: datetime, detail: dict | None = None, note: str | None = None) -> None:
    """One event of ``kind`` on each instance (id -> (template, stage)), with its audit entry."""
    record_events(session, [NewEvent(instance_id, template, stage, kind, dict(detail or {}), None, note)
                            for instance_id, (template, stage) in sorted(instances.items())], actor, now)
