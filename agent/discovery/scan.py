"""One scan run: sweep a range, name each responder's vendor and type, build a DiscoveryReport.

The responder's MAC gives the vendor (IEEE registry); with SNMP credentials, each
responder's system group (sysObjectID, sysDescr, sysServices) feeds the classification
table, otherwise its OUI rules make a first guess at the type.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from agent.discovery.arp import sweep
from agent.discovery.classify import DeviceFacts, classify
from agent.discovery.oui import OuiRegistry, default_registry
from agent.discovery.snmp import SnmpCredential, SystemInfo, sweep_system

__all__ = ["arp_scan_report", "load_credentials"]


def arp_scan_report(
    agent_id: str,
    cidr: str,
    interface: str,
    registry: OuiRegistry | None = None,
    allow_public: bool = False,
    timeout_s: float = 1.0,
    retries: int = 1,
    credentials: list[SnmpCredential] | None = None,
    snmp_port: int = 161,
) -> dict:
    """A DiscoveryReport (schema v1, as a dict) for one ARP sweep of ``cidr`` on ``interface``,
    with each responder's SNMP system group when ``credentials`` are given."""
    registry = registry or default_registry()
    started = datetime.now(timezone.utc)
    responders = sweep(cidr, interface, timeout_s=timeout_s, retries=retries, allow_public=allow_public)
    snmp = _poll(responders, credentials, snmp_port) if credentials else {}
    finished = datetime.now(timezone.utc)
    devices = []
    for responder in responders:
        vendor = registry.vendor(responder.mac)
        system = snmp.get(f"{responder.ip}:{snmp_port}")
        facts = DeviceFacts(oui_vendor=vendor)
        device = {"ip": responder.ip, "mac": responder.mac, "oui_vendor": vendor, "found_by": ["arp"],
                  "seen_at": finished.isoformat()}
        if isinstance(system, SystemInfo):
            facts = DeviceFacts(system.sys_object_id, system.sys_descr, system.sys_services, vendor)
            device.update(sys_name=system.sys_name, sys_descr=system.sys_descr, sys_object_id=system.sys_object_id)
            device["found_by"].append("snmp")
        elif system is not None and "no response" not in str(system):
            device["error"] = str(system)[:1000]  # an SNMP agent that refused us: worth a look
        guess = classify(facts)
        device.update(vendor=guess.vendor, device_type=guess.device_type)
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


def _poll(responders, credentials: list[SnmpCredential], port: int) -> dict:
    """The system group of every ARP responder, with bounded concurrency and time."""
    import asyncio

    return asyncio.run(sweep_system([(r.ip, port) for r in responders], credentials, timeout_s=1.0, retries=1))


def load_credentials(path: str) -> list[SnmpCredential]:
    """SNMP credentials from a TOML file (``[[credential]]`` tables), in the order to try them.

    A file, not command-line options: secrets on a command line show in ``ps``.
    """
    import tomllib

    with open(path, "rb") as handle:
        document = tomllib.load(handle)
    credentials = []
    for number, entry in enumerate(document.get("credential", []), 1):
        if not isinstance(entry, dict) or entry.get("version") not in ("2c", "3"):
            raise ValueError(f"{path}: credential {number}: version must be \"2c\" or \"3\"")
        unknown = entry.keys() - set(SnmpCredential._fields)
        if unknown:
            raise ValueError(f"{path}: credential {number}: unknown key {sorted(unknown)[0]!r}")
        credentials.append(SnmpCredential(**{"name": f"credential-{number}", **{k: str(v) for k, v in entry.items()}}))
    if not credentials:
        raise ValueError(f"{path}: no [[credential]] entries")
    return credentials
