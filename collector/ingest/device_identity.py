"""Which stored device a scanner's sighting is: the ordered identity rules.

A MAC names a device wherever it is seen (``devices.mac``, unique). Without one (SNMP across
a router, a target on another subnet) the strongest evidence the sighting carries decides,
in this order: the vendor's serial number; sysName + sysObjectID (the name an admin gave
one box of one model); and last the IP address, which means something only inside one scan
profile's ranges (report scan id ``profile:<id>:…``), or inside one agent's view when no
profile sent the report: 10.0.0.5 on two sites is two devices. ``devices.identity_key`` holds
the MAC-less identity a device is known by, unique in the database, so two reports (or two
entries of one report) can never make two rows of one device.
"""

from __future__ import annotations

import hashlib

from common.identity import normalize_serial
from common.scan_tasks import profile_id_of
from common.schema import DiscoveredDevice

__all__ = ["IP_PREFIX", "identity_keys", "scan_scope"]

IP_PREFIX = "ip:"
_KEY_MAX = 255  # devices.identity_key is VARCHAR(255)


def scan_scope(scan_id: str, agent_id: str) -> str:
    """What an IP address is unique within: the report's scan profile, else the reporting agent."""
    profile_id = profile_id_of(scan_id)
    return f"profile:{profile_id}" if profile_id is not None else f"agent:{agent_id}"


def identity_keys(seen: DiscoveredDevice, scope: str) -> list[str]:
    """The sighting's MAC-less identities, strongest first (serial, sysName + sysObjectID, scoped IP)."""
    keys = []
    serial = normalize_serial(seen.serial)
    if serial:
        keys.append(_bounded(f"serial:{(seen.vendor or '').strip().lower()}:{serial}"))
    if seen.sys_name and seen.sys_object_id:
        keys.append(_bounded(f"snmp:{seen.sys_object_id.strip()}:{seen.sys_name.strip().lower()}"))
    if seen.ip:
        keys.append(_bounded(f"{IP_PREFIX}{scope}:{seen.ip}"))
    return keys


def _bounded(key: str) -> str:
    # Vendor and serial may each be 255 characters: a longer key is stored as its digest.
    if len(key) <= _KEY_MAX:
        return key
    kind = key.split(":", 1)[0]
    return f"{kind}:blake2b:{hashlib.blake2b(key.encode(), digest_size=32).hexdigest()}"
