"""Workflows in the web UI: the list, my tasks, starting one, and one instance with its forms.

Views parse the form, call collector/workflows (service, intake, page) and render. A refused
form (bad input, a failing validation, a stale page) comes back as the page it was typed
on, with the values kept and the errors beside their fields; nothing was stored, since the
service raised inside the write transaction. Auditors see every page and no control, and
``@allow("operator")`` refuses their posts before anything runs.
"""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from collector.api.auth import client_address
from collector.errors import FieldError, InvalidInput, NotFound, ServiceError
from collector.extensions import get_config, get_db, request_session
from collector.models.workflows import STAGES
from collector.web import bp
from collector.web.form_state import keep_typed
from collector.web.listing import list_args, stay_in_range
from collector.web.params import choice
from collector.web.security import allow, current
from collector.web.task_forms import typed_values
from collector.workflows.intake import first_task, start_with_form
from collector.workflows.listing import OWNERS, SORTS, ListFilters, workflow_page
from collector.workflows.task_lists import TASK_SORTS, owned_tasks, sort_tasks
from collector.workflows.loading import templates_for
from collector.workflows.page import instance_page, template_fields
from collector.workflows.reading import STATUSES, my_tasks
from collector.workflows.roles import WorkflowActor
from collector.workflows.service import comment_on_workflow, complete_task

__all__ = ["my_task_count"]


def _actor() -> WorkflowActor:
    live = current()
    return WorkflowActor(live.user_id, live.username, live.role, client_address())


def _id(name: str, source) -> int | None:
    raw = (source.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("invalid input", [FieldError(name, "must be a number")])
    return int(raw)


def my_task_count() -> int | None:
    """The signed-in person's ready tasks, counted once per request (None for auditors: they act on none)."""
    live = current()
    if live is None or live.role == "auditor":
        return None
    if "my_task_count" not in g:
        g.my_task_count = len(my_tasks(request_session(), templates_for(get_config()), _actor()))
    return g.my_task_count


@bp.get("/workflows")
@allow("auditor")
def workflows():
    templates = templates_for(get_config())
    listing = list_args("workflows", tuple(SORTS), "-updated")
    owner = choice("owner", OWNERS)
    filters = ListFilters(choice("status", STATUSES), choice("template", tuple(templates.templates)),
                          choice("stage", STAGES), _id("ci_id", request.args), _id("exception_id", request.args),
                          listing.sort.param, current().user_id if owner == "me" else None, owner == "none")
    page = workflow_page(request_session(), filters, listing.page, listing.per_page)
    stay_in_range(listing, page.total)
    return render_template("workflows.html", page=page, filters=filters, statuses=STATUSES, stages=STAGES,
                           templates=templates.templates, listing=listing, owner=owner)


@bp.get("/workflows/mine")
@allow("auditor")
def my_workflow_tasks():
    # Auditors may open it (nothing is ever theirs to do); the service refuses them every task.
    listing = list_args("my_tasks", tuple(TASK_SORTS), "due")
    owner = choice("owner", OWNERS)
    tasks = my_tasks(request_session(), templates_for(get_config()), _actor())
    shown = sort_tasks(owned_tasks(tasks, current().user_id, owner), listing.sort)
    return render_template("my_tasks.html", tasks=shown, listing=listing, owner=owner, ready=len(tasks))


def _new_page(status: int = 200, submitted=None, errors=None, message=None):
    templates = templates_for(get_config())
    source = request.form if request.method == "POST" else request.args
    name = (source.get("template") or "").strip()
    template = templates.get(name) if name else None
    if name and template is None:
        raise NotFound(f"no workflow template named {name!r}")
    task_id = first_task(template) if template else None
    fields = template_fields(template, task_id, submitted, errors) if task_id else []
    return render_template("workflow_new.html", templates=templates.templates, template=template, task_id=task_id,
                           task=template.tasks.get(task_id) if task_id else None, fields=fields,
                           ci_id=source.get("ci_id", ""), exception_id=source.get("exception_id", ""),
                           errors=errors or {}, message=message), status


@bp.get("/workflows/new")
@allow("operator")
def workflow_new():
    return _new_page()


@bp.post("/workflows")
@allow("operator")
def workflow_start():
    templates = templates_for(get_config())
    template = templates.get(request.form.get("template", ""))
    task_id = first_task(template) if template else None
    fields = template_fields(template, task_id) if task_id else []
    typed, typed_back = typed_values(fields, request.form)
    try:
        ci_id, exception_id = _id("ci_id", request.form), _id("exception_id", request.form)
        with get_db().write() as session:
            instance = start_with_form(session, templates, request.form.get("template", ""), _actor(), typed,
                                       ci_id, exception_id)
            instance_id = instance.id
    except ServiceError as exc:
        if template is None:
            raise
        errors = {f.field: f.message for f in exc.fields}
        return _new_page(exc.status, typed_back, errors, exc.message)
    return redirect(url_for("web.workflow", instance_id=instance_id, notice="workflow_started"), 303)


def _instance(instance_id: int, status: int = 200, submitted=None, errors=None, message=None, failed_task=None):
    page = instance_page(request_session(), templates_for(get_config()), instance_id, _actor(), submitted, errors)
    return render_template("workflow.html", page=page, message=message, failed_task=failed_task,
                           override_error=(errors or {}).get(failed_task or "", {}).get("override_reason")), status


@bp.get("/workflows/<int:instance_id>")
@allow("auditor")
def workflow(instance_id: int):
    return _instance(instance_id)


@bp.post("/workflows/<int:instance_id>/tasks/<task_id>")
@allow("operator")
def workflow_act(instance_id: int, task_id: str):
    templates = templates_for(get_config())
    task_id = task_id[:128]
    shown = instance_page(request_session(), templates, instance_id, _actor())
    fields = next((t.fields for t in shown.tasks if t.id == task_id), [])
    typed, typed_back = typed_values(fields, request.form)
    override = request.form.get("override_reason") if "override" in request.form else None
    try:
        version = _id("version", request.form)
        with get_db().write() as session:
            complete_task(session, templates, instance_id, task_id, _actor(), typed, version, override)
    except NotFound:
        raise
    except ServiceError as exc:
        request_session().expire_all()
        errors = {task_id: {f.field: f.message for f in exc.fields}}
        return _instance(instance_id, exc.status, {task_id: typed_back}, errors, exc.message, task_id)
    return redirect(url_for("web.workflow", instance_id=instance_id, notice="task_done"), 303)


@bp.post("/workflows/<int:instance_id>/comments")
@allow("operator")
@keep_typed(workflow)
def workflow_comment(instance_id: int):
    with get_db().write() as session:
        comment_on_workflow(session, instance_id, _actor(), request.form.get("body", ""))
    return redirect(url_for("web.workflow", instance_id=instance_id, notice="commented", _anchor="comments-h"), 303)

