"""Bulk triage on the exception queue: ticked rows, or everything matching the page's filter.

The bulk form posts to a URL that carries the queue's query string, so "everything matching"
is the page's own filter, read by the page's own parser (exceptions.queue_filter). Choosing it
first shows the count the server finds now and asks for confirmation; the confirmed count
travels with the second post, and the service refuses if the filter has matched more or fewer
since (collector/workflows/bulk_triage.py).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from collector.errors import FieldError, InvalidInput
from collector.extensions import get_db, request_session
from collector.web import bp
from collector.web.exceptions import exceptions, queue_filter
from collector.web.form_state import keep_typed
from collector.web.params import form_int
from collector.web.security import actor, allow
from collector.workflows.bulk_triage import MAX_SELECTED, BulkResult, Selection, bulk_triage, matching_count
from collector.workflows.triage import assignable_users

__all__: list[str] = []

SCOPES = ("ticked", "matching")
# Query-string keys of the queue that are not its filter: dropped when returning to the list.
_NOT_FILTER = ("page", "tick", "notice", "bulk_action", "changed", "skipped")


@bp.post("/exceptions/bulk")
@allow("operator")
@keep_typed(exceptions)
def exceptions_bulk():
    scope = request.form.get("scope", "ticked")
    if scope not in SCOPES:
        raise InvalidInput("invalid bulk triage request; nothing was changed",
                           [FieldError("scope", "must be ticked rows or everything matching")])
    if scope == "matching" and not request.form.get("confirmed"):
        return _confirmation()
    selection = _selection(scope)
    with get_db().write() as session:
        result = bulk_triage(session, request.form.get("action", ""), selection, actor(), request.form.get("note"),
                             form_int("assign_to", optional=True))
    return _back_to_queue(result)


def _selection(scope: str) -> Selection:
    if scope == "matching":
        return Selection(matching=queue_filter(), confirmed=form_int("confirmed"))
    raw = request.form.getlist("ids")
    if len(raw) > MAX_SELECTED:
        too_many = f"select at most {MAX_SELECTED} exceptions (or use everything matching)"
        raise InvalidInput("invalid bulk triage request; nothing was changed", [FieldError("ids", too_many)])
    if any(not r.isdigit() or len(r) > 18 for r in raw):
        raise InvalidInput("invalid bulk triage request; nothing was changed", [FieldError("ids", "must be numbers")])
    return Selection(ids=tuple(int(r) for r in raw))


def _confirmation():
    """The count that matches now, and the same request again with that count to confirm."""
    chosen, session = queue_filter(), request_session()
    names = {p.id: p.username for p in assignable_users(session)}
    return render_template("exceptions_bulk_confirm.html", count=matching_count(session, chosen), chosen=chosen,
                           form=request.form, action=request.form.get("action", ""), names=names, back=_queue_url())


def _queue_url(**extra) -> str:
    kept = {k: v for k, v in request.args.items() if k not in _NOT_FILTER}
    return url_for("web.exceptions", **kept, **extra)


def _back_to_queue(result: BulkResult):
    return redirect(_queue_url(notice="bulk", bulk_action=result.action, changed=result.changed,
                               skipped=result.skipped), 303)
