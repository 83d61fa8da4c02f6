"""Exception scope: admins' suppression rules, and the exceptions a run did not raise and why.

A suppression rule names who owns it, why, and when it expires (an expired rule stops
suppressing at the next run), so accepted noise is a decision someone answers for rather than
a filter nobody remembers. ``QuietedException`` is each run's record of what it did not raise
(by the unmanaged policy or by a rule): the discovered-node listing and the reconciliation
report read it, so "not registered, no exception by policy" is visible with its reason.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["QuietedException", "SuppressionRule"]


class SuppressionRule(Base):
    __tablename__ = "suppression_rules"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # Matchers, all given ones must match: a MAC or OUI prefix ("00:1b:a9" or a whole MAC),
    # an IP network in CIDR form, a device type, an exception kind.
    mac_prefix: Mapped[str | None] = mapped_column(String(17))
    ip_range: Mapped[str | None] = mapped_column(String(64))
    device_type: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QuietedException(Base):
    """An exception the last run that judged it did not raise: by policy (``rule_id`` NULL) or by a rule."""

    __tablename__ = "quieted_exceptions"
    __table_args__ = (Index("ix_quieted_exceptions_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    open_key: Mapped[str] = mapped_column(String(255), unique=True)  # the key it would be open under
    kind: Mapped[str] = mapped_column(String(32))
    ci_id: Mapped[int | None] = mapped_column(BigInteger)
    subject_type: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # "policy" or "suppression"
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("suppression_rules.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)  # what the exception would have said
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
