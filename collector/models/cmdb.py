"""The CMDB: configuration items (what the organisation says it owns) and their relationships.

A CI is the record of one thing: imported from the organisation's register (CSV/XLSX), or
created by reconciliation for a discovered device someone accepts. Observations (agent
assets, scanned devices) are matched to CIs by identification rules; each CI keeps the
identifiers and MACs the rules look up, indexed, so matching is hash joins, not scans.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, BigIntPK, UtcDateTime, utcnow

__all__ = ["CI_CLASSES", "CI_STATUSES", "CiClass", "CiMac", "CiRelationship", "CiStatus", "ConfigurationItem"]


class CiClass(str, Enum):
    COMPUTER = "computer"
    SERVER = "server"
    VIRTUAL_MACHINE = "virtual_machine"
    NETWORK_DEVICE = "network_device"
    PRINTER = "printer"
    PHONE = "phone"
    PERIPHERAL = "peripheral"
    OTHER = "other"


class CiStatus(str, Enum):
    """Lifecycle, in order."""

    ORDERED = "ordered"
    IN_STOCK = "in_stock"
    DEPLOYED = "deployed"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"
    DISPOSED = "disposed"


CI_CLASSES = tuple(c.value for c in CiClass)
CI_STATUSES = tuple(s.value for s in CiStatus)


class ConfigurationItem(Base):
    __tablename__ = "cis"
    __table_args__ = (
        Index("ix_cis_serial", "serial"),
        Index("ix_cis_hostname", "hostname"),
        Index("ix_cis_smbios_uuid", "smbios_uuid"),
        Index("ix_cis_fqdn", "fqdn"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ci_class: Mapped[str] = mapped_column(String(32), default=CiClass.COMPUTER.value)
    asset_tag: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    # Identifiers, stored normalised (common.identity) so the rules compare like with like.
    serial: Mapped[str | None] = mapped_column(String(255))
    vendor: Mapped[str | None] = mapped_column(String(255))
    model: Mapped[str | None] = mapped_column(String(255))
    hostname: Mapped[str | None] = mapped_column(String(255))
    fqdn: Mapped[str | None] = mapped_column(String(255))
    smbios_uuid: Mapped[str | None] = mapped_column(String(36))
    ip: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default=CiStatus.DEPLOYED.value, index=True)
    assigned_user: Mapped[str | None] = mapped_column(String(255))
    department: Mapped[str | None] = mapped_column(String(255))
    location: Mapped[str | None] = mapped_column(String(255))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    po_number: Mapped[str | None] = mapped_column(String(255))
    supplier: Mapped[str | None] = mapped_column(String(255))
    warranty_end: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    # Register columns without a CI field (a Snipe-IT custom field, GLPI's Entity...), kept by
    # header name: {"RAM": "16 GB"}. None when there are none.
    attributes: Mapped[dict | None] = mapped_column(JSON)
    # Where the record came from: "import" (the register) or "reconcile" (accepted from discovery).
    source: Mapped[str] = mapped_column(String(32), default="import")
    import_batch: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class CiMac(Base):
    """A MAC address the register lists for a CI (one row per MAC, indexed for the MAC rule)."""

    __tablename__ = "ci_macs"
    __table_args__ = (UniqueConstraint("ci_id", "mac"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ci_id: Mapped[int] = mapped_column(ForeignKey("cis.id", ondelete="CASCADE"), index=True)
    mac: Mapped[str] = mapped_column(String(17), index=True)


class CiRelationship(Base):
    """runs_on (VM → host), connected_to (device → switch CI, with the port), assigned_to (→ user)."""

    __tablename__ = "ci_relationships"
    __table_args__ = (UniqueConstraint("ci_id", "kind", "target_ci_id", "target"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    ci_id: Mapped[int] = mapped_column(ForeignKey("cis.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    target_ci_id: Mapped[int | None] = mapped_column(ForeignKey("cis.id", ondelete="CASCADE"), index=True)
    # Free text target when it is not a CI (a user name, a port name).
    target: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32), default="import")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
