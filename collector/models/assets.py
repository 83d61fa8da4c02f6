"""Assets: the current view of each agent-reported machine, derived from its observations.

Every fact row names the observation it came from, so the API can say when and from
which report a value was learnt. Reconciliation against the CMDB builds on these rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["Asset", "AssetDisk", "AssetNic"]


class Asset(Base):
    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), unique=True)
    hostname: Mapped[str] = mapped_column(String(255), index=True)
    fqdn: Mapped[str | None] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    smbios_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    machine_id: Mapped[str | None] = mapped_column(String(64))
    serial: Mapped[str | None] = mapped_column(String(255), index=True)
    vendor: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    chassis_type: Mapped[str | None] = mapped_column(String(255))
    asset_tag: Mapped[str | None] = mapped_column(String(255))
    bios_vendor: Mapped[str | None] = mapped_column(String(255))
    bios_version: Mapped[str | None] = mapped_column(String(255))
    bios_date: Mapped[str | None] = mapped_column(String(255))
    os_name: Mapped[str | None] = mapped_column(String(255))
    os_version: Mapped[str | None] = mapped_column(String(255))
    os_build: Mapped[str | None] = mapped_column(String(255))
    kernel: Mapped[str | None] = mapped_column(String(255))
    arch: Mapped[str | None] = mapped_column(String(64))
    os_install_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    boot_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    timezone: Mapped[str | None] = mapped_column(String(64))
    cpu_model: Mapped[str | None] = mapped_column(String(255))
    cpu_sockets: Mapped[int | None] = mapped_column(Integer)
    cpu_cores: Mapped[int | None] = mapped_column(Integer)
    cpu_threads: Mapped[int | None] = mapped_column(Integer)
    memory_bytes: Mapped[int | None] = mapped_column(BigInteger)
    memory_modules: Mapped[list | None] = mapped_column(JSON)
    logged_in_users: Mapped[list | None] = mapped_column(JSON)
    primary_user: Mapped[str | None] = mapped_column(String(255))
    probe_errors: Mapped[list | None] = mapped_column(JSON)
    software_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # The observation the hardware/OS facts above were taken from.
    observation_id: Mapped[int | None] = mapped_column(
        ForeignKey("observations.id", ondelete="SET NULL", use_alter=True)
    )


class AssetNic(Base):
    __tablename__ = "asset_nics"
    __table_args__ = (Index("ix_asset_nics_mac", "mac"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    mac: Mapped[str | None] = mapped_column(String(17))
    ipv4: Mapped[list] = mapped_column(JSON, default=list)
    ipv6: Mapped[list] = mapped_column(JSON, default=list)
    speed_mbps: Mapped[int | None] = mapped_column(Integer)
    virtual: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str | None] = mapped_column(String(64))
    # Flags from common.identity.classify_mac, kept for reconciliation's MAC rules.
    locally_administered: Mapped[bool] = mapped_column(Boolean, default=False)
    # Provenance pointer (not a foreign key: observations age out, facts stay).
    observation_id: Mapped[int] = mapped_column(BigInteger)


class AssetDisk(Base):
    __tablename__ = "asset_disks"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    type: Mapped[str | None] = mapped_column(String(64))
    # Provenance pointer (not a foreign key: observations age out, facts stay).
    observation_id: Mapped[int] = mapped_column(BigInteger)
