"""People who use the web UI, and their server-side sessions.

A user has one role (``auditor`` < ``operator`` < ``admin``, the API tokens' ordering). There
are no default accounts: the first admin is created from the command line. Sessions live in
the database, not in a signed cookie, so that any collector node behind a load balancer can
read them, logging out or disabling a user ends them at once, and the cookie carries only a
random id whose SHA-256 is the key here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UtcDateTime, utcnow

__all__ = ["User", "WebSession"]


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    # Where workflow notifications (SLA breaches) reach them; optional.
    email: Mapped[str | None] = mapped_column(String(320))
    # "scrypt$n$r$p$salt$hash" (collector.access.passwords): parameters travel with the hash.
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Consecutive failed logins since the last success: throttling is per account and in the
    # database, so it holds across workers and nodes.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # IANA zone the web UI shows times in (collector/access/time_zones.py); None: UTC. Exports
    # and the API stay in UTC whatever this says.
    time_zone: Mapped[str | None] = mapped_column(String(64))

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class WebSession(Base):
    """A logged-in browser. ``id`` is the SHA-256 of the cookie value, never the value itself."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Per-session CSRF token that every form posts back.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    client: Mapped[str | None] = mapped_column(String(64))
