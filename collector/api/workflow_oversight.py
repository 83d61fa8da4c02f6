"""/api/v1/workflows/breaches and /api/v1/workflows/delegations: SLA breaches and delegated approvals.

Breaches are read by anyone with a token (auditors included). A delegation is made by the
delegator themselves (or an admin for someone else) with an operator token named after them,
and revoked the same way; the list shows everyone's.
"""

from __future__ import annotations

from datetime import datetime

from flask import request

from collector.api import bp
from collector.api.auth import current_token
from collector.api.params import paging
from collector.api.workflows import _actor, _body
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_config, get_db, request_session
from collector.workflows.delegation import create_delegation, list_delegations, revoke_delegation
from collector.workflows.loading import templates_for
from collector.workflows.sla import list_breaches

__all__ = ["oversight_paths"]


@bp.get("/workflows/breaches")
def workflows_breaches():
    current_token("auditor")
    pages = paging()
    open_only = request.args.get("open", "false")
    if open_only not in ("true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError("open", "must be true or false")])
    items, total = list_breaches(request_session(), open_only == "true", request.args.get("template"), pages.page,
                                 pages.per_page)
    return pages.envelope(items, total)


@bp.get("/workflows/delegations")
def workflows_delegations():
    current_token("auditor")
    return {"items": list_delegations(request_session())}


def _time(data: dict, name: str, errors: list[FieldError]) -> datetime | None:
    try:
        value = datetime.fromisoformat(data.get(name) or "")
    except ValueError:
        errors.append(FieldError(name, "must be an ISO 8601 date-time with a time zone"))
        return None
    if value.tzinfo is None:
        errors.append(FieldError(name, "must be an ISO 8601 date-time with a time zone"))
        return None
    return value


@bp.post("/workflows/delegations")
def workflows_delegate():
    """``{"delegate": "bob", "starts_at": "...", "ends_at": "...", "approver_group": "finance",
    "delegator": "fiona"}`` (the last two optional)."""
    actor = _actor()
    data = _body({"delegate": (str,), "starts_at": (str,), "ends_at": (str,), "approver_group": (str,),
                  "delegator": (str,)})
    errors: list[FieldError] = []
    starts_at, ends_at = _time(data, "starts_at", errors), _time(data, "ends_at", errors)
    if errors:
        raise InvalidInput("invalid delegation; nothing was stored", errors)
    groups = templates_for(get_config()).groups
    with get_db().write() as session:
        row = create_delegation(session, actor, data.get("delegate") or "", starts_at, ends_at, groups,
                                data.get("approver_group"), data.get("delegator"))
        session.flush()
        created = next(d for d in list_delegations(session) if d["id"] == row.id)
    return created, 201


@bp.post("/workflows/delegations/<int:delegation_id>/revoke")
def workflows_revoke_delegation(delegation_id: int):
    actor = _actor()
    with get_db().write() as session:
        revoke_delegation(session, delegation_id, actor)
        revoked = next(d for d in list_delegations(session) if d["id"] == delegation_id)
    return revoked


def oversight_paths(json_response, error, token_errors: dict, acting: dict, page_params: list) -> dict:
    """The OpenAPI paths of this module (collector/api/openapi.py merges them)."""
    delegation = json_response({"type": "object"}, "The delegation")
    time = {"type": "string", "format": "date-time"}
    return {
        "/api/v1/workflows/breaches": {"get": {
            "summary": "Workflow tasks whose SLA was breached, newest breach first; `open=true`: still not done",
            "security": [{"apiToken": []}],
            "parameters": page_params + [{"name": "open", "in": "query", "schema": {"type": "string",
                                                                                   "enum": ["true", "false"]}},
                                         {"name": "template", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": json_response({"type": "object"}, "A page of breaches"), **token_errors,
                          "422": error("Invalid parameter")}}},
        "/api/v1/workflows/delegations": {
            "get": {"summary": "Delegated approvals (all, newest first)", "security": [{"apiToken": []}],
                    "responses": {"200": json_response({"type": "object"}, "The delegations"), **token_errors}},
            "post": {"summary": "Delegate approvals (all, or one approver group) to another active user for a "
                                "period", "security": [{"apiToken": []}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "additionalProperties": False, "required": ["delegate", "starts_at",
                                                                                      "ends_at"],
                         "properties": {"delegate": {"type": "string"}, "starts_at": time, "ends_at": time,
                                        "approver_group": {"type": "string"}, "delegator": {"type": "string"}}}}}},
                     "responses": {"201": delegation, **acting}}},
        "/api/v1/workflows/delegations/{delegation_id}/revoke": {"post": {
            "summary": "End a delegation now (the delegator or an admin)", "security": [{"apiToken": []}],
            "parameters": [{"name": "delegation_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": delegation, **acting, "404": error("No such delegation"),
                          "409": error("The delegation has already ended")}}},
    }
