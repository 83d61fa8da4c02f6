"""Placing devices on switch ports from the forwarding tables (BRIDGE-MIB/Q-BRIDGE-MIB) scanners report.

A switch learns every MAC that crosses it, so a MAC shows up on the access port where the
device plugs in *and* on every uplink between the scanner and that port. Only edge ports
locate a device: a port with an LLDP neighbour, one that learnt the MAC of another network
device, or one with more MACs than a desk could hold is an uplink and is ignored. When a
MAC sits on edge ports of two switches in one report, the port with fewer MACs wins; a
newer sighting replaces an older one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import Device
from common.device_types import NETWORK_DEVICE_TYPES
from common.identity import normalize_mac
from common.schema import DiscoveredDevice

__all__ = ["EDGE_PORT_MAX_MACS", "NETWORK_DEVICE_TYPES", "place_on_switch_ports"]

# An access port serves a desk: a PC, an IP phone, perhaps a small unmanaged switch.
EDGE_PORT_MAX_MACS = 16
_CHUNK = 500


@dataclass(frozen=True)
class _Port:
    switch: Device
    name: str
    mac_count: int
    seen_at: datetime


def place_on_switch_ports(session: Session, sightings: list[tuple[DiscoveredDevice, Device]]) -> tuple[int, list[Device]]:
    """Set each learnt device's switch and port; FDB MACs with no device yet become devices.

    Returns how many devices were placed, and the devices created (for the caller to link)."""
    ports = _edge_ports(session, sightings)
    if not ports:
        return 0, []
    devices = _devices_by_mac(session, list(ports))
    placed, created = 0, []
    for mac, port in ports.items():
        device = devices.get(mac)
        if device is None:
            device = Device(mac=mac, first_seen_at=port.seen_at, last_seen_at=port.seen_at,
                            found_by=["switch_fdb"], last_seen_by=port.switch.last_seen_by)
            session.add(device)
            created.append(device)
        elif device.port_seen_at is not None and device.port_seen_at > port.seen_at:
            continue  # a newer report already placed it
        if device is port.switch:
            continue
        device.switch_device_id = port.switch.id
        device.switch_port = port.name
        device.port_seen_at = port.seen_at
        if "switch_fdb" not in (device.found_by or []):
            device.found_by = sorted({*(device.found_by or []), "switch_fdb"})
        placed += 1
    return placed, created


def _edge_ports(session: Session, sightings) -> dict[str, _Port]:
    learnt = [(seen, switch, interface, [m for m in map(normalize_mac, interface.learned_macs) if m])
              for seen, switch in sightings for interface in seen.interfaces if interface.learned_macs]
    if not learnt:
        return {}
    all_macs = {mac for *_, macs in learnt for mac in macs}
    infrastructure = {mac for mac, device in _devices_by_mac(session, list(all_macs)).items()
                      if device.device_type in NETWORK_DEVICE_TYPES}
    infrastructure |= {normalize_mac(seen.mac) for seen, _ in sightings if seen.device_type in NETWORK_DEVICE_TYPES}
    best: dict[str, _Port] = {}
    for seen, switch, interface, macs in learnt:
        name = interface.name or (f"ifIndex {interface.index}" if interface.index is not None else None)
        uplinks = {n.local_port for n in seen.neighbours if n.local_port}
        if name is None or name in uplinks or len(macs) > EDGE_PORT_MAX_MACS or infrastructure.intersection(macs):
            continue
        for mac in macs:
            current = best.get(mac)
            if current is None or len(macs) < current.mac_count:
                best[mac] = _Port(switch, name[:255], len(macs), seen.seen_at)
    return best


def _devices_by_mac(session: Session, macs: list[str]) -> dict[str, Device]:
    found = {}
    for start in range(0, len(macs), _CHUNK):
        chunk = macs[start:start + _CHUNK]
        found.update((device.mac, device) for device in session.scalars(select(Device).where(Device.mac.in_(chunk))))
    return found
