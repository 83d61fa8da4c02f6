"""The audit log: who logged in, who failed to, who exported what, who changed an exception.

Append-only and hash-chained: each row stores the SHA-256 of the previous row's hash and its
own content, so editing, removing or inserting a row anywhere breaks the chain from there on
(``collector.access.audit_log.verify_chain`` finds where). Ids are contiguous by
construction and ``prev_hash`` is unique, so the chain cannot fork. A database trigger also
refuses UPDATE (and DELETE on PostgreSQL) of existing rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime

__all__ = ["AuditLogEntry"]


class AuditLogEntry(Base):
    __tablename__ = "audit_log"

    # Assigned by the appender (previous id + 1) so that the id is part of the hashed content.
    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # Username at the time (kept even if the account is later removed), and its id.
    actor: Mapped[str | None] = mapped_column(String(64), index=True)  # the audit page's filters
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str | None] = mapped_column(String(255), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    client: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(String(64))
