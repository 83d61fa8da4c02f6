"""What reconciliation concluded: matches with their explanation, per-CI state, audit exceptions, runs.

Everything here is derived from observations and CIs by the rules, so a run can be repeated
and explained. Rows are rewritten only where a run's answer changed: an unchanged fleet costs
a read, not 100,000 writes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["AuditException", "CiMatch", "CiState", "ReconcileRun"]


class CiMatch(Base):
    """One observed subject (an agent asset or a scanned device) and the CI it was matched to."""

    __tablename__ = "ci_matches"
    __table_args__ = (UniqueConstraint("subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(16))  # "asset" or "device"
    subject_id: Mapped[int] = mapped_column(BigInteger)
    # NULL when the subject matched no CI (unmanaged) or several (duplicate): outcome says which.
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("cis.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # matched, unmanaged, duplicate
    rule: Mapped[str | None] = mapped_column(String(32))
    explanation: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CiState(Base):
    """Per CI: the authoritative value of each attribute and when it was last seen.

    ``observed`` maps attribute -> [value, source, seen_at ISO or None for the register]: lists,
    not objects, because 100,000 of them are built and compared on every full run."""

    __tablename__ = "ci_state"

    ci_id: Mapped[int] = mapped_column(ForeignKey("cis.id", ondelete="CASCADE"), primary_key=True)
    observed: Mapped[dict] = mapped_column(JSON, default=dict)
    # A digest of ``observed``: runs compare it instead of decoding 100,000 JSON documents.
    fingerprint: Mapped[str] = mapped_column(String(32), default="")
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    run_id: Mapped[int | None] = mapped_column(BigInteger)


class AuditException(Base):
    """A difference someone must close. One open exception per (CI or subject, kind): ``open_key``
    is set while open and cleared on resolution, so a unique index enforces it on both backends."""

    __tablename__ = "audit_exceptions"
    __table_args__ = (Index("ix_audit_exceptions_kind_status", "kind", "status"),
                      Index("ix_audit_exceptions_subject", "subject_type", "subject_id"),
                      # The queue sorted by kind or by status, ties by id (web/exceptions, issue 14).
                      Index("ix_audit_exceptions_kind_id", "kind", "id"),
                      Index("ix_audit_exceptions_status_id", "status", "id"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # unmanaged, missing, drift, duplicate, conflict, cloned_identity
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, acknowledged, resolved
    open_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    ci_id: Mapped[int | None] = mapped_column(ForeignKey("cis.id", ondelete="SET NULL"), index=True)
    subject_type: Mapped[str | None] = mapped_column(String(16))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    fingerprint: Mapped[str] = mapped_column(String(32), default="")  # digest of summary + evidence
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    opened_run_id: Mapped[int | None] = mapped_column(BigInteger)
    resolved_run_id: Mapped[int | None] = mapped_column(BigInteger)
    # Triage (web UI): who works it, and who acknowledged it. An acknowledged exception keeps
    # its open_key: it stays open for reconciliation until its condition clears.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ReconcileRun(Base):
    __tablename__ = "reconcile_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # full, incremental
    dry_run: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, finished, failed
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    # Measured wall time of the run, in milliseconds (the run's ``now`` may be a fixed clock).
    duration_ms: Mapped[int | None] = mapped_column(Integer)
