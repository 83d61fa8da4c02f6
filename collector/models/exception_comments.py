"""Comments people leave on an audit exception while working it (the queue's conversation)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models import cmdb as _cmdb, reconcile as _reconcile  # noqa: F401  (tables the keys name)
from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["ExceptionComment"]


class ExceptionComment(Base):
    __tablename__ = "exception_comments"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    exception_id: Mapped[int] = mapped_column(ForeignKey("audit_exceptions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The author's name when they wrote it, so the thread survives the account.
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
