"""The exception queue: filter, open one, assign it, comment, acknowledge."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from collector.errors import FieldError, InvalidInput
from collector.extensions import get_db, request_session
from collector.reconcile.report import EXCEPTION_KIND_LABELS, EXCEPTION_KINDS
from collector.web import bp
from collector.web.form_state import keep_typed
from collector.web.listing import list_args, stay_in_range
from collector.web.params import choice, form_int
from collector.web.security import actor, allow, current
from collector.workflows.bulk_triage import QueueFilter
from collector.workflows.triage import (
    MINE, QUEUE_SORTS, QUEUE_STATUSES, UNASSIGNED, acknowledge_exception, assign_exception, assignable_users,
    comment_on_exception, exception_queue, exception_view,
)

__all__ = ["queue_filter"]



def _assignee() -> tuple[int | None, bool, str]:
    """``?assignee=``: a user id, ``me`` (the signed-in person) or ``none`` (unassigned)."""
    raw = request.args.get("assignee", "")
    if raw == MINE:
        return current().user_id, False, raw
    if raw == UNASSIGNED:
        return None, True, raw
    if raw and (not raw.isdigit() or len(raw) > 12):
        raise InvalidInput("invalid query parameter",
                           [FieldError("assignee", f"must be a user id, {MINE!r} or {UNASSIGNED!r}")])
    return (int(raw) if raw else None), False, raw


def queue_filter() -> QueueFilter:
    """The queue's filter from the query string: the page's rows and bulk triage's "everything matching"."""
    assignee_id, unassigned, _ = _assignee()
    return QueueFilter(choice("kind", EXCEPTION_KINDS), choice("status", QUEUE_STATUSES, "unresolved"), assignee_id,
                       unassigned)


@bp.get("/exceptions")
@allow("auditor")
def exceptions():
    session = request_session()
    listing = list_args("exceptions", tuple(QUEUE_SORTS), "-opened")
    chosen = queue_filter()
    kind, status, assignee_id, unassigned = chosen.kind, chosen.status, chosen.assignee_id, chosen.unassigned
    assignee = request.args.get("assignee", "")
    queue = exception_queue(session, kind, status, assignee_id, listing.page, listing.per_page, listing.sort,
                            unassigned)
    stay_in_range(listing, queue.total)
    return render_template("exceptions.html", queue=queue, kinds=EXCEPTION_KINDS, statuses=QUEUE_STATUSES,
                           kind=kind, status=status, assignee=assignee, people=assignable_users(session),
                           listing=listing, kind_labels=EXCEPTION_KIND_LABELS)


@bp.get("/exceptions/<int:exception_id>")
@allow("auditor")
def exception(exception_id: int):
    session = request_session()
    return render_template("exception.html", view=exception_view(session, exception_id),
                           people=assignable_users(session))


def _back(exception_id: int, notice: str):
    return redirect(url_for("web.exception", exception_id=exception_id, notice=notice), 303)


@bp.post("/exceptions/<int:exception_id>/assign")
@allow("operator")
@keep_typed(exception)
def exception_assign(exception_id: int):
    with get_db().write() as session:
        assign_exception(session, exception_id, form_int("assignee", optional=True), actor())
    return _back(exception_id, "assigned")


@bp.post("/exceptions/<int:exception_id>/comments")
@allow("operator")
@keep_typed(exception)
def exception_comment(exception_id: int):
    with get_db().write() as session:
        comment_on_exception(session, exception_id, request.form.get("body", ""), actor())
    return _back(exception_id, "commented")


@bp.post("/exceptions/<int:exception_id>/acknowledge")
@allow("operator")
@keep_typed(exception)
def exception_acknowledge(exception_id: int):
    with get_db().write() as session:
        acknowledge_exception(session, exception_id, actor(), request.form.get("note"))
    return _back(exception_id, "acknowledged")
