"""Starting workflows and moving them on: one transition, one transaction, the row locked.

Call these inside ``Database.write()``: the instance row is locked (``SELECT … FOR UPDATE``
on PostgreSQL; SQLite's write transactions begin IMMEDIATE, so writers are already one at a
time), the caller's ``version`` is checked, and everything a transition does (the
interpreter's state, CMDB changes, events, audit log entries) commits together or not at
all. Every refusal (a task that is not ready, a role that may not act, bad form input, a
validation that fails) is raised before anything is changed.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from collector.models import AuditException, ConfigurationItem, WorkflowEvent, WorkflowInstance, utcnow
from collector.models.workflows import STAGES, EventKind, InstanceStatus
from collector.workflows import engine
from collector.workflows.actions import ACTIONS
from collector.workflows.bulk import open_for_exceptions
from collector.workflows.delegation import authorize
from collector.workflows.derived import DERIVATIONS, Context
from collector.workflows.events import EventBatch, KpiMark, record_event
from collector.workflows.evidence import CHECKS
from collector.workflows.forms import validate_form
from collector.workflows.loading import Template, TemplateSet
from collector.workflows.roles import SYSTEM, WorkflowActor
from collector.workflows.secrets import mask_fields
from collector.workflows.specs import ensure_spec, load_workflow, store_state
from collector.workflows.tasks import sync_tasks
from collector.workflows.triage_workflow import sync_exception_after_task

__all__ = ["EXCEPTION_TEMPLATE", "comment_on_workflow", "complete_task", "open_exception_workflow",
           "open_exception_workflows", "start_workflow", "task_role"]

EXCEPTION_TEMPLATE = "exception_resolution"

NOTE_MAX = 2000


def start_workflow(session: Session, templates: TemplateSet, template_name: str, actor: WorkflowActor,
                   ci_id: int | None = None, exception_id: int | None = None,
                   now: datetime | None = None, data: dict | None = None) -> WorkflowInstance:
    """A new running instance about a CI or an exception, waiting at its first task.

    ``data`` seeds the process (e.g. a remediation's product for the acquisition it starts);
    the subject's own keys win over it."""
    now = now or utcnow()
    if actor.role == "auditor":
        raise Forbidden("auditors read workflows and act on none")
    template = templates.get(template_name)
    if template is None:
        raise InvalidInput("unknown template", [FieldError("template", f"no template named {template_name!r}")])
    # started_on: the day the request was made, for date rules in templates (e.g. the warranty check).
    seed = {**(data or {}), **_subject(session, template, ci_id, exception_id), "started_on": now.date().isoformat()}
    ensure_spec(session, template, now)
    state, stage = engine.first_state(template, seed, now)
    instance = WorkflowInstance(template=template.name, template_hash=template.sha256, ci_id=seed.get("ci_id"),
                                exception_id=seed.get("exception_id"), status=InstanceStatus.RUNNING.value,
                                stage=stage, initiator_id=actor.user_id, created_at=now, updated_at=now, state=state,
                                version=1)
    session.add(instance)
    session.flush()
    record_event(session, instance, EventKind.STARTED.value, actor, now, detail={"subject": seed})
    record_event(session, instance, EventKind.STAGE_ENTERED.value, actor, now)
    sync_tasks(session, instance, load_workflow(instance, session), now, template.stage_sla)
    return instance


def open_exception_workflow(session: Session, templates: TemplateSet, exception_id: int,
                            now: datetime | None = None) -> WorkflowInstance:
    """The running resolution workflow of an exception, opened by Stocktake if there is none.

    The hook for reconciliation (through the "facts changed" step): call it for each exception
    a run opens; calling it again joins the open workflow instead of starting a second."""
    running = session.scalar(select(WorkflowInstance).where(
        WorkflowInstance.exception_id == exception_id, WorkflowInstance.status == InstanceStatus.RUNNING.value))
    if running is not None:
        return running
    return start_workflow(session, templates, EXCEPTION_TEMPLATE, SYSTEM, exception_id=exception_id, now=now)


def open_exception_workflows(session: Session, templates: TemplateSet, exception_ids: list[int],
                             now: datetime | None = None, states: dict[int, dict] | None = None) -> dict[int, int]:
    """:func:`open_exception_workflow` for many exceptions in a few statements (after a reconciliation
    run): exception id -> its running workflow's id. Resolved and unknown exceptions are skipped."""
    template = templates.get(EXCEPTION_TEMPLATE)
    if template is None:
        raise InvalidInput("unknown template", [FieldError("template", f"no template named {EXCEPTION_TEMPLATE!r}")])
    return open_for_exceptions(session, template, exception_ids, now or utcnow(), states)


def _subject(session: Session, template: Template, ci_id: int | None, exception_id: int | None) -> dict:
    # "none": about no CI or exception (a SAM template's product is typed in its first task);
    # a CI given anyway scopes it (the SAM templates count installs on that CI only), except in
    # a template that creates its CI (procurement).
    if template.subject == "none" and ci_id is None:
        return {}
    if template.subject == "none" and any(t["properties"].get("action") == "create_ci" for t in template.tasks.values()):
        raise InvalidInput("unexpected subject", [FieldError("ci_id", f"{template.name} creates its CI: start it without one")])
    if template.subject == "exception":
        if exception_id is None:
            raise InvalidInput("missing subject", [FieldError("exception_id", "this template needs an exception")])
        exception = session.get(AuditException, exception_id)
        if exception is None:
            raise InvalidInput("unknown subject", [FieldError("exception_id", f"no exception with id {exception_id}")])
        if exception.status == "resolved":
            raise Conflict(f"exception {exception_id} is already resolved")
        running = session.scalar(select(WorkflowInstance.id).where(
            WorkflowInstance.exception_id == exception_id, WorkflowInstance.status == InstanceStatus.RUNNING.value))
        if running is not None:
            raise Conflict(f"exception {exception_id} already has running workflow {running}")
        ci_id = exception.ci_id
        seed = {"exception_id": exception.id, "exception_kind": exception.kind}
    else:
        if ci_id is None:
            raise InvalidInput("missing subject", [FieldError("ci_id", "this template needs a CI")])
        seed = {}
    if ci_id is not None:
        ci = session.get(ConfigurationItem, ci_id)
        if ci is None:
            raise InvalidInput("unknown subject", [FieldError("ci_id", f"no CI with id {ci_id}")])
        seed.update(ci_id=ci.id, ci_class=ci.ci_class, asset_tag=ci.asset_tag,
                    warranty_end=ci.warranty_end.isoformat() if ci.warranty_end else None)
    return seed


def _locked(session: Session, instance_id: int, version: int | None) -> WorkflowInstance:
    instance = session.execute(select(WorkflowInstance).where(WorkflowInstance.id == instance_id)
                               .with_for_update().execution_options(populate_existing=True)).scalar_one_or_none()
    if instance is None:
        raise NotFound(f"no workflow with id {instance_id}")
    if version is not None and version != instance.version:
        raise Conflict(f"workflow {instance_id} changed meanwhile (version {instance.version}, you had {version}); "
                       "reload it and try again")
    if instance.status != InstanceStatus.RUNNING.value:
        raise Conflict(f"workflow {instance_id} is {instance.status}")
    return instance


def task_role(task, info: dict) -> str:
    """The role a ready task needs: its ``role`` property, or the data variable it names."""
    role = info["role"]
    return str(task.data.get(role[1:], "")) if role.startswith("=") else role


def _ready(workflow, instance: WorkflowInstance, task_id: str):
    ready = engine.ready_tasks(workflow)
    for task in ready:
        if task.task_spec.bpmn_id == task_id:
            return task
    tasks = engine.task_infos(workflow.spec)
    if task_id not in tasks:
        raise NotFound(f"template {instance.template!r} has no task {task_id!r}")
    names = ", ".join(t.task_spec.bpmn_id for t in ready) or "none"
    stage = tasks[task_id]["stage"]
    raise Conflict(f"task {task_id!r} ({stage}) is not ready: workflow {instance.id} is at stage {instance.stage} "
                   f"(ready: {names})")


def complete_task(session: Session, templates: TemplateSet, instance_id: int, task_id: str, actor: WorkflowActor,
                  data: dict, version: int | None = None, override_reason: str | None = None,
                  now: datetime | None = None) -> WorkflowInstance:
    """Complete one ready task with the submitted form, and move the process on.

    Tasks, roles and fields come from the instance's own stored process (the template as it
    was when the instance started), so editing a template does not change running instances."""
    now = now or utcnow()
    if actor.role == "auditor":
        raise Forbidden("auditors read workflows and act on none")
    instance = _locked(session, instance_id, version)
    workflow = load_workflow(instance, session)
    task = _ready(workflow, instance, task_id)
    info = engine.task_info(task.task_spec)
    props = info["properties"]
    approval = props.get("approval") == "true"
    actor = authorize(session, actor, task_role(task, info), instance.initiator_id, templates.groups, approval, now)
    if approval:
        _check_other_approver(session, instance, task_id, actor)
    clean = validate_form(info["fields"], data)
    if approval and clean.get("decision") == "reject" and not clean.get("reason"):
        raise InvalidInput("invalid form input; nothing was stored", [FieldError("reason", "is required to reject")])
    evidence = _validate(session, instance, props, dict(task.data) | clean, actor, override_reason)
    events = EventBatch(instance, actor, now)
    if "derive" in props:
        clean |= DERIVATIONS[props["derive"]](session, instance, dict(task.data) | clean,
                                              Context(templates, actor, now))
    if "action" in props:
        change = ACTIONS[props["action"]](session, instance, dict(task.data) | clean, now)
        events.add(EventKind.CMDB_CHANGE.value, task_id, change)
    mark = KpiMark(props.get("kpi"), engine.ready_since(task))
    _record_completion(events, task_id, props, mask_fields(info["fields"], clean), evidence, override_reason, mark)
    engine.run_task(workflow, task, clean)
    _advance(events, instance, workflow, clean, now)
    events.write(session)
    template = templates.get(instance.template)
    sync_tasks(session, instance, workflow, now, template.stage_sla if template else {}, (task_id, actor))
    sync_exception_after_task(session, instance, task_id, actor, now)
    return instance


def _check_other_approver(session: Session, instance: WorkflowInstance, task_id: str, actor: WorkflowActor) -> None:
    """Four eyes across levels: whoever approved another approval task of this round (since the
    last rejection or resubmission) may not approve this one too."""
    recent = session.execute(select(WorkflowEvent.kind, WorkflowEvent.actor_id, WorkflowEvent.task).where(
        WorkflowEvent.instance_id == instance.id,
        WorkflowEvent.kind.in_((EventKind.APPROVED.value, EventKind.REJECTED.value, EventKind.RESUBMITTED.value)))
        .order_by(WorkflowEvent.id.desc())).all()
    for kind, actor_id, task in recent:
        if kind != EventKind.APPROVED.value:
            return
        if actor.user_id is not None and actor_id == actor.user_id and task != task_id:
            raise Forbidden("each approval level needs another approver: you approved an earlier level")


def _validate(session: Session, instance: WorkflowInstance, props: dict, data: dict, actor: WorkflowActor,
              override_reason: str | None) -> dict | None:
    """The evidence of a validation task; refuses to go on while it fails, unless an admin overrides."""
    if override_reason is not None and (not override_reason.strip() or len(override_reason) > NOTE_MAX):
        raise InvalidInput("invalid override", [FieldError("override_reason", f"must be 1-{NOTE_MAX} characters")])
    if "check" not in props:
        if override_reason is not None:
            raise InvalidInput("invalid override", [FieldError("override_reason", "only a validation is overridden")])
        return None
    passed, why = CHECKS[props["check"]](session, instance, data)
    if passed:
        return {"check": props["check"], "passed": True, "evidence": why}
    if override_reason is None:
        raise Conflict(f"validation fails: {why}")
    if actor.role != "admin":
        raise Forbidden("only an admin may override a failing validation")
    return {"check": props["check"], "passed": False, "evidence": why}


def _record_completion(events: EventBatch, task_id: str, props: dict, clean: dict, evidence: dict | None,
                       override_reason: str | None, mark: KpiMark) -> None:
    if props.get("approval") == "true":
        kind = EventKind.APPROVED if clean.get("decision") == "approve" else EventKind.REJECTED
        events.add(kind.value, task_id, {"fields": clean}, clean.get("reason"), mark)
        return
    if evidence is not None and not evidence["passed"]:
        events.add(EventKind.OVERRIDE.value, task_id, evidence, override_reason)
    kind = EventKind.RESUBMITTED if props.get("resubmission") == "true" else EventKind.TASK_COMPLETED
    events.add(kind.value, task_id, {"fields": clean, "evidence": evidence}, mark=mark)


def _advance(events: EventBatch, instance: WorkflowInstance, workflow, clean: dict, now: datetime) -> None:
    if clean.get("need_by"):
        instance.need_by = date.fromisoformat(clean["need_by"])
    engine.mark_ready(workflow, now)
    store_state(instance, workflow)
    instance.version += 1
    instance.updated_at = now
    if engine.completed(workflow):
        instance.status, instance.stage, instance.closed_at = InstanceStatus.CLOSED.value, STAGES[-1], now
        events.add(EventKind.CLOSED.value)
        return
    stage = engine.current_stage(workflow)
    if stage != instance.stage:
        instance.stage = stage
        events.add(EventKind.STAGE_ENTERED.value)


def comment_on_workflow(session: Session, instance_id: int, actor: WorkflowActor, body: str,
                        now: datetime | None = None):
    """A note on the instance's history; any stage, by anyone who may act (not auditors)."""
    now = now or utcnow()
    if actor.role == "auditor":
        raise Forbidden("auditors read workflows and act on none")
    body = (body or "").strip() if isinstance(body, str) else ""
    if not body or len(body) > NOTE_MAX or "\x00" in body:
        raise InvalidInput("invalid comment", [FieldError("body", f"must be 1-{NOTE_MAX} characters")])
    instance = session.get(WorkflowInstance, instance_id)
    if instance is None:
        raise NotFound(f"no workflow with id {instance_id}")
    return record_event(session, instance, EventKind.COMMENT.value, actor, now, note=body)
