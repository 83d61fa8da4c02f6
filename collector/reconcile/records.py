"""The plain records reconciliation works on: observed subjects and CMDB items, loaded once.

Rules run on these in memory (dict lookups: hash joins), never row by row against the
database, so the full run and the incremental run share one implementation and give the
same answer for the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

__all__ = ["CiRecord", "Subject", "serial_key", "vendor_key"]

# Vendor spellings seen in SMBIOS, SNMP and purchase records, reduced to one key.
_VENDOR_ALIASES = {
    "hewlett": "hp", "hewlett-packard": "hp", "hp": "hp", "hpe": "hp", "dell": "dell", "lenovo": "lenovo",
    "apple": "apple", "microsoft": "microsoft", "cisco": "cisco", "cisco systems": "cisco", "juniper": "juniper",
    "asustek": "asus", "asus": "asus", "acer": "acer", "fujitsu": "fujitsu", "toshiba": "toshiba",
    "supermicro": "supermicro", "super micro": "supermicro", "vmware": "vmware", "brother": "brother",
    "kyocera": "kyocera", "ricoh": "ricoh", "xerox": "xerox", "lexmark": "lexmark", "canon": "canon",
}


@lru_cache(maxsize=4096)
def vendor_key(vendor: str | None) -> str | None:
    """``"Hewlett-Packard Company"``, ``"HP"`` and ``"HPE"`` → ``"hp"``; None when unknown."""
    if not vendor:
        return None
    folded = " ".join(vendor.casefold().replace(",", " ").replace(".", " ").split())
    for alias, key in _VENDOR_ALIASES.items():
        if folded == alias or folded.startswith(alias + " ") or folded.startswith(alias + "-"):
            return key
    return folded.split(" ")[0] or None


def serial_key(serial: str | None) -> str | None:
    """Serials compare case-insensitively (registers retype them; firmware does not care)."""
    return serial.upper() if serial else None


@dataclass(frozen=True, slots=True)
class Subject:
    """Something observed: an agent-reported asset or a scanned device."""

    key: tuple[str, int]  # (kind, id), kept whole: it is the dictionary key everywhere
    kind: str  # "asset" or "device"
    id: int
    source: str  # "agent", "snmp" or "arp": what vouches for the values below
    serial: str | None
    vendor: str | None
    model: str | None
    uuid: str | None
    macs: frozenset[str]  # universally administered, physical MACs only
    hostname: str | None  # short name, lower case
    fqdn: str | None
    ip: str | None
    assigned_user: str | None
    location: str | None
    last_seen_at: datetime
    evidence: str  # "agent report <id> at <time>": what the explanation cites
    # What tells two machines apart when they share an identifier and show no physical MAC or
    # serial (cloned VMs: placeholder serial, hypervisor MACs only): the reporting agent, when it
    # first reported, and hardware facts (CPU model, memory size).
    agent: str | None = None
    first_seen_at: datetime | None = None
    hardware: tuple | None = None
    # The switch port a forwarding table last placed it on: (switch device id, port name); its
    # location, once the switch's CI is known, comes from that source (reconcile/ports.py).
    port: tuple[int, str] | None = None
    location_source: str | None = None


@dataclass(frozen=True, slots=True)
class CiRecord:
    id: int
    ci_class: str
    asset_tag: str | None
    name: str | None
    serial: str | None
    vendor: str | None
    model: str | None
    uuid: str | None
    macs: frozenset[str]
    hostname: str | None  # short name, lower case
    fqdn: str | None
    ip: str | None
    status: str
    assigned_user: str | None
    location: str | None

    @property
    def label(self) -> str:
        return f"CI {self.id}" + (f" ({self.asset_tag})" if self.asset_tag else "")
