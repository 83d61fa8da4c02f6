"""Installed software as a shared catalogue plus per-asset links.

Most packages repeat across a fleet (the same libc on ten thousand hosts), so each
distinct (name, version, publisher, arch, source) is stored once and assets link to it;
a changed report applies the set difference of links instead of rewriting 1,500 rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["AssetSoftware", "Software"]


class Software(Base):
    __tablename__ = "software"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # blake2b-128 of the identifying fields: one indexed lookup per package.
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str | None] = mapped_column(String(255))
    publisher: Mapped[str | None] = mapped_column(String(255))
    arch: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AssetSoftware(Base):
    __tablename__ = "asset_software"

    # No foreign key either (migration 0030): it cost a trigger call per link, 1,500 per new
    # machine, and Stocktake never deletes an asset.
    asset_id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # No foreign key on purpose: catalogue rows are never deleted, and an FK would take a
    # FOR KEY SHARE lock on 1,500 shared, hot catalogue rows for every new asset (row
    # writes and multixacts under concurrency) to protect against nothing.
    software_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    install_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The observation in which this package first appeared on this asset. A provenance
    # pointer, not a foreign key: old observations age out, the facts they introduced stay
    # (and 1,500 links per new asset need no per-row constraint check).
    observation_id: Mapped[int] = mapped_column(BigInteger)
