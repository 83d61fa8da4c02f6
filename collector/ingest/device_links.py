"""Linking scanned devices to agent assets, and unlinking them when the evidence turns.

A device is an asset when the asset's agent reports the device's MAC on one of its NICs
(else when both report one serial), but only when nothing the scan saw contradicts it: an
SNMP serial that is not the asset's, a device type no agent host can be (a printer, a
switch), or a sysName that is not the asset's host name. MACs move (a USB NIC lent out, a
re-used dock, a NIC moved to another box), so every sighting re-checks a MAC link and undoes
it when a contradiction appears; the device then stands alone for reconciliation.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.db import chunked
from collector.models import Asset, AssetNic, Device

__all__ = ["HOST_TYPES", "contradiction", "link_devices"]

# Device types an agent-reporting machine can be classified as by a scan. Anything else
# (printer, switch, ups, camera...) is a different box, whatever MAC it shares.
HOST_TYPES = frozenset({"server", "workstation", "hypervisor", "storage", "unknown"})
_MAC_LINK = "MAC "


def contradiction(device: Device, serial: str | None, hostname: str | None) -> str | None:
    """Why ``device`` cannot be the asset with this serial and host name; None when nothing disagrees."""
    if device.serial and serial and device.serial.upper() != serial.upper():
        return f"its serial {device.serial} is not the asset's {serial}"
    # A type from the OUI alone proves nothing (a laptop with a TP-Link USB NIC is no switch):
    # only an SNMP answer's type counts.
    if device.device_type and device.device_type not in HOST_TYPES and "snmp" in (device.found_by or ()):
        return f"it is a {device.device_type}, which no agent host is"
    if device.sys_name and hostname and not _same_name(device.sys_name, hostname):
        return f"its sysName {device.sys_name} is not the asset's host name {hostname}"
    return None


def _same_name(a: str, b: str) -> bool:
    """Short names, case-insensitive; Windows' SNMP service reports the NetBIOS name, cut at 15 characters."""
    a, b = a.strip().split(".")[0].casefold(), b.strip().split(".")[0].casefold()
    return a == b or (15 in (len(a), len(b)) and a[:15] == b[:15])


def link_devices(session: Session, devices: list[Device]) -> int:
    """Link unlinked devices to assets (by a NIC's MAC, else by serial) unless something contradicts
    it, and unlink MAC-linked devices that a contradiction now keeps apart. Returns how many were linked."""
    revisit = [d for d in devices if d.asset_id is None or (d.link_reason or "").startswith(_MAC_LINK)]
    nics = _nics(session, sorted({d.mac for d in revisit if d.mac}))
    serials = _serials(session, sorted({d.serial for d in revisit if d.serial and d.asset_id is None}))
    facts = _asset_facts(session, {a for a, _ in nics.values()} | set(serials.values())
                         | {d.asset_id for d in revisit if d.asset_id})
    linked = 0
    for device in revisit:
        if device.asset_id is not None:
            _recheck(device, facts.get(device.asset_id))
            continue
        linked += _link(device, nics, serials, facts)
    return linked


def _link(device: Device, nics: dict, serials: dict, facts: dict) -> int:
    if device.mac in nics:
        asset_id, name = nics[device.mac]
        reason = f"{_MAC_LINK}{device.mac} is NIC {name} of asset {asset_id}"
    elif device.serial in serials:
        asset_id = serials[device.serial]
        reason = f"serial {device.serial} of asset {asset_id}"
    else:
        return 0
    why_not = contradiction(device, *facts.get(asset_id, (None, None)))
    if why_not:
        device.link_reason = f"not asset {asset_id}: {why_not}"[:255]
        return 0
    device.asset_id, device.link_reason = asset_id, reason
    return 1


def _recheck(device: Device, asset: tuple | None) -> None:
    why_not = contradiction(device, *asset) if asset else None
    if why_not:
        device.link_reason = f"not asset {device.asset_id} any more: {why_not}"[:255]
        device.asset_id = None


def _nics(session: Session, macs: list[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for chunk in chunked(macs):
        for mac, asset_id, name in session.execute(select(AssetNic.mac, AssetNic.asset_id, AssetNic.name)
                                                   .where(AssetNic.mac.in_(chunk)).order_by(AssetNic.id)):
            found.setdefault(mac, (asset_id, name))
    return found


def _serials(session: Session, serials: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunked(serials):
        for serial, asset_id in session.execute(select(Asset.serial, Asset.id).where(Asset.serial.in_(chunk))
                                                .order_by(Asset.id)):
            found.setdefault(serial, asset_id)
    return found


def _asset_facts(session: Session, ids: set[int]) -> dict[int, tuple[str | None, str | None]]:
    """asset id -> (serial, host name): what a sighting is checked against."""
    return {asset_id: (serial, hostname) for chunk in chunked(sorted(ids))
            for asset_id, serial, hostname in session.execute(select(Asset.id, Asset.serial, Asset.hostname)
                                                              .where(Asset.id.in_(chunk)))}
