"""Identity normalisation shared by the agent and the collector.

Two machines are the same machine only if their identifiers say so, and firmware lies:
motherboards ship with "To be filled by O.E.M." serials, cloned VMs share SMBIOS UUIDs,
USB NICs and docking stations move one MAC across many laptops. Every identifier that
crosses the wire goes through these functions so that both sides agree on what a value
is and on which values can never identify anything. Standard library only.
"""

from __future__ import annotations

import re
import uuid
from typing import NamedTuple

__all__ = [
    "MacInfo",
    "VIRTUAL_MAC_PREFIXES",
    "classify_mac",
    "is_junk_serial",
    "normalize_hostname",
    "normalize_mac",
    "normalize_serial",
    "normalize_uuid",
]

# Placeholder strings that BIOS vendors and OEM tools leave in SMBIOS fields (dmidecode
# output seen in the field; compared case-insensitively after whitespace is collapsed).
_JUNK_SERIALS = frozenset(
    s.casefold()
    for s in (
        "To be filled by O.E.M.",
        "To Be Filled By O.E.M.",
        "Default string",
        "Default",
        "System Serial Number",
        "Chassis Serial Number",
        "Base Board Serial Number",
        "SerialNumber",
        "Serial Number",
        "Serial",
        "Not Specified",
        "Not Available",
        "Not Applicable",
        "Not Present",
        "None",
        "N/A",
        "NA",
        "Unknown",
        "Invalid",
        "OEM",
        "O.E.M.",
        "Empty",
        "No Asset Tag",
        "No Asset Information",
        "Asset Tag",
        "$(DEFAULT_STRING)",
        "Type1ProductConfigId",
        "123456789",
        "1234567890",
        "0123456789",
        "12345678",
        "0x00000000",
        "VMware-",
        "<private>",  # agents that hide their serial (Ubiquiti, some printers)
    )
)
# A serial made of one repeated character ("0", "00000000", "XXXXXXX", "-----").
_REPEATED_CHAR = re.compile(r"^(.)\1*$")
_WHITESPACE = re.compile(r"\s+")

# SMBIOS UUIDs that many unrelated boards report (all-zero, all-F, and the
# "03000200-0400-0500-0006-000700080009" placeholder of some AMI BIOS builds).
_JUNK_UUIDS = frozenset(
    {
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "03000200-0400-0500-0006-000700080009",
        "01234567-89ab-cdef-0123-456789abcdef",
    }
)

# OUIs of hypervisors and container runtimes (IEEE assignments to VMware, Microsoft
# Hyper-V, Oracle VirtualBox, Xen, QEMU/KVM, Parallels). A MAC under one of these
# belongs to a virtual NIC, which says nothing about the physical machine.
VIRTUAL_MAC_PREFIXES: dict[str, str] = {
    "00:50:56": "VMware",
    "00:0c:29": "VMware",
    "00:05:69": "VMware",
    "00:1c:14": "VMware",
    "00:15:5d": "Microsoft Hyper-V",
    "08:00:27": "VirtualBox",
    "0a:00:27": "VirtualBox",
    "00:16:3e": "Xen",
    "52:54:00": "QEMU/KVM",
    "00:1c:42": "Parallels",
    "02:42:ac": "Docker",
}

_HEX12 = re.compile(r"^[0-9a-f]{12}$")
_MAC_SEPARATORS = re.compile(r"[:\-.\s]")


class MacInfo(NamedTuple):
    """A canonical MAC and what its bits and OUI say about it."""

    mac: str
    locally_administered: bool
    multicast: bool
    virtual_vendor: str | None

    @property
    def is_identifying(self) -> bool:
        """Whether this MAC may identify a physical machine (IEEE-assigned, unicast, not a hypervisor's)."""
        return not (self.locally_administered or self.multicast or self.virtual_vendor)


def normalize_mac(value: str | None) -> str | None:
    """Return the MAC as ``aa:bb:cc:dd:ee:ff``, or None when it is not a usable MAC.

    Accepts the colon, dash, Cisco dotted (``aabb.ccdd.eeff``) and bare hex forms.
    All-zero and broadcast addresses are rejected: they identify nothing.
    """
    if not value:
        return None
    hex12 = _MAC_SEPARATORS.sub("", value.strip().lower())
    if not _HEX12.match(hex12) or hex12 in ("000000000000", "ffffffffffff"):
        return None
    return ":".join(hex12[i : i + 2] for i in range(0, 12, 2))


def classify_mac(value: str | None) -> MacInfo | None:
    """Normalise a MAC and flag locally administered (randomised), multicast and virtual ones."""
    mac = normalize_mac(value)
    if mac is None:
        return None
    first_octet = int(mac[:2], 16)
    return MacInfo(
        mac=mac,
        # IEEE 802: bit 1 of the first octet marks a locally administered address,
        # which is what randomised Wi-Fi MACs, bridges, veth and Docker use.
        locally_administered=bool(first_octet & 0x02),
        multicast=bool(first_octet & 0x01),
        virtual_vendor=VIRTUAL_MAC_PREFIXES.get(mac[:8]),
    )


def normalize_serial(value: str | None) -> str | None:
    """Return a trimmed serial number, or None when it is a known placeholder."""
    if value is None:
        return None
    serial = _WHITESPACE.sub(" ", value).strip()
    if is_junk_serial(serial):
        return None
    return serial


def is_junk_serial(serial: str) -> bool:
    """True for empty, placeholder and repeated-character serials, which identify nothing."""
    folded = serial.strip().casefold()
    return (
        len(folded) < 3
        or folded in _JUNK_SERIALS
        or bool(_REPEATED_CHAR.match(folded))
        or folded.startswith("to be filled")
    )


def normalize_uuid(value: str | None) -> str | None:
    """Return an SMBIOS/system UUID in canonical lower-case form, or None when it is junk."""
    if not value:
        return None
    try:
        canonical = str(uuid.UUID(value.strip()))
    except ValueError:
        return None
    if canonical in _JUNK_UUIDS or _REPEATED_CHAR.match(canonical.replace("-", "")):
        return None
    return canonical


_HOSTNAME_JUNK = frozenset({"localhost", "localhost.localdomain", "(none)", "unknown", "localdomain"})


def normalize_hostname(value: str | None) -> str | None:
    """Return a lower-case host name without a trailing dot, or None for placeholders."""
    if not value:
        return None
    name = value.strip().rstrip(".").lower()
    if not name or name in _HOSTNAME_JUNK:
        return None
    return name
