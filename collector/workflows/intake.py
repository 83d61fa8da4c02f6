"""Starting a workflow from its first form, as the web UI does: one request, one transaction.

The person picks a template and a subject and fills in the first task's form (for new-hire
provisioning: who, where, by when, what it costs). The instance is started and that task
completed together, so a form with a mistake leaves nothing behind: no half-started
instance waiting for a request nobody made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from collector.workflows import engine
from collector.workflows.loading import Template, TemplateSet
from collector.workflows.roles import WorkflowActor
from collector.workflows.service import complete_task, start_workflow

__all__ = ["first_task", "start_with_form"]


def first_task(template: Template) -> str | None:
    """The BPMN id of the user task a new instance of ``template`` waits at (None: it waits at none)."""
    ready = engine.ready_tasks(engine.new_workflow(template, {}))
    return ready[0].task_spec.bpmn_id if ready else None


def start_with_form(session: Session, templates: TemplateSet, template_name: str, actor: WorkflowActor,
                    data: dict, ci_id: int | None = None, exception_id: int | None = None,
                    now: datetime | None = None):
    """Start the instance and complete its first task with ``data``; any refusal stores nothing."""
    instance = start_workflow(session, templates, template_name, actor, ci_id, exception_id, now)
    template = templates.get(template_name)
    task_id = first_task(template)
    if task_id is not None:
        complete_task(session, templates, instance.id, task_id, actor, data, instance.version, now=now)
    return instance
