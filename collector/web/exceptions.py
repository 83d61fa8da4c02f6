"""The exception queue: filter, open one, assign it, comment, acknowledge."""

from __future__ import annotations

from dataclasses import astuple

from flask import redirect, render_template, request, url_for

from collector.extensions import get_db, request_session
from collector.reconcile.report import EXCEPTION_KINDS
from collector.web import bp
from collector.web.params import choice, form_int, page_number
from collector.web.form_state import keep_typed
from collector.web.security import actor, allow
from collector.workflows.bulk_triage import QueueFilter
from collector.workflows.triage import (
    QUEUE_STATUSES, acknowledge_exception, assign_exception, assignable_users, comment_on_exception,
    exception_queue, exception_view,
)

__all__ = ["queue_filter"]

PER_PAGE = 50


def queue_filter() -> QueueFilter:
    """The queue's filter from the query string: the page's rows and bulk triage's "everything matching"."""
    assignee = request.args.get("assignee", "")
    assignee_id = int(assignee) if assignee.isdigit() and len(assignee) < 12 else None
    return QueueFilter(choice("kind", EXCEPTION_KINDS), choice("status", QUEUE_STATUSES, "unresolved"), assignee_id)


@bp.get("/exceptions")
@allow("auditor")
def exceptions():
    session = request_session()
    people = assignable_users(session)
    kind, status, assignee_id = astuple(queue_filter())
    queue = exception_queue(session, kind, status, assignee_id, page_number(), PER_PAGE)
    return render_template("exceptions.html", queue=queue, kinds=EXCEPTION_KINDS, statuses=QUEUE_STATUSES,
                           kind=kind, status=status, assignee_id=assignee_id, people=people,
                           pages=max(1, -(-queue.total // PER_PAGE)))


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
