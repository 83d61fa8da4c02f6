"""Everything one workflow's page shows, gathered for a person: the instance and its subject, the
process diagram, the ready tasks with their forms (and whether this person may do them, and
if not why), the current validation evidence, the history and the comments.

Read-only: it runs a validation's check to show where the evidence stands, but acting goes
through collector/workflows/service.py, which checks it again inside the locked transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import Forbidden, NotFound
from collector.models import AuditException, CiMatch, ConfigurationItem, User, WorkflowEvent, WorkflowInstance
from collector.models.workflows import EventKind, InstanceStatus
from collector.workflows.diagram import DiagramError, DiagramState, draw_diagram
from collector.workflows.evidence import CHECKS
from collector.workflows.loading import Template, TemplateSet
from collector.workflows.reading import ready_task_views
from collector.workflows.roles import WorkflowActor, check_may_act

__all__ = ["FieldView", "InstancePage", "TaskView", "instance_page", "template_fields"]

# Events whose ``detail.fields`` are what a person submitted: together, the instance's data.
_SUBMISSIONS = (EventKind.TASK_COMPLETED.value, EventKind.APPROVED.value, EventKind.REJECTED.value,
                EventKind.RESUBMITTED.value)


@dataclass(frozen=True)
class FieldView:
    """One form field as the page draws it, with the value to show and its error, if any."""

    id: str
    label: str
    type: str
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of an enum
    limits: dict[str, str] = field(default_factory=dict)  # minlength/maxlength/min/max, as HTML attributes
    value: object = None
    error: str | None = None


@dataclass(frozen=True)
class TaskView:
    id: str
    name: str
    stage: str
    role: str
    approval: bool
    check: str | None
    fields: list[FieldView]
    refusal: str | None  # why this person may not do it (None: they may)
    evidence: tuple[bool, str] | None  # a validation's check, run now


@dataclass(frozen=True)
class InstancePage:
    instance: WorkflowInstance
    title: str
    initiator: str | None
    ci: ConfigurationItem | None
    asset_id: int | None  # the agent asset reconciliation matched to the CI
    exception: AuditException | None
    tasks: list[TaskView]
    history: list[WorkflowEvent]
    comments: list[WorkflowEvent]
    task_names: dict[str, str]
    diagram: Markup | None
    diagram_note: str | None


def instance_page(session: Session, templates: TemplateSet, instance_id: int, actor: WorkflowActor,
                  submitted: dict[str, dict] | None = None, errors: dict[str, dict[str, str]] | None = None
                  ) -> InstancePage:
    """The page of ``instance_id`` for ``actor``; ``submitted``/``errors`` (task id -> field -> value
    or message) put a refused form back as it was typed, with its errors."""
    instance = session.get(WorkflowInstance, instance_id)
    if instance is None:
        raise NotFound(f"no workflow with id {instance_id}")
    template = templates.get(instance.template)
    events = list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == instance.id)
                                  .order_by(WorkflowEvent.id)))
    data = {}
    for event in events:
        if event.kind in _SUBMISSIONS:
            data.update((event.detail or {}).get("fields") or {})
    tasks = [_task(session, instance, template, templates, actor, view, data, (submitted or {}).get(view["id"]),
                   (errors or {}).get(view["id"]))
             for view in ready_task_views(instance)]
    diagram, note = _diagram(instance, template, tasks, events)
    return InstancePage(instance, template.title if template else instance.template, _username(session, instance),
                        _ci(session, instance), _asset_id(session, instance),
                        session.get(AuditException, instance.exception_id) if instance.exception_id else None,
                        tasks, events, [e for e in events if e.kind == EventKind.COMMENT.value],
                        {k: v["name"] for k, v in template.tasks.items()} if template else {}, diagram, note)


def _username(session: Session, instance: WorkflowInstance) -> str | None:
    if instance.initiator_id is None:
        return None
    return session.scalar(select(User.username).where(User.id == instance.initiator_id))


def _ci(session: Session, instance: WorkflowInstance) -> ConfigurationItem | None:
    return session.get(ConfigurationItem, instance.ci_id) if instance.ci_id else None


def _asset_id(session: Session, instance: WorkflowInstance) -> int | None:
    if instance.ci_id is None:
        return None
    return session.scalar(select(CiMatch.subject_id).where(CiMatch.ci_id == instance.ci_id,
                                                           CiMatch.subject_type == "asset",
                                                           CiMatch.outcome == "matched").limit(1))


def _task(session: Session, instance: WorkflowInstance, template: Template | None, templates: TemplateSet,
          actor: WorkflowActor, view: dict, data: dict, submitted: dict | None, errors: dict | None) -> TaskView:
    try:
        check_may_act(actor, view["role"], instance.initiator_id, templates.groups, view["approval"])
        refusal = None
    except Forbidden as exc:
        refusal = exc.message
    declared = {f.id: f for f in template.tasks[view["id"]]["fields"]} \
        if template and view["id"] in template.tasks else {}
    fields = [_field(basic, declared.get(basic["id"]), (submitted or {}).get(basic["id"]),
                     (errors or {}).get(basic["id"])) for basic in view["fields"]]
    check = view["validation"]
    evidence = CHECKS[check](session, instance, data) if check in CHECKS else None
    return TaskView(view["id"], view["name"], view["stage"], view["role"], view["approval"], check, fields, refusal,
                    evidence)


def template_fields(template: Template, task_id: str, submitted: dict | None = None,
                    errors: dict | None = None) -> list[FieldView]:
    """A template's task form (the start page draws the first task's before any instance exists)."""
    fields = []
    for spec in template.tasks[task_id]["fields"]:
        basic = {"id": spec.id, "type": spec.type, "label": spec.label,
                 "required": spec.get_validation("required") == "true",
                 "options": [o.id for o in getattr(spec, "options", [])]}
        fields.append(_field(basic, spec, (submitted or {}).get(spec.id), (errors or {}).get(spec.id)))
    return fields


def _field(basic: dict, spec, value, error: str | None) -> FieldView:
    """The stored process's field, with the labels and limits of the template's declaration."""
    options = [(o, o) for o in basic.get("options", [])]
    limits = {}
    if spec is not None:
        names = {o.id: o.name for o in getattr(spec, "options", [])}
        options = [(o, names.get(o) or o) for o, _ in options]
        limits = {k: spec.get_validation(k) for k in ("minlength", "maxlength", "min", "max")
                  if spec.get_validation(k) is not None}
    return FieldView(basic["id"], basic["label"] or basic["id"], basic["type"] or "string", basic["required"],
                     options, limits, value, error)


def _diagram(instance: WorkflowInstance, template: Template | None, tasks: list[TaskView],
             events: list[WorkflowEvent]) -> tuple[Markup | None, str | None]:
    if template is None:
        return None, f"Template {instance.template!r} is not loaded on this server, so there is no diagram."
    done = frozenset(e.task for e in events if e.kind in _SUBMISSIONS and e.task)
    running = instance.status == InstanceStatus.RUNNING.value
    state = DiagramState(instance.stage if running else None, frozenset(t.id for t in tasks), done)
    try:
        svg = draw_diagram(_bpmn(template.path, template.sha256), template.name, state,
                           f"{template.title}: process diagram")
    except DiagramError as exc:
        return None, str(exc)
    if template.sha256 != instance.template_hash:
        return svg, "The template file changed since this workflow started; the drawing is of the current file."
    return svg, None


@lru_cache(maxsize=32)
def _bpmn(path: str, sha256: str) -> bytes:
    """The template's file, read once per content (the hash is the cache key's second half)."""
    return Path(path).read_bytes()
