"""The audit log for auditors: filtered, newest first, readable details, export, chain check.

Filters that do not parse answer 400 with the page itself, the form still holding what was
typed and each bad field named; a verification shows the head entry and its hash, which an
auditor can compare with the one logged (or noted) earlier.
"""

from __future__ import annotations

from flask import render_template, request

from collector.access.audit_details import detail_items
from collector.access.audit_log import entry_count, verify_chain
from collector.access.audit_search import (OBJECT_TYPES, AuditFilters, action_names, count_entries, find_entries,
                                           parse_filters)
from collector.errors import FieldError, InvalidInput
from collector.extensions import request_session
from collector.web import bp
from collector.web.security import allow

__all__ = ["audit_filters"]

PER_PAGE = 100


def audit_filters() -> AuditFilters:
    """The filters of this request's query string (InvalidInput names every bad one)."""
    return parse_filters(request.args)


def _before() -> int | None:
    raw = request.args.get("before", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise InvalidInput("invalid query parameter", [FieldError("before", "must be an entry number")])
    return int(raw)


@bp.get("/audit")
@allow("auditor")
def audit_log():
    session = request_session()
    try:
        filters, before = audit_filters(), _before()
    except InvalidInput as problem:
        return _page(session, AuditFilters(), [], None, problem.fields, 400)
    entries = find_entries(session, filters, PER_PAGE, before)
    older = entries[-1].id if len(entries) == PER_PAGE else None
    return _page(session, filters, entries, older, [], 200)


def _page(session, filters: AuditFilters, entries: list, older: int | None, problems: list[FieldError], status: int):
    chain = verify_chain(session) if request.args.get("verify") == "1" else None
    rows = [(entry, detail_items(entry.detail)) for entry in entries]
    filtered = bool(filters.raw)
    return render_template(
        "audit.html", rows=rows, total=entry_count(session), chain=chain, older=older, problems=problems,
        matching=count_entries(session, filters) if filtered and not problems else None, filters=filters.as_dict(),
        form={name: request.args.get(name, "")[:255] for name in ("actor", "action", "object_type", "object",
                                                                   "from", "to")},
        actions=action_names(session), object_types=OBJECT_TYPES, newest=request.args.get("before") is not None,
    ), status
