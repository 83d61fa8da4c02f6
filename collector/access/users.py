"""Web users: creation, roles, disabling, passwords, and logging in with throttling.

Roles are the API tokens' (``auditor`` < ``operator`` < ``admin``). A login that fails
counts against the account; after ``THROTTLE_AFTER`` consecutive failures the account
refuses attempts (right password or not) for a delay that doubles with each further failure
up to ``THROTTLE_MAX``, so online guessing is slow without locking the owner out for good.
Every attempt is written to the audit log, in the same transaction as the counters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.access import passwords
from collector.access.api_tokens import ROLES
from collector.access.audit_log import Actor, append_entry
from collector.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from collector.models import User, WebSession, utcnow

__all__ = [
    "THROTTLE_AFTER",
    "LoginResult",
    "attempt_login",
    "create_user",
    "get_user",
    "has_role",
    "list_users",
    "set_password",
    "set_role",
    "set_user_disabled",
    "throttle_delay",
]

THROTTLE_AFTER = 5
THROTTLE_BASE = timedelta(seconds=30)
THROTTLE_MAX = timedelta(minutes=15)
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # None on success; "invalid" (unknown user, wrong password, disabled) or "throttled".
    failure: str | None = None
    retry_after: int = 0


def has_role(user: User, minimum: str) -> bool:
    return ROLES.index(user.role) >= ROLES.index(minimum)


def _validate(username: str | None, role: str | None, password: str | None) -> None:
    problems = []
    if username is not None and not _USERNAME.match(username):
        problems.append(FieldError("username", "must be 1-64 lower-case letters, digits or . _ @ -"))
    if role is not None and role not in ROLES:
        problems.append(FieldError("role", f"must be one of {', '.join(ROLES)}"))
    if password is not None and (problem := passwords.password_problem(password)):
        problems.append(FieldError("password", problem))
    if problems:
        raise InvalidInput("invalid user", problems)


def create_user(session: Session, username: str, role: str, password: str, actor: Actor | None = None,
                now: datetime | None = None) -> User:
    username = username.strip().lower()
    _validate(username, role, password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"a user named {username!r} already exists")
    now = now or utcnow()
    user = User(username=username, role=role, password_hash=passwords.hash_password(password), created_at=now,
                password_changed_at=now, failed_logins=0)
    session.add(user)
    session.flush()
    append_entry(session, "user_created", actor or Actor(None, None, "cli"), username, {"role": role}, now)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def _by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


def _end_sessions(session: Session, user_id: int) -> None:
    for web_session in session.scalars(select(WebSession).where(WebSession.user_id == user_id)):
        session.delete(web_session)


def set_role(session: Session, user_id: int, role: str, actor: Actor, now: datetime | None = None) -> User:
    _validate(None, role, None)
    user = get_user(session, user_id)
    if user.id == actor.user_id and role != "admin":
        raise Forbidden("an admin cannot take the admin role from themselves")
    if user.role != role:
        append_entry(session, "user_role_changed", actor, user.username, {"from": user.role, "to": role}, now)
        user.role = role
    return user


def set_user_disabled(session: Session, user_id: int, disabled: bool, actor: Actor,
                      now: datetime | None = None) -> User:
    """Disable (ending every session at once) or re-enable an account."""
    now = now or utcnow()
    user = get_user(session, user_id)
    if disabled and user.id == actor.user_id:
        raise Forbidden("an admin cannot disable their own account")
    if disabled and user.disabled_at is None:
        user.disabled_at = now
        _end_sessions(session, user.id)
        append_entry(session, "user_disabled", actor, user.username, {}, now)
    elif not disabled and user.disabled_at is not None:
        user.disabled_at = None
        user.failed_logins = 0
        append_entry(session, "user_enabled", actor, user.username, {}, now)
    return user


def set_password(session: Session, username: str, password: str, actor: Actor, now: datetime | None = None) -> User:
    """Set a new password; the user's sessions end and any throttling is lifted."""
    _validate(None, None, password)
    now = now or utcnow()
    user = _by_name(session, username)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = now
    user.failed_logins = 0
    _end_sessions(session, user.id)
    append_entry(session, "password_set", actor, user.username, {}, now)
    return user


def set_email(session: Session, username: str, email: str | None, actor: Actor, now: datetime | None = None) -> User:
    """Set (or with None/"" clear) where workflow notifications reach the user."""
    from collector.notify.outbox import check_notification

    email = (email or "").strip() or None
    if email is not None:
        try:
            check_notification("email", [email], "x", "")
        except InvalidInput:
            raise InvalidInput("invalid email", [FieldError("email", "must be one address, local@domain")]) from None
    user = _by_name(session, username)
    user.email = email
    append_entry(session, "user_email_set", actor, user.username, {"email": email}, now or utcnow())
    return user


def throttle_delay(failed_logins: int) -> timedelta:
    """How long an account with this many consecutive failures refuses attempts."""
    if failed_logins < THROTTLE_AFTER:
        return timedelta(0)
    return min(THROTTLE_BASE * 2 ** (failed_logins - THROTTLE_AFTER), THROTTLE_MAX)


def attempt_login(session: Session, username: str, password: str, client: str | None,
                  now: datetime | None = None) -> LoginResult:
    """Check a login, update the account's counters and write the audit entry; the caller commits."""
    now = now or utcnow()
    name = username.strip().lower()[:64]
    user = session.scalar(select(User).where(User.username == name).with_for_update())
    anonymous = Actor(None, name or None, client)
    if user is not None and user.failed_logins >= THROTTLE_AFTER and user.last_failed_login_at:
        wait = user.last_failed_login_at + throttle_delay(user.failed_logins) - now
        if wait > timedelta(0):
            append_entry(session, "login_throttled", anonymous, name, {}, now)
            return LoginResult(None, "throttled", int(wait.total_seconds()) + 1)
    if user is None:
        passwords.verify_password(password, passwords.dummy_hash())  # same time as a real check
        append_entry(session, "login_failed", anonymous, name, {"reason": "unknown user"}, now)
        return LoginResult(None, "invalid")
    if not passwords.verify_password(password, user.password_hash) or not user.active:
        user.failed_logins += 1
        user.last_failed_login_at = now
        reason = "disabled account" if user.active is False else "wrong password"
        append_entry(session, "login_failed", anonymous, name, {"reason": reason, "failures": user.failed_logins}, now)
        return LoginResult(None, "invalid")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.failed_logins = 0
    user.last_login_at = now
    append_entry(session, "login", Actor(user.id, user.username, client), user.username, {"role": user.role}, now)
    return LoginResult(user)
