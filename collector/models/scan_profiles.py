"""Scan profiles: what a scanner agent sweeps, on which interface, how often, with which SNMP credentials.

ARP reaches only the scanner's own segment, so a profile is assigned to the agents that sit
on it (like OCS IpDiscover); they receive it at check-in. The SNMP credentials are kept
only as a Fernet token (collector.scanning.crypto) and leave the collector decrypted only
in the check-in answer of an assigned agent; what people may see of them (name, version,
SNMPv3 user) is kept beside the token so that reading a profile never needs the key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from collector.models.base import Base, UtcDateTime, utcnow

__all__ = ["ScanAssignment", "ScanProfile"]


class ScanProfile(Base):
    __tablename__ = "scan_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    ranges: Mapped[list] = mapped_column(JSON)  # IPv4 CIDRs, validated by common.scan_ranges
    interface: Mapped[str] = mapped_column(String(15))  # Linux IFNAMSIZ - 1
    allow_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # This profile's cap on the addresses its ranges cover (at most config.scan_max_addresses).
    max_addresses: Mapped[int] = mapped_column(Integer)
    interval_s: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    credentials_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    credentials_summary: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The newest DiscoveryReport an assigned agent delivered for this profile, and which agent.
    last_report_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_report_by: Mapped[str | None] = mapped_column(String(36))

    def __repr__(self) -> str:  # never the credentials
        return f"ScanProfile(id={self.id!r}, name={self.name!r})"


class ScanAssignment(Base):
    """An agent that runs a profile (many-to-many)."""

    __tablename__ = "scan_profile_agents"

    profile_id: Mapped[int] = mapped_column(ForeignKey("scan_profiles.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True, index=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
