"""One scan run: sweep a range, name each responder's vendor and type, build a DiscoveryReport.

ARP-only for now: the responder's MAC gives the vendor (IEEE registry) and the OUI rules
of the classification table a first guess at its type; SNMP polling adds system group,
interfaces, serials and neighbours on top.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from agent.discovery.arp import sweep
from agent.discovery.classify import DeviceFacts, classify
from agent.discovery.oui import OuiRegistry, default_registry

__all__ = ["arp_scan_report"]


def arp_scan_report(
    agent_id: str,
    cidr: str,
    interface: str,
    registry: OuiRegistry | None = None,
    allow_public: bool = False,
    timeout_s: float = 1.0,
    retries: int = 1,
) -> dict:
    """A DiscoveryReport (schema v1, as a dict) for one ARP sweep of ``cidr`` on ``interface``."""
    registry = registry or default_registry()
    started = datetime.now(timezone.utc)
    responders = sweep(cidr, interface, timeout_s=timeout_s, retries=retries, allow_public=allow_public)
    finished = datetime.now(timezone.utc)
    devices = []
    for responder in responders:
        vendor = registry.vendor(responder.mac)
        guess = classify(DeviceFacts(oui_vendor=vendor))
        device = {"ip": responder.ip, "mac": responder.mac, "oui_vendor": vendor, "vendor": guess.vendor,
                  "device_type": guess.device_type, "found_by": ["arp"], "seen_at": finished.isoformat()}
        devices.append({k: v for k, v in device.items() if v is not None})
    return {
        "schema_version": 1,
        "report_id": str(uuid.uuid4()),
        "agent_id": agent_id,
        "scan_id": f"arp-{cidr}-{started:%Y%m%dT%H%M%SZ}",
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "devices": devices,
    }
