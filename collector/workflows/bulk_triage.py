"""Bulk triage: assign, comment on or acknowledge many exceptions with one note.

A selection is either ids ticked on a page or "everything matching this filter" (the queue's
own filter, re-evaluated here; the person confirms the count they saw, and a different count
now refuses the request). Each row gets what the single-row action in triage.py gives it: its
resolution workflow (opened if it has none) gets the owner, the comment, or its triage task
completed (the note is the plan); and one audit entry per exception naming the bulk action,
after one entry for the bulk action itself.

All or nothing, decided before anything is written:
- an empty selection, more than ``MAX_SELECTED`` ids or ``MAX_MATCHING`` matches, unknown ids,
  an unknown or inactive assignee, a bad note: 422, naming each field;
- a resolved exception in an acknowledge or assign selection: 409 (the page was stale: a run
  resolved it meanwhile; reload and select again). A comment may go on a resolved exception,
  as on its page;
- rows that are already in the asked-for state (acknowledged, or assigned to that person) are
  skipped and counted, not refused: "unresolved", the queue's default view, mixes open and
  acknowledged rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entries
from collector.access.users import has_role
from collector.errors import Conflict, FieldError, Forbidden, InvalidInput
from collector.models import AuditException, ExceptionComment, User, WorkflowInstance, utcnow
from collector.models.workflows import EventKind
from collector.workflows.bulk import CHUNK
from collector.workflows.bulk_steps import complete_ready_task, record_on_each, set_owners
from collector.workflows.loading import TemplateSet
from collector.workflows.roles import WorkflowActor, actor_for_user
from collector.workflows.service import open_exception_workflows
from collector.workflows.triage import matching_exception_ids
from collector.workflows.triage_workflow import TRIAGE_TASK, templates_or_shipped

__all__ = ["BULK_ACTIONS", "MAX_MATCHING", "MAX_SELECTED", "NOTE_MAX", "BulkResult", "QueueFilter", "Selection",
           "bulk_triage", "matching_count"]

BULK_ACTIONS = ("acknowledge", "assign", "comment")
MAX_SELECTED = 1000  # ticked ids: a page's rows
MAX_MATCHING = 20_000  # "everything matching": one transaction; 10,000 acknowledged in seconds (bench/web.py)
NOTE_MAX = 2000  # the triage plan's limit in exception_resolution
_DEFAULT_PLAN = "acknowledged in the exception queue"


@dataclass(frozen=True)
class QueueFilter:
    """The exception queue's filter, as the page reads it (collector/web/exceptions.py)."""

    kind: str | None = None
    status: str = "unresolved"
    assignee_id: int | None = None
    unassigned: bool = False  # only exceptions nobody owns (assignee_id is then ignored)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "status": self.status, "assignee_id": self.assignee_id,
                "unassigned": self.unassigned}


@dataclass(frozen=True)
class Selection:
    """Ticked ``ids``, or every exception ``matching`` a filter, ``confirmed`` being the count the person saw."""

    ids: tuple[int, ...] = ()
    matching: QueueFilter | None = None
    confirmed: int | None = None


@dataclass(frozen=True)
class BulkResult:
    bulk_id: str
    action: str
    selected: int
    changed: int
    skipped: int
    exception_ids: list[int] = field(default_factory=list, repr=False)


def matching_count(session: Session, queue_filter: QueueFilter) -> int:
    query = matching_exception_ids(queue_filter.kind, queue_filter.status, queue_filter.assignee_id,
                                   queue_filter.unassigned)
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def bulk_triage(session: Session, action: str, selection: Selection, actor: Actor, note: str | None = None,
                assignee_id: int | None = None, templates: TemplateSet | None = None,
                now: datetime | None = None) -> BulkResult:
    """Do ``action`` to every selected exception in the caller's transaction; raise before writing."""
    now, note = now or utcnow(), (note or "").strip() or None
    acting = _acting(session, actor)
    assignee = _check_request(session, action, selection, note, assignee_id)
    rows = _selected_rows(session, selection)
    if selection.matching is not None and len(rows) != selection.confirmed:  # a run committed in between
        raise Conflict(f"the filter now matches {len(rows)} exceptions, not the {selection.confirmed} you "
                       "confirmed; nothing was changed: review the list and confirm again")
    if action != "comment":
        _refuse_resolved(rows)
    bulk_id = uuid.uuid4().hex[:16]
    loaded = templates_or_shipped(templates)
    if action == "acknowledge":
        return _acknowledge(session, loaded, rows, acting, note, bulk_id, selection, now)
    if action == "assign":
        return _assign(session, loaded, rows, acting, assignee, note, bulk_id, selection, now)
    return _comment(session, loaded, rows, acting, note, bulk_id, selection, now)


def _acting(session: Session, actor: Actor) -> WorkflowActor:
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.active or not has_role(user, "operator"):
        raise Forbidden("only operators and admins triage exceptions")
    return actor_for_user(user, actor.client)


def _check_request(session: Session, action: str, selection: Selection, note: str | None,
                   assignee_id: int | None) -> User | None:
    """Every problem with the request at once (422), before any row is read for writing."""
    problems, assignee = [], None
    if action not in BULK_ACTIONS:
        problems.append(FieldError("action", f"must be one of {', '.join(BULK_ACTIONS)}"))
    if note is not None and (len(note) > NOTE_MAX or "\x00" in note):
        problems.append(FieldError("note", f"must be at most {NOTE_MAX} characters"))
    if action == "comment" and note is None:
        problems.append(FieldError("note", "is required to comment"))
    if action == "assign" and assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.active or not has_role(assignee, "operator"):
            problems.append(FieldError("assignee", "must be an active operator or admin"))
    problems += _selection_problems(session, selection)
    if problems:
        raise InvalidInput("invalid bulk triage request; nothing was changed", problems)
    return assignee


def _selection_problems(session: Session, selection: Selection) -> list[FieldError]:
    if selection.matching is None:
        if not selection.ids:
            return [FieldError("ids", "select at least one exception")]
        if len(set(selection.ids)) > MAX_SELECTED:
            return [FieldError("ids", f"select at most {MAX_SELECTED} exceptions (or use everything matching)")]
        return []
    if selection.ids:
        return [FieldError("ids", "give ticked ids or a filter, not both")]
    if selection.confirmed is None:
        return [FieldError("confirm", "confirm how many exceptions match the filter")]
    count = matching_count(session, selection.matching)
    if count == 0:
        return [FieldError("confirm", "no exceptions match this filter")]
    if count > MAX_MATCHING:
        return [FieldError("confirm", f"{count} exceptions match; narrow the filter to at most {MAX_MATCHING}")]
    if count != selection.confirmed:
        raise Conflict(f"the filter now matches {count} exceptions, not the {selection.confirmed} you confirmed; "
                       "nothing was changed: review the list and confirm again")
    return []


def _selected_rows(session: Session, selection: Selection) -> list:
    """(id, kind, status, assignee_id) of every selected exception, in id order; unknown ids refused."""
    columns = (AuditException.id, AuditException.kind, AuditException.status, AuditException.assignee_id)
    if selection.matching is not None:
        wanted = matching_exception_ids(**selection.matching.as_dict())
        return list(session.execute(select(*columns).where(AuditException.id.in_(wanted))
                                    .order_by(AuditException.id).with_for_update()))
    ids, rows = sorted(set(selection.ids)), []
    for start in range(0, len(ids), CHUNK):
        rows += session.execute(select(*columns).where(AuditException.id.in_(ids[start:start + CHUNK]))
                                .order_by(AuditException.id).with_for_update()).all()
    missing = sorted(set(ids) - {r.id for r in rows})
    if missing:
        raise InvalidInput("invalid bulk triage request; nothing was changed",
                           [FieldError("ids", f"no exceptions with ids {_listed(missing)}")])
    return rows


def _refuse_resolved(rows: list) -> None:
    resolved = [r.id for r in rows if r.status == "resolved"]
    if resolved:
        raise Conflict(f"{len(resolved)} selected exceptions are resolved ({_listed(resolved)}); nothing was "
                       "changed: reload the queue and select again")


def _listed(ids: list[int], most: int = 10) -> str:
    shown = ", ".join(str(i) for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _summary(session: Session, acting: WorkflowActor, action: str, bulk_id: str, selection: Selection,
             rows: list, changed: list[int], extra: dict, now: datetime, per_row: list) -> BulkResult:
    """The bulk action's own audit entry, then one per changed exception (``per_row``), in one append."""
    chosen = {"ids": len(rows)} if selection.matching is None else {"matching": selection.matching.as_dict()}
    detail = {"bulk": bulk_id, "selection": chosen, "selected": len(rows), "changed": len(changed), **extra}
    append_entries(session, [(f"exceptions_bulk_{action}", acting.audit, "exceptions", detail), *per_row], now)
    return BulkResult(bulk_id, action, len(rows), len(changed), len(rows) - len(changed), changed)


def _set_columns(session: Session, ids: list[int], now: datetime, **values) -> None:
    for start in range(0, len(ids), CHUNK):
        session.execute(update(AuditException).where(AuditException.id.in_(ids[start:start + CHUNK]))
                        .values(updated_at=now, **values).execution_options(synchronize_session=False))


def _where_now(session: Session, instance_ids: list[int]) -> dict[int, tuple[str, str]]:
    """instance id -> (template, stage), read after the step moved them."""
    found = {}
    for start in range(0, len(instance_ids), CHUNK):
        found.update({i: (t, s) for i, t, s in session.execute(
            select(WorkflowInstance.id, WorkflowInstance.template, WorkflowInstance.stage)
            .where(WorkflowInstance.id.in_(instance_ids[start:start + CHUNK])))})
    return found


def _acknowledge(session: Session, templates: TemplateSet, rows: list, acting: WorkflowActor, note: str | None,
                 bulk_id: str, selection: Selection, now: datetime) -> BulkResult:
    """Acknowledged, and each workflow's triage task completed with the note as its plan (the note
    also a comment, as on the exception's page). A workflow already past triage is left as it is."""
    kinds = {r.id: r.kind for r in rows if r.status == "open"}
    ids = sorted(kinds)
    who = acting.audit
    per_row = [("exception_acknowledged", who, f"exception {i}", {"kind": kinds[i], "bulk": bulk_id}) for i in ids]
    result = _summary(session, acting, "acknowledge", bulk_id, selection, rows, ids, {"note": note}, now, per_row)
    opened: dict[int, dict] = {}  # the states just written, not read back
    workflows = open_exception_workflows(session, templates, ids, now, opened)
    _set_columns(session, ids, now, status="acknowledged", acknowledged_at=now, acknowledged_by_id=acting.user_id)
    plan = (note or _DEFAULT_PLAN)[:NOTE_MAX]
    complete_ready_task(session, templates, list(workflows.values()), TRIAGE_TASK, acting, {"plan": plan}, now,
                        opened)
    if note:
        _comment_workflows(session, workflows, acting, note, bulk_id, now)
    return result


def _assign(session: Session, templates: TemplateSet, rows: list, acting: WorkflowActor, assignee: User | None,
            note: str | None, bulk_id: str, selection: Selection, now: datetime) -> BulkResult:
    target = assignee.id if assignee else None
    name = assignee.username if assignee else None
    ids = [r.id for r in rows if r.assignee_id != target]
    who = acting.audit
    per_row = [("exception_assigned", who, f"exception {i}", {"assignee": name, "bulk": bulk_id}) for i in ids]
    result = _summary(session, acting, "assign", bulk_id, selection, rows, ids, {"assignee": name, "note": note},
                      now, per_row)
    workflows = open_exception_workflows(session, templates, ids, now)
    _set_columns(session, ids, now, assignee_id=target)
    set_owners(session, list(workflows.values()), target)
    record_on_each(session, _where_now(session, sorted(workflows.values())), EventKind.ASSIGNED.value, acting, now,
                   {"assignee": name, "assignee_id": target})
    if note:
        _comment_workflows(session, workflows, acting, note, bulk_id, now)
    return result


def _comment(session: Session, templates: TemplateSet, rows: list, acting: WorkflowActor, note: str,
             bulk_id: str, selection: Selection, now: datetime) -> BulkResult:
    """On each exception's workflow: the running one (opened for an unresolved exception), else its
    latest; an ``exception_comments`` row for a resolved exception that never had one."""
    ids = [r.id for r in rows]
    workflows = open_exception_workflows(session, templates, [r.id for r in rows if r.status != "resolved"], now)
    workflows |= _latest_workflows(session, [r.id for r in rows if r.status == "resolved"])
    result = _summary(session, acting, "comment", bulk_id, selection, rows, ids, {}, now, [])
    _comment_workflows(session, workflows, acting, note, bulk_id, now)
    without = [i for i in ids if i not in workflows]
    if without:
        session.execute(insert(ExceptionComment.__table__), [
            {"exception_id": i, "author_id": acting.user_id, "author": acting.username or "?", "body": note,
             "created_at": now} for i in without])
        who = acting.audit
        append_entries(session, [("exception_commented", who, f"exception {i}",
                                  {"comment": "exception_comments", "bulk": bulk_id}) for i in without], now)
    _set_columns(session, ids, now)
    return result


def _latest_workflows(session: Session, exception_ids: list[int]) -> dict[int, int]:
    found = {}
    for start in range(0, len(exception_ids), CHUNK):
        found.update(session.execute(select(WorkflowInstance.exception_id, func.max(WorkflowInstance.id))
                                     .where(WorkflowInstance.exception_id.in_(exception_ids[start:start + CHUNK]))
                                     .group_by(WorkflowInstance.exception_id)).all())
    return found


def _comment_workflows(session: Session, workflows: dict[int, int], acting: WorkflowActor, note: str, bulk_id: str,
                       now: datetime) -> None:
    """A comment event on each workflow, and the exception's ``exception_commented`` entry."""
    record_on_each(session, _where_now(session, sorted(workflows.values())), EventKind.COMMENT.value, acting, now,
                   note=note)
    who = acting.audit
    append_entries(session, [("exception_commented", who, f"exception {e}", {"workflow": w, "bulk": bulk_id})
                             for e, w in sorted(workflows.items())], now)
