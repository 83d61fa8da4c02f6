"""One scan run: find devices, name each one's vendor and type, build a DiscoveryReport.

Two ways in: an ARP sweep of a local range (``arp_scan_report``), or an explicit list of
SNMP targets (``snmp_scan_report``: devices on other subnets, simulated devices). With
SNMP credentials each device's system group is polled, and by default (``deep``) the
full poll follows (agent.discovery.poll): chassis serial and model, interfaces, host
resources, printer counters, neighbours. What routers and switches know about others
adds devices: ARP-cache entries (found_by router_arp, often on subnets no sweep reaches)
and learnt MACs (found_by switch_fdb), merged with the rest by MAC.
"""

from __future__ import annotations

import asyncio
import ipaddress
import uuid
from datetime import datetime, timezone

from agent.discovery.arp_engine import arp_sweep
from agent.discovery.classify import DeviceFacts, classify
from agent.discovery.oui import OuiRegistry, default_registry
from agent.discovery.poll import DevicePoll, PollLimits, PollTarget, poll_devices
from agent.discovery.snmp import SnmpCredential, SnmpError, SystemInfo
from agent.discovery.snmp_sweep import sweep_snmp
from common.device_types import NETWORK_DEVICE_TYPES
from common.scan_ranges import MAX_SWEEP_ADDRESSES, is_internal

__all__ = ["MAX_DEVICES", "arp_scan_report", "load_credentials", "snmp_scan_report"]

MAX_DEVICES = 65_536  # common.schema.DiscoveryReport.devices


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
    deep: bool = True,
    limits: PollLimits | None = None,
    engine: str = "auto",
) -> dict:
    """A DiscoveryReport (schema v1, as a dict) for one ARP sweep of ``cidr`` on ``interface``.

    With ``credentials`` every responder's SNMP system group is polled, and with ``deep``
    (the default) each responder that answered is polled in full. ``engine`` is the ARP
    engine (agent.discovery.arp_engine: auto, raw or scapy)."""
    registry = registry or default_registry()
    started = datetime.now(timezone.utc)
    responders = arp_sweep(cidr, interface, engine, allow_public, timeout_s=timeout_s, retries=retries)
    targets = [(responder.ip, snmp_port) for responder in responders]
    systems, polls = _snmp(targets, credentials, deep, limits) if credentials else ({}, {})
    seen_at = datetime.now(timezone.utc).isoformat()
    devices, polled = [], []
    for responder in responders:
        key = f"{responder.ip}:{snmp_port}"
        devices.append(_device(responder.ip, responder.mac, "arp", systems.get(key), polls.get(key), registry, seen_at))
        if key in polls:
            polled.append((devices[-1], polls[key]))
    _add_learnt(devices, polled, registry, seen_at)
    return _report(agent_id, f"arp-{cidr}", started, devices)


def snmp_scan_report(
    agent_id: str,
    targets: list[tuple[str, int]],
    credentials: list[SnmpCredential],
    registry: OuiRegistry | None = None,
    deep: bool = True,
    limits: PollLimits | None = None,
    concurrency: int = 64,
) -> dict:
    """A DiscoveryReport for explicit SNMP targets ``(host, port)``, without an ARP sweep.

    A target that answers becomes a device (its MAC from the interface carrying the
    polled address, when the device lists it); one that refuses the credentials is
    reported with the error; one that stays silent is left out: nothing says it exists."""
    if not credentials:
        raise ValueError("an SNMP scan needs at least one credential")
    registry = registry or default_registry()
    started = datetime.now(timezone.utc)
    systems, polls = _snmp(targets, credentials, deep, limits, concurrency)
    seen_at = datetime.now(timezone.utc).isoformat()
    devices, polled = [], []
    for host, port in targets:
        system, poll = systems.get(f"{host}:{port}"), polls.get(f"{host}:{port}")
        if isinstance(system, SystemInfo) or (system is not None and "no response" not in str(system)):
            devices.append(_device(host, poll.mac_of(host) if poll else None, "snmp", system, poll, registry, seen_at))
            if poll is not None:
                polled.append((devices[-1], poll))
    _add_learnt(devices, polled, registry, seen_at)
    return _report(agent_id, f"snmp-{len(targets)}", started, devices)


def snmp_targets(texts: list[str], allow_public: bool = False, limit: int = MAX_SWEEP_ADDRESSES) -> list[tuple[str, int]]:
    """``HOST[:PORT]`` texts as (IPv4 address, port) pairs; ValueError naming the first bad one.

    Loopback is allowed (simulated devices on this machine); multicast, broadcast and
    unspecified addresses never; public addresses only with ``allow_public``."""
    if len(texts) > limit:
        raise ValueError(f"{len(texts)} SNMP targets; at most {limit} per scan")
    targets = []
    for text in texts:
        host, _, port = text.partition(":")
        try:
            address = ipaddress.IPv4Address(host)
            number = int(port) if port else 161
        except ValueError:
            raise ValueError(f"not an SNMP target: {text!r} (an IPv4 address, optionally :port)") from None
        if not 0 < number < 65536:
            raise ValueError(f"not an SNMP target: {text!r} (port {number} is out of range)")
        if address.is_multicast or address.is_unspecified or address == ipaddress.IPv4Address("255.255.255.255"):
            raise ValueError(f"{host} cannot be polled (multicast, broadcast or unspecified)")
        if not (allow_public or address.is_loopback or is_internal(ipaddress.ip_network(host))):
            raise ValueError(f"{host} is public address space; poll it only with allow_public")
        targets.append((str(address), number))
    return list(dict.fromkeys(targets))


def _snmp(targets: list[tuple[str, int]], credentials: list[SnmpCredential], deep: bool, limits: PollLimits | None,
          concurrency: int = 64) -> tuple[dict[str, SystemInfo | SnmpError], dict[str, DevicePoll]]:
    """System group of every target, then (``deep``) the full poll of those that answered."""
    limits = limits or PollLimits()
    by_name = {credential.name: credential for credential in credentials}

    async def run():
        systems = await sweep_snmp(targets, credentials, limits.timeout_s, limits.retries)
        if not deep:
            return systems, {}
        answered = [PollTarget(host, port, by_name[info.credential], info.sys_object_id,
                                info.sys_descr) for host, port in targets
                    if isinstance(info := systems[f"{host}:{port}"], SystemInfo)]
        return systems, await poll_devices(answered, limits, concurrency=min(concurrency, 16))

    return asyncio.run(run())


def _device(ip: str | None, mac: str | None, method: str, system: SystemInfo | SnmpError | None,
            poll: DevicePoll | None, registry: OuiRegistry, seen_at: str) -> dict:
    """One DiscoveredDevice (as a dict) from what the sweep, the system group and the full poll said."""
    vendor = registry.vendor(mac)
    device = {"ip": ip, "mac": mac, "oui_vendor": vendor, "found_by": [method], "seen_at": seen_at}
    facts = DeviceFacts(oui_vendor=vendor)
    if isinstance(system, SystemInfo):
        facts = DeviceFacts(system.sys_object_id, system.sys_descr, system.sys_services, vendor)
        device.update(sys_name=system.sys_name, sys_descr=system.sys_descr, sys_object_id=system.sys_object_id)
        if method != "snmp":
            device["found_by"].append("snmp")
    elif system is not None and "no response" not in str(system):
        device["error"] = str(system)[:1000]  # an SNMP agent that refused us: worth a look
    if poll is not None:
        device.update(poll.device_fields())
        facts = facts._replace(has_printer_mib=poll.printer, has_ups_mib=poll.ups, has_bridge_mib=poll.bridge,
                               manufacturer=poll.manufacturer, model=poll.model, probes=poll.probes)
        if poll.errors:
            device["error"] = "; ".join(poll.errors)[:1000]
    guess = classify(facts)
    device.update(vendor=guess.vendor, device_type=guess.device_type, classified_by=guess.rule)
    if guess.model and not device.get("model"):
        device["model"] = guess.model  # the product sysDescr names, when no MIB gave the model
    return {key: value for key, value in device.items() if value is not None}


def _add_learnt(devices: list[dict], polled: list[tuple[dict, DevicePoll]], registry: OuiRegistry,
                seen_at: str) -> None:
    """Devices that routers' ARP caches and switches' forwarding tables know of, merged by MAC.

    ARP caches count from network devices only: every host keeps one (net-snmp serves it),
    and a server's or printer's neighbours are what the sweep already sees. A MAC that is
    an interface of a polled device is that device, not a new one."""
    by_mac = {device["mac"]: device for device in devices if device.get("mac")}
    owned = set().union(*(poll.own_macs() for _, poll in polled))

    def add(mac: str, method: str, ip: str | None = None) -> None:
        device = by_mac.get(mac)
        if device is None and mac not in owned and len(devices) < MAX_DEVICES:
            device = by_mac[mac] = _device(ip, mac, method, None, None, registry, seen_at)
            devices.append(device)
        elif device is not None:
            if method not in device["found_by"]:
                device["found_by"].append(method)
            if ip and not device.get("ip"):
                device["ip"] = ip

    for device, poll in polled:
        for entry in poll.arp if device.get("device_type") in NETWORK_DEVICE_TYPES else ():
            add(entry["mac"], "router_arp", entry["ip"])
    for _, poll in polled:
        for interface in poll.interfaces:
            for mac in interface.get("learned_macs", ()):
                add(mac, "switch_fdb")


def _report(agent_id: str, scan: str, started: datetime, devices: list[dict]) -> dict:
    finished = datetime.now(timezone.utc)
    return {
        "schema_version": 1,
        "report_id": str(uuid.uuid4()),
        "agent_id": agent_id,
        "scan_id": f"{scan[:40]}-{started:%Y%m%dT%H%M%SZ}",
        "started_at": started.isoformat(),
        "finished_at": finished.isoformat(),
        "devices": devices[:MAX_DEVICES],
    }


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
