"""/api/v1/suppressions: exception suppression rules. Auditors read; admins add and delete (audited)."""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.body import read_json_body
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_db, request_session
from collector.ingest.parsing import load_json_object
from collector.models import utcnow
from collector.reconcile.suppressions import add_suppression, delete_suppression, list_suppressions, suppression_view

__all__ = ["suppression_paths"]

MAX_BODY = 16 * 1024


@bp.get("/suppressions")
def suppressions_index():
    """Unexpired rules; ``?expired=true`` lists the expired ones too."""
    current_token("auditor")
    expired = request.args.get("expired", "false")
    if expired not in ("true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError("expired", "must be true or false")])
    rows = list_suppressions(request_session(), utcnow(), include_expired=expired == "true")
    return {"items": [suppression_view(row) for row in rows]}


@bp.post("/suppressions")
def suppressions_create():
    token = current_token("admin")
    data = load_json_object(read_json_body(request, MAX_BODY, MAX_BODY).raw)
    with get_db().write() as session:
        view = suppression_view(add_suppression(session, data, token_actor(token)))
    return view, 201


@bp.delete("/suppressions/<int:rule_id>")
def suppressions_delete(rule_id: int):
    token = current_token("admin")
    with get_db().write() as session:
        delete_suppression(session, rule_id, token_actor(token))
    return "", 204


def suppression_paths(json_response, error, token_errors: dict) -> dict:
    """The OpenAPI paths of this module (collector/api/openapi.py)."""
    text, nullable = {"type": "string"}, {"type": ["string", "null"]}
    rule = {"type": "object", "required": ["reason", "owner", "expires_at"], "properties": {
        "mac_prefix": {**text, "description": "a MAC or OUI prefix, 3-6 octets (00:1b:a9)"},
        "ip_range": {**text, "description": "an IP network in CIDR form"}, "device_type": text,
        "kind": {"enum": ["unmanaged", "missing", "drift", "duplicate", "conflict", "cloned_identity"]},
        "reason": text, "owner": text, "expires_at": {**text, "format": "date-time"}},
        "description": "At least one of mac_prefix, ip_range, device_type; every matcher given must match"}
    view = {"type": "object", "properties": {"id": {"type": "integer"}, **{k: nullable for k in (
        "mac_prefix", "ip_range", "device_type", "kind", "created_by", "created_at")},
        "reason": text, "owner": text, "expires_at": {**text, "format": "date-time"}}}
    return {
        "/api/v1/suppressions": {
            "get": {"summary": "Exception suppression rules (unexpired; expired=true for all)",
                    "security": [{"apiToken": []}],
                    "parameters": [{"name": "expired", "in": "query", "schema": {"enum": ["true", "false"]}}],
                    "responses": {"200": json_response({"type": "object", "properties": {
                        "items": {"type": "array", "items": view}}}, "The rules"), **token_errors,
                        "422": error("Invalid expired")}},
            "post": {"summary": "Add a suppression rule (admin; audited); the next run applies it",
                     "security": [{"apiToken": []}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": rule}}},
                     "responses": {"201": json_response(view, "The stored rule"), "400": error("Malformed JSON"),
                                   **token_errors,
                                   "422": error("The rule is invalid (`fields` names each key); nothing stored")}}},
        "/api/v1/suppressions/{rule_id}": {"delete": {
            "summary": "Delete a suppression rule (admin; audited)", "security": [{"apiToken": []}],
            "parameters": [{"name": "rule_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "Deleted"}, **token_errors, "404": error("No such rule")}}},
    }
