"""The notification outbox: one row per message to send, written in the transaction of its cause.

A row exists if and only if the event that caused it committed (the transactional outbox
pattern); delivery (``collector/notify/delivery.py``) reads due rows later, outside any
request. Delivery is at least once: a deliverer that dies between sending and marking the
row sent leaves a claim that expires, and the row is sent again; receivers deduplicate on
the Message-ID (email) or the ``id`` in the webhook body, both derived from the row id.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["Notification", "NotificationKind", "NotificationStatus"]


class NotificationKind(str, Enum):
    EMAIL = "email"  # recipient: one email address
    WEBHOOK = "webhook"  # recipient: the name of a webhook in the config (webhook_urls)


class NotificationStatus(str, Enum):
    PENDING = "pending"  # waiting for due_at
    SENDING = "sending"  # claimed by a deliverer until claimed_until
    SENT = "sent"
    FAILED = "failed"  # permanently refused, or out of attempts: last_error says why


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # One row per event and recipient: enqueueing the same event twice sends once. NULL
        # keys never collide (both backends treat NULLs as distinct), so no key, no dedupe.
        UniqueConstraint("dedupe_key", "kind", "recipient"),
        Index("ix_notifications_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320))  # RFC 5321 caps an address at 320 octets
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # A deliverer's claim: its token, and when the claim lapses if it dies mid-send.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
