"""/api/v1/workflows: start, list, show and act on six-stage workflows.

Auditor tokens read; acting needs an operator token named after an active user (the person
recorded as initiator or approver, collector/workflows/roles.py). Templates are listed with
the refusals of any bad template, but never uploaded here: they run Python.
"""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import client_address, current_token
from collector.api.body import read_json_body
from collector.api.params import paging
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_config, get_db, request_session
from collector.ingest.parsing import load_json_object
from collector.routing import ID64_MAX
from collector.workflows.loading import templates_for
from collector.workflows.reading import STATUSES, instance_view, list_instances, my_tasks
from collector.workflows.roles import WorkflowActor, actor_for_token
from collector.workflows.service import comment_on_workflow, complete_task, start_workflow

__all__: list[str] = []

MAX_BODY = 64 * 1024


def _actor() -> WorkflowActor:
    token = current_token("operator")
    return actor_for_token(request_session(), token, client_address())


def _body(allowed: dict[str, tuple[type, ...]]) -> dict:
    """The JSON object, its keys limited to ``allowed`` and each value of the allowed types."""
    data = load_json_object(read_json_body(request, MAX_BODY, MAX_BODY).raw)
    errors = [FieldError(str(key), "unknown field") for key in data if key not in allowed]
    for key, types in allowed.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, types) or isinstance(value, bool) and bool not in types):
            errors.append(FieldError(key, f"must be {' or '.join(t.__name__ for t in types)}"))
        elif isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= ID64_MAX:
            errors.append(FieldError(key, "out of range"))
    if errors:
        raise InvalidInput("invalid request body", errors)
    return data


@bp.get("/workflows/templates")
def workflow_templates():
    current_token("auditor")
    loaded = templates_for(get_config())
    return {"items": [{"name": t.name, "title": t.title, "subject": t.subject, "sha256": t.sha256,
                       "tasks": {k: {"name": v["name"], "stage": v["stage"], "role": v["role"]}
                                 for k, v in t.tasks.items()}} for t in loaded.templates.values()],
            "errors": [{"file": e.file, "line": e.line, "reason": e.reason} for e in loaded.errors]}


@bp.get("/workflows")
def workflows_index():
    current_token("auditor")
    pages = paging()
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput("invalid query parameter", [FieldError("status", f"must be one of {', '.join(STATUSES)}")])
    result = list_instances(request_session(), status, request.args.get("template"), pages.page, pages.per_page)
    return pages.envelope(result.items, result.total)


@bp.post("/workflows")
def workflows_start():
    actor = _actor()
    data = _body({"template": (str,), "ci_id": (int,), "exception_id": (int,)})
    templates = templates_for(get_config())
    with get_db().write() as session:
        instance = start_workflow(session, templates, data.get("template") or "", actor, data.get("ci_id"),
                                  data.get("exception_id"))
        view = instance_view(session, instance.id)
    return view, 201


@bp.get("/workflows/my-tasks")
def workflows_my_tasks():
    actor = _actor()
    return {"items": my_tasks(request_session(), templates_for(get_config()), actor)}


@bp.get("/workflows/<int:instance_id>")
def workflows_show(instance_id: int):
    current_token("auditor")
    return instance_view(request_session(), instance_id)


@bp.post("/workflows/<int:instance_id>/tasks/<task_id>")
def workflows_act(instance_id: int, task_id: str):
    """Complete a ready task: ``{"data": {form fields}, "version": n, "override_reason": "..."}``."""
    actor = _actor()
    body = _body({"data": (dict,), "version": (int,), "override_reason": (str,)})
    templates = templates_for(get_config())
    with get_db().write() as session:
        complete_task(session, templates, instance_id, task_id, actor, body.get("data") or {}, body.get("version"),
                      body.get("override_reason"))
        view = instance_view(session, instance_id)
    return view


@bp.post("/workflows/<int:instance_id>/comments")
def workflows_comment(instance_id: int):
    actor = _actor()
    body = _body({"body": (str,)})
    with get_db().write() as session:
        event = comment_on_workflow(session, instance_id, actor, body.get("body") or "")
        session.flush()
        view = {"id": event.id, "at": event.at.isoformat(), "actor": event.actor, "kind": event.kind,
                "note": event.note}
    return view, 201
