"""Devices found on the network by scanners (ARP, SNMP), linked to an asset when one matches.

A device is keyed by its MAC when the scanner saw one (ARP always does), else by
``identity_key``: serial, sysName + sysObjectID, or IP within a scan profile
(``collector/ingest/device_identity.py``). An unlinked device is an unmanaged one: on the
network, but with no agent and no asset record. A switch's forwarding table places devices on its ports (``switch_device_id``/``switch_port``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["Device"]


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_ip", "ip"), Index("ix_devices_serial", "serial"))

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    mac: Mapped[str | None] = mapped_column(String(17), unique=True)
    # The MAC-less identity it is known by (NULL for a device only ever known by its MAC).
    identity_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    sys_name: Mapped[str | None] = mapped_column(String(255))
    sys_descr: Mapped[str | None] = mapped_column(Text)
    sys_object_id: Mapped[str | None] = mapped_column(String(255))
    serial: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    oui_vendor: Mapped[str | None] = mapped_column(String(255))
    device_type: Mapped[str | None] = mapped_column(String(64))
    firmware: Mapped[str | None] = mapped_column(String(255))  # the OS or firmware version the box runs
    # A printer's lifetime page counter (Printer-MIB), and when it was read: usage and lease checks.
    page_count: Mapped[int | None] = mapped_column(BigInteger)
    page_count_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    found_by: Mapped[list] = mapped_column(JSON, default=list)
    # The asset this device is (an agent-reported machine), and why we think so.
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id", ondelete="SET NULL"), index=True)
    link_reason: Mapped[str | None] = mapped_column(String(255))
    last_seen_by: Mapped[str | None] = mapped_column(String(36))
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    # Provenance pointer to the discovery observation (not a foreign key: observations age out).
    observation_id: Mapped[int | None] = mapped_column(BigInteger)
    # Where it plugs in: the switch whose forwarding table learnt its MAC on an edge port.
    switch_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    switch_port: Mapped[str | None] = mapped_column(String(255))
    port_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    switch: Mapped[Device | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)
