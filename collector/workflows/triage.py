"""Working the audit-exception queue: assign, comment, acknowledge.

Reconciliation opens and resolves exceptions; people triage them. Acknowledging says "seen,
being handled": the exception keeps its ``open_key``, so it stays open for reconciliation
(one open exception per CI/subject and kind) and is resolved by a run when its condition
clears. Every change is written to the audit log in the same transaction.

Each action works through the exception's resolution workflow (triage_workflow.py): assign
gives its tasks an owner, a comment is a workflow comment, acknowledging completes its triage
task. The exception's columns stay in step for the queue's readers. Comments of exceptions
resolved before workflows existed stay in ``exception_comments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from collector.access.audit_log import Actor, append_entry
from collector.access.users import has_role
from collector.errors import Conflict, FieldError, InvalidInput, NotFound
from collector.models import ExceptionComment, User, utcnow
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException
from collector.workflows.loading import TemplateSet
from collector.workflows.triage_workflow import (acknowledge_through_workflow, assign_through_workflow,
                                                 comment_through_workflow, workflow_comments)

__all__ = [
    "QUEUE_STATUSES",
    "ExceptionView",
    "QueuePage",
    "acknowledge_exception",
    "assign_exception",
    "assignable_users",
    "comment_on_exception",
    "exception_view",
    "exception_queue",
    "matching_exception_ids",
]

# "unresolved" (open or acknowledged) is the queue's default view.
QUEUE_STATUSES = ("unresolved", "open", "acknowledged", "resolved", "all")
COMMENT_MAX = 5000


@dataclass(frozen=True)
class QueuePage:
    rows: list[dict]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class CommentView:
    """One comment as the exception page shows it, from a workflow event or an older comment row."""

    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class ExceptionView:
    exception: AuditException
    asset_tag: str | None
    assignee: str | None
    acknowledged_by: str | None
    comments: list[CommentView]


def _filtered(query, kind: str | None, status: str, assignee_id: int | None):
    if kind:
        query = query.where(AuditException.kind == kind)
    if status == "unresolved":
        query = query.where(AuditException.open_key.is_not(None))
    elif status != "all":
        query = query.where(AuditException.status == status)
    if assignee_id is not None:
        query = query.where(AuditException.assignee_id == assignee_id)
    return query


def matching_exception_ids(kind: str | None = None, status: str = "unresolved", assignee_id: int | None = None):
    """SELECT of the ids the queue lists for this filter: bulk triage's "everything matching" (bulk_triage.py)."""
    return _filtered(select(AuditException.id), kind, status, assignee_id)


def exception_queue(session: Session, kind: str | None = None, status: str = "unresolved",
                    assignee_id: int | None = None, page: int = 1, per_page: int = 50) -> QueuePage:
    """Newest first, with the CI's asset tag and the assignee's name."""
    assignee = aliased(User)
    query = _filtered(select(AuditException, ConfigurationItem.asset_tag, assignee.username)
                      .outerjoin(ConfigurationItem, ConfigurationItem.id == AuditException.ci_id)
                      .outerjoin(assignee, assignee.id == AuditException.assignee_id), kind, status, assignee_id)
    total = session.scalar(_filtered(select(func.count()).select_from(AuditException), kind, status, assignee_id)) or 0
    rows = session.execute(query.order_by(AuditException.opened_at.desc(), AuditException.id.desc())
                           .limit(per_page).offset((page - 1) * per_page))
    return QueuePage([{"exception": e, "asset_tag": tag, "assignee": name} for e, tag, name in rows],
                     total, page, per_page)


def exception_view(session: Session, exception_id: int) -> ExceptionView:
    exception = _get(session, exception_id)
    names = dict(session.execute(select(User.id, User.username).where(
        User.id.in_([i for i in (exception.assignee_id, exception.acknowledged_by_id) if i is not None]))).all())
    tag = session.scalar(select(ConfigurationItem.asset_tag).where(ConfigurationItem.id == exception.ci_id)) \
        if exception.ci_id else None
    return ExceptionView(exception, tag, names.get(exception.assignee_id), names.get(exception.acknowledged_by_id),
                         _comments(session, exception_id))


def _comments(session: Session, exception_id: int) -> list[CommentView]:
    events = workflow_comments(session, exception_id)
    if events is not None:
        return [CommentView(e.actor or "?", e.note or "", e.at) for e in events]
    rows = session.scalars(select(ExceptionComment).where(ExceptionComment.exception_id == exception_id)
                           .order_by(ExceptionComment.created_at, ExceptionComment.id))
    return [CommentView(c.author, c.body, c.created_at) for c in rows]


def assignable_users(session: Session) -> list[User]:
    """Active operators and admins: the people who may work exceptions."""
    users = session.scalars(select(User).where(User.disabled_at.is_(None)).order_by(User.username))
    return [u for u in users if has_role(u, "operator")]


def _get(session: Session, exception_id: int) -> AuditException:
    exception = session.get(AuditException, exception_id)
    if exception is None:
        raise NotFound(f"no exception with id {exception_id}")
    return exception


def _unresolved(session: Session, exception_id: int) -> AuditException:
    exception = _get(session, exception_id)
    if exception.open_key is None:
        raise Conflict(f"exception {exception_id} is resolved")
    return exception


def assign_exception(session: Session, exception_id: int, assignee_id: int | None, actor: Actor,
                     now: datetime | None = None, templates: TemplateSet | None = None) -> AuditException:
    """Give the exception (and its workflow's tasks) to an operator or admin (None: unassign)."""
    now = now or utcnow()
    exception = _unresolved(session, exception_id)
    name, assignee = None, None
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active or not has_role(assignee, "operator"):
            raise InvalidInput("invalid assignee", [FieldError("assignee", "must be an active operator or admin")])
        name = assignee.username
    if exception.assignee_id != assignee_id:
        exception.assignee_id = assignee_id
        exception.updated_at = now
        append_entry(session, "exception_assigned", actor, f"exception {exception.id}", {"assignee": name}, now)
        assign_through_workflow(session, exception, assignee, actor, now, templates)
    return exception


def comment_on_exception(session: Session, exception_id: int, body: str, actor: Actor,
                         now: datetime | None = None, templates: TemplateSet | None = None):
    """A comment on the exception's workflow (an ``exception_comments`` row if it never had one)."""
    now = now or utcnow()
    body = body.strip()
    if not body or len(body) > COMMENT_MAX or "\x00" in body:
        raise InvalidInput("invalid comment", [FieldError("body", f"must be 1-{COMMENT_MAX} characters")])
    exception = _get(session, exception_id)
    event = comment_through_workflow(session, exception, body, actor, now, templates)
    if event is not None:
        exception.updated_at = now
        session.flush()
        append_entry(session, "exception_commented", actor, f"exception {exception.id}",
                     {"workflow": event.instance_id, "event_id": event.id}, now)
        return event
    comment = ExceptionComment(exception_id=exception.id, author_id=actor.user_id, author=actor.username or "?",
                               body=body, created_at=now)
    session.add(comment)
    exception.updated_at = now
    session.flush()
    append_entry(session, "exception_commented", actor, f"exception {exception.id}", {"comment_id": comment.id}, now)
    return comment


def acknowledge_exception(session: Session, exception_id: int, actor: Actor, note: str | None = None,
                          now: datetime | None = None, templates: TemplateSet | None = None) -> AuditException:
    """Mark an open exception as seen and being handled (its workflow's triage task done, the note its
    plan); it stays open for reconciliation."""
    now = now or utcnow()
    exception = _unresolved(session, exception_id)
    if exception.status == "acknowledged":
        raise Conflict(f"exception {exception_id} is already acknowledged")
    exception.status = "acknowledged"
    exception.acknowledged_at = now
    exception.acknowledged_by_id = actor.user_id
    exception.updated_at = now
    append_entry(session, "exception_acknowledged", actor, f"exception {exception.id}", {"kind": exception.kind}, now)
    acknowledge_through_workflow(session, exception, actor, note, now, templates)
    if note and note.strip():
        comment_on_exception(session, exception_id, note, actor, now, templates)
    return exception
