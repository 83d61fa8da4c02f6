"""/api/v1/audit: the hash-chained audit log for auditor tokens, with the audit page's filters.

Keyset pages, newest first: ``next_before`` is the ``before`` of the next (older) page, null
on the last. ``/audit/verify`` walks the chain and answers its head (id and hash), the
value to keep elsewhere so a later truncation of the newest entries shows.
"""

from __future__ import annotations

from flask import request

from collector.access.audit_log import verify_chain
from collector.access.audit_search import FILTER_NAMES, count_entries, find_entries, parse_filters
from collector.api import bp
from collector.api.auth import current_token
from collector.api.params import positive_int
from collector.errors import FieldError, InvalidInput
from collector.extensions import request_session
from collector.models import AuditLogEntry

__all__ = ["audit_paths"]

_MAX_LIMIT = 500


@bp.get("/audit")
def audit_index():
    current_token("auditor")
    filters, limit, before = parse_filters(request.args), positive_int("limit", 100, _MAX_LIMIT), _before()
    session = request_session()
    entries = find_entries(session, filters, limit, before)
    return {"items": [_entry(e) for e in entries], "total": count_entries(session, filters),
            "next_before": entries[-1].id if len(entries) == limit else None, "filters": filters.as_dict()}


@bp.get("/audit/verify")
def audit_verify():
    current_token("auditor")
    report = verify_chain(request_session())
    return {"ok": report.ok, "checked": report.checked, "head_id": report.head_id, "head_hash": report.head_hash,
            "first_bad_id": report.first_bad_id, "reason": report.reason}


def _before() -> int | None:
    raw = request.args.get("before")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("invalid query parameter", [FieldError("before", "must be an entry number")])
    return int(raw)


def _entry(entry: AuditLogEntry) -> dict:
    return {"id": entry.id, "at": entry.at.isoformat(), "actor": entry.actor, "actor_id": entry.actor_id,
            "action": entry.action, "target": entry.target, "detail": entry.detail, "client": entry.client,
            "prev_hash": entry.prev_hash, "row_hash": entry.row_hash}


def audit_paths(json_response, error, token_errors) -> dict:
    """The OpenAPI paths of this module (merged by collector/api/openapi.py)."""
    text = {"type": "string", "maxLength": 255}
    described = {
        "actor": "exact user name, `token:<name>` or `cli:<login>`; ending in `:` selects all of that kind",
        "action": "exact action, or a prefix ending in `*` (`sam_*`)",
        "object_type": "object type (`exception`, `api_token`, `scan_profile`, ...)",
        "object": "with object_type: that object's id or name exactly; alone: text anywhere in the object",
        "from": "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC unless an offset is given), inclusive",
        "to": "YYYY-MM-DD (that whole day included) or a date and time (exclusive)",
    }
    params = [{"name": name, "in": "query", "schema": text, "description": described[name]} for name in FILTER_NAMES]
    params += [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": _MAX_LIMIT}},
               {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1},
                "description": "entries older than this id (the previous page's `next_before`)"}]
    entry = {"type": "object", "properties": {
        "id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
        "actor": {"type": ["string", "null"]}, "actor_id": {"type": ["integer", "null"]},
        "action": {"type": "string"}, "target": {"type": ["string", "null"]}, "detail": {"type": "object"},
        "client": {"type": ["string", "null"]}, "prev_hash": {"type": "string"}, "row_hash": {"type": "string"}}}
    page = {"type": "object", "properties": {
        "items": {"type": "array", "items": entry}, "total": {"type": "integer"},
        "next_before": {"type": ["integer", "null"]}, "filters": {"type": "object"}}}
    chain = {"type": "object", "properties": {
        "ok": {"type": "boolean"}, "checked": {"type": "integer"}, "head_id": {"type": ["integer", "null"]},
        "head_hash": {"type": ["string", "null"]}, "first_bad_id": {"type": ["integer", "null"]},
        "reason": {"type": ["string", "null"]}}}
    return {
        "/api/v1/audit": {"get": {
            "summary": "The audit log, newest first, filtered by actor, action, object and time (auditor)",
            "security": [{"apiToken": []}], "parameters": params,
            "responses": {"200": json_response(page, "A page of entries"), **token_errors,
                          "422": error("A filter, limit or before is invalid; `fields` names each")}}},
        "/api/v1/audit/verify": {"get": {
            "summary": "Verify the whole hash chain: entry count, head id and hash, or the first bad entry",
            "security": [{"apiToken": []}],
            "responses": {"200": json_response(chain, "The verification"), **token_errors}}},
    }
