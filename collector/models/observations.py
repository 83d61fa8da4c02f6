"""Observations: every report as received, append-only, with its source and time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["Observation", "ReportReceipt"]


class Observation(Base):
    """One distinct content reported by one source about one asset.

    A new row is written whenever the content changes; a report identical to the last
    one only advances ``last_collected_at``/``last_report_id``/``report_count`` (so an
    hourly fleet does not store the same 1,500 packages 24 times a day). ``payload``
    keeps the canonical report, zlib-compressed, so reconciliation can be re-run.
    """

    __tablename__ = "observations"
    __table_args__ = (Index("ix_observations_asset_id_id", "asset_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    schema_version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    report_id: Mapped[str] = mapped_column(String(36))
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_report_id: Mapped[str] = mapped_column(String(36))
    last_collected_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    report_count: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)


class ReportReceipt(Base):
    """Proof that a report id was accepted, so a retried upload is stored once."""

    __tablename__ = "report_receipts"

    report_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
