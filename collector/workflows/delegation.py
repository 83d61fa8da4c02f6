"""Delegating approvals: someone away lets another active user approve in their name, for a period.

A delegation covers the approval tasks of one approver group the delegator belongs to, or of
all of them. It changes who may act, never what is allowed: the delegate acts only where the
delegator could, nobody approves their own request (not as a delegate either, nor for the
initiator), and the event and the audit log record "delegate for delegator". Account roles
(operator, admin) are not delegated: those tasks have many people who may already do them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from collector.access.audit_log import append_entry
from collector.access.users import has_role
from collector.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from collector.models import User, WorkflowDelegation, utcnow
from collector.workflows.roles import WorkflowActor, check_may_act

__all__ = ["MAX_PERIOD", "authorize", "create_delegation", "delegated_groups", "delegation_view",
           "list_delegations", "revoke_delegation"]

MAX_PERIOD = timedelta(days=366)


def create_delegation(session: Session, actor: WorkflowActor, delegate: str, starts_at: datetime,
                      ends_at: datetime, groups: dict[str, frozenset[str]], approver_group: str | None = None,
                      delegator: str | None = None, now: datetime | None = None) -> WorkflowDelegation:
    """``delegator`` (default: the actor; only an admin names someone else) hands approvals to ``delegate``."""
    now = now or utcnow()
    if actor.role == "auditor":
        raise Forbidden("auditors read workflows and act on none")
    giver = _user(session, delegator or actor.username, "delegator")
    if giver.id != actor.user_id and actor.role != "admin":
        raise Forbidden("only an admin delegates someone else's approvals")
    receiver = _user(session, delegate, "delegate")
    problems = _problems(giver, receiver, approver_group, starts_at, ends_at, groups, now)
    if problems:
        raise InvalidInput("invalid delegation; nothing was stored", problems)
    row = WorkflowDelegation(delegator_id=giver.id, delegate_id=receiver.id, approver_group=approver_group,
                             starts_at=starts_at, ends_at=ends_at, created_at=now, created_by=actor.username)
    session.add(row)
    session.flush()
    append_entry(session, "workflow_delegation_created", actor.audit, f"delegation {row.id}",
                 delegation_view(row, giver.username, receiver.username), now)
    return row


def _user(session: Session, name: str, field: str) -> User:
    user = session.scalar(select(User).where(User.username == (name or "").strip().lower()))
    if user is None or not user.active:
        raise InvalidInput("invalid delegation; nothing was stored", [FieldError(field, f"no active user {name!r}")])
    return user


def _problems(giver: User, receiver: User, group: str | None, starts_at: datetime, ends_at: datetime,
              groups: dict[str, frozenset[str]], now: datetime) -> list[FieldError]:
    problems = []
    if receiver.id == giver.id:
        problems.append(FieldError("delegate", "must be someone other than the delegator"))
    elif not has_role(receiver, "operator"):
        problems.append(FieldError("delegate", "must be an operator or admin (auditors act on nothing)"))
    if group is not None and group not in groups:
        problems.append(FieldError("approver_group", f"no approver group {group!r}"))
    elif group is not None and giver.username not in groups[group]:
        problems.append(FieldError("approver_group", f"{giver.username} is not a member of {group!r}"))
    elif group is None and not any(giver.username in members for members in groups.values()):
        problems.append(FieldError("approver_group", f"{giver.username} is in no approver group"))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        problems.append(FieldError("starts_at", "start and end need a time zone"))
    elif ends_at <= starts_at or ends_at <= now:
        problems.append(FieldError("ends_at", "must be after the start and in the future"))
    elif ends_at - starts_at > MAX_PERIOD:
        problems.append(FieldError("ends_at", "a delegation lasts at most 366 days"))
    return problems


def revoke_delegation(session: Session, delegation_id: int, actor: WorkflowActor,
                      now: datetime | None = None) -> WorkflowDelegation:
    now = now or utcnow()
    row = session.get(WorkflowDelegation, delegation_id)
    if row is None:
        raise NotFound(f"no delegation with id {delegation_id}")
    if actor.role == "auditor" or (row.delegator_id != actor.user_id and actor.role != "admin"):
        raise Forbidden("only the delegator or an admin revokes a delegation")
    if row.revoked_at is not None or row.ends_at <= now:
        raise Conflict(f"delegation {delegation_id} has already ended")
    row.revoked_at = now
    append_entry(session, "workflow_delegation_revoked", actor.audit, f"delegation {row.id}", {}, now)
    return row


def _active(session: Session, delegate_id: int | None, now: datetime) -> list[tuple[User, str | None]]:
    if delegate_id is None:
        return []
    giver = aliased(User)
    rows = session.execute(select(giver, WorkflowDelegation.approver_group)
                           .join(WorkflowDelegation, WorkflowDelegation.delegator_id == giver.id)
                           .where(WorkflowDelegation.delegate_id == delegate_id,
                                  WorkflowDelegation.starts_at <= now, WorkflowDelegation.ends_at > now,
                                  WorkflowDelegation.revoked_at.is_(None), giver.disabled_at.is_(None)))
    return [(user, group) for user, group in rows]


def _covered(session: Session, actor: WorkflowActor, groups: dict[str, frozenset[str]],
             now: datetime) -> dict[str, list[User]]:
    covered: dict[str, list[User]] = {}
    if actor.role not in ("admin", "operator"):
        return covered
    for giver, group in _active(session, actor.user_id, now):
        for name in [group] if group else sorted(groups):
            if name in groups and giver.username in groups[name]:
                covered.setdefault(name, []).append(giver)
    return covered


def delegated_groups(session: Session, actor: WorkflowActor, groups: dict[str, frozenset[str]],
                     now: datetime | None = None) -> dict[str, set[str]]:
    """Approver group -> the people whose approvals in it ``actor`` holds now."""
    return {group: {u.username for u in givers}
            for group, givers in _covered(session, actor, groups, now or utcnow()).items()}


def authorize(session: Session, actor: WorkflowActor, role: str, initiator_id: int | None,
              groups: dict[str, frozenset[str]], approval: bool, now: datetime | None = None) -> WorkflowActor:
    """The actor to record for this task: ``actor`` itself, or ``actor`` for a delegator; else Forbidden."""
    try:
        check_may_act(actor, role, initiator_id, groups, approval)
        return actor
    except Forbidden:
        if not approval or role not in groups or actor.user_id == initiator_id:
            raise
        givers = [u for u in _covered(session, actor, groups, now or utcnow()).get(role, []) if u.id != initiator_id]
        if not givers:
            raise
    return replace(actor, on_behalf_of=givers[0].username)


def list_delegations(session: Session, user_id: int | None = None, active_at: datetime | None = None) -> list[dict]:
    giver, receiver = aliased(User), aliased(User)
    query = (select(WorkflowDelegation, giver.username, receiver.username)
             .join(giver, giver.id == WorkflowDelegation.delegator_id)
             .join(receiver, receiver.id == WorkflowDelegation.delegate_id).order_by(WorkflowDelegation.id.desc()))
    if user_id is not None:
        query = query.where(or_(WorkflowDelegation.delegator_id == user_id, WorkflowDelegation.delegate_id == user_id))
    if active_at is not None:
        query = query.where(WorkflowDelegation.starts_at <= active_at, WorkflowDelegation.ends_at > active_at,
                            WorkflowDelegation.revoked_at.is_(None))
    return [{"id": row.id, **delegation_view(row, g, r)} for row, g, r in session.execute(query.limit(1000))]


def delegation_view(row: WorkflowDelegation, delegator: str, delegate: str) -> dict:
    return {"delegator": delegator, "delegate": delegate, "approver_group": row.approver_group,
            "starts_at": row.starts_at.isoformat(), "ends_at": row.ends_at.isoformat(),
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None, "created_by": row.created_by}
