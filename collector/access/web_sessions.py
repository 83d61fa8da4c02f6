"""Server-side sessions for the web UI.

The cookie holds 256 random bits; the database keeps their SHA-256 (a stolen database
cannot be replayed as cookies), the user, a per-session CSRF token and two deadlines: an
idle timeout and an absolute lifetime. Logging in always creates a new session (the id
changes at every login, so a planted cookie is worthless), logging out deletes it, and a
disabled account or a new password ends all of a user's sessions.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collector.access.credentials import hash_credential
from collector.models import User, WebSession, utcnow

__all__ = ["ABSOLUTE_LIFETIME", "IDLE_TIMEOUT", "LiveSession", "end_session", "load_session", "start_session", "touch_session"]

IDLE_TIMEOUT = timedelta(hours=1)
ABSOLUTE_LIFETIME = timedelta(hours=12)
# last_seen_at is refreshed at most this often, so reading pages is not a write each.
_TOUCH_INTERVAL = timedelta(minutes=1)
_MAX_COOKIE = 128


@dataclass(frozen=True)
class LiveSession:
    id: str
    user_id: int
    username: str
    role: str
    csrf_token: str
    time_zone: str = "UTC"  # the user's display zone (collector/access/time_zones.py)


def start_session(session: Session, user: User, client: str | None, now: datetime | None = None,
                  replaces: str | None = None) -> str:
    """Create a session for ``user`` (ending ``replaces``, the cookie it had) and return the new cookie value."""
    now = now or utcnow()
    if replaces:
        end_session(session, replaces)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now))
    cookie = secrets.token_urlsafe(32)
    session.add(WebSession(id=hash_credential(cookie), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                           created_at=now, last_seen_at=now, expires_at=now + ABSOLUTE_LIFETIME,
                           client=(client or "")[:64] or None))
    session.flush()
    return cookie


def load_session(session: Session, cookie: str | None, now: datetime | None = None) -> tuple[LiveSession | None, bool]:
    """The live session for ``cookie``, and whether its last_seen_at is due a refresh."""
    if not cookie or len(cookie) > _MAX_COOKIE:
        return None, False
    now = now or utcnow()
    row = session.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                          .where(WebSession.id == hash_credential(cookie))).first()
    if row is None:
        return None, False
    web_session, user = row
    if web_session.expires_at <= now or web_session.last_seen_at + IDLE_TIMEOUT <= now or not user.active:
        return None, False
    live = LiveSession(web_session.id, user.id, user.username, user.role, web_session.csrf_token,
                       user.time_zone or "UTC")
    return live, now - web_session.last_seen_at >= _TOUCH_INTERVAL


def touch_session(session: Session, session_id: str, now: datetime) -> None:
    row = session.get(WebSession, session_id)
    if row is not None:
        row.last_seen_at = now


def end_session(session: Session, cookie: str) -> None:
    if cookie and len(cookie) <= _MAX_COOKIE:
        session.execute(delete(WebSession).where(WebSession.id == hash_credential(cookie)))
