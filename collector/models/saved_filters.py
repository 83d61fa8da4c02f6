"""A person's named view of a list: the filter and sort they come back to.

One row per (user, list, name). ``query`` is the list's query string without its page or
cursor, so applying it opens page 1 of the same selection.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["SavedFilter"]


class SavedFilter(Base):
    __tablename__ = "saved_filters"
    # Also the index of "this person's filters for this list" (its leading columns).
    __table_args__ = (UniqueConstraint("user_id", "list_name", "name"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    list_name: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
