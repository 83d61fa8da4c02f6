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
from collector.queries.exception_evidence import EvidenceTable, evidence_tables
from collector.queries.joined_order import page_ids_by_reference
from collector.queries.ordering import Sort, order_clauses
from collector.queries.subjects import ExceptionSubject, describe_exception_subjects, exception_headline
from collector.workflows.loading import TemplateSet
from collector.workflows.triage_workflow import (acknowledge_through_workflow, assign_through_workflow,
                                                 comment_through_workflow, workflow_comments)

__all__ = [
    "MINE",
    "QUEUE_SORTS",
    "QUEUE_STATUSES",
    "UNASSIGNED",
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
    about: ExceptionSubject  # the subject and CI, named as a person knows them
    headline: str  # the summary with the subject's own name
    evidence: list[EvidenceTable]


# Sort key -> column. Numbers and dates sort as such; the id breaks ties (collector/queries/ordering.py).
QUEUE_SORTS = {"id": AuditException.id, "kind": AuditException.kind, "status": AuditException.status,
               "ci": ConfigurationItem.asset_tag, "summary": AuditException.summary, "assignee": "assignee",
               "opened": AuditException.opened_at}
# Assignee filter values besides a user id: the signed-in person's, and nobody's.
MINE, UNASSIGNED = "me", "none"


def _filtered(query, kind: str | None, status: str, assignee_id: int | None, unassigned: bool = False):
    if kind:
        query = query.where(AuditException.kind == kind)
    if status == "unresolved":
        query = query.where(AuditException.open_key.is_not(None))
    elif status != "all":
        query = query.where(AuditException.status == status)
    if unassigned:
        query = query.where(AuditException.assignee_id.is_(None))
    elif assignee_id is not None:
        query = query.where(AuditException.assignee_id == assignee_id)
    return query


def matching_exception_ids(kind: str | None = None, status: str = "unresolved", assignee_id: int | None = None,
                           unassigned: bool = False):
    """SELECT of the ids the queue lists for this filter: bulk triage's "everything matching" (bulk_triage.py)."""
    return _filtered(select(AuditException.id), kind, status, assignee_id, unassigned)


def exception_queue(session: Session, kind: str | None = None, status: str = "unresolved",
                    assignee_id: int | None = None, page: int = 1, per_page: int = 50,
                    sort: Sort = Sort("opened", True), unassigned: bool = False) -> QueuePage:
    """One page in ``sort`` order (newest first by default), with the CI's asset tag, the
    assignee's name and the subject named (``about``). ``unassigned``: only those nobody owns
    (``assignee_id`` is then ignored).
    Every sort is an ORDER BY on a column with the id as tie-breaker and LIMIT/OFFSET: id,
    opened, kind and status walk an index ((kind, id), (status, id)); CI tag and assignee walk
    the referenced rows' order (joined_order.py); summary sorts the filtered ids once
    (bench/web.py, sorted_list_p95_ms)."""
    assignee = aliased(User)
    columns = {**QUEUE_SORTS, "assignee": assignee.username}
    # The page's ids first, from narrow rows; sorted by the CI's tag or the assignee's name, the
    # rows are split so that neither sorts the whole table (collector/queries/joined_order.py).
    ids = _filtered(select(AuditException.id), kind, status, assignee_id, unassigned)
    offset = (page - 1) * per_page
    if sort.key in ("ci", "assignee"):
        fk, pk, value = ((AuditException.ci_id, ConfigurationItem.id, ConfigurationItem.asset_tag)
                         if sort.key == "ci" else (AuditException.assignee_id, assignee.id, assignee.username))
        page_ids = page_ids_by_reference(session, ids, AuditException.id, fk, pk, value, sort, offset, per_page)
        chosen = AuditException.id.in_(page_ids)
    else:
        picked = ids.order_by(*order_clauses(columns, sort, AuditException.id)).limit(per_page).offset(offset)
        chosen = AuditException.id.in_(picked.scalar_subquery())
    display_assignee = aliased(User)
    query = (select(AuditException, ConfigurationItem.asset_tag, display_assignee.username).where(chosen)
             .outerjoin(ConfigurationItem, ConfigurationItem.id == AuditException.ci_id)
             .outerjoin(display_assignee, display_assignee.id == AuditException.assignee_id))
    total = session.scalar(_filtered(select(func.count()).select_from(AuditException), kind, status, assignee_id,
                                     unassigned)) or 0
    display = {**QUEUE_SORTS, "assignee": display_assignee.username}
    rows = session.execute(query.order_by(*order_clauses(display, sort, AuditException.id))).all()
    about = describe_exception_subjects(session, [e for e, _, _ in rows])
    return QueuePage([{"exception": e, "asset_tag": tag, "assignee": name, "about": about[e.id],
                       "headline": exception_headline(e, about[e.id])} for e, tag, name in rows],
                     total, page, per_page)


def exception_view(session: Session, exception_id: int) -> ExceptionView:
    exception = _get(session, exception_id)
    names = dict(session.execute(select(User.id, User.username).where(
        User.id.in_([i for i in (exception.assignee_id, exception.acknowledged_by_id) if i is not None]))).all())
    tag = session.scalar(select(ConfigurationItem.asset_tag).where(ConfigurationItem.id == exception.ci_id)) \
        if exception.ci_id else None
    about = describe_exception_subjects(session, [exception])[exception.id]
    return ExceptionView(exception, tag, names.get(exception.assignee_id), names.get(exception.acknowledged_by_id),
                         _comments(session, exception_id), about, exception_headline(exception, about),
                         evidence_tables(session, exception, about.subject))


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
