"""Storing a scanner's DiscoveryReport: one observation, then each device upserted and linked.

A device is linked to an asset before anyone calls it unmanaged: first by MAC (the
asset's agent reported a NIC with that address), then by serial. Only unlinked devices
are unmanaged — the field's complaint about tools that flood "unmanaged devices" with
machines that do carry an agent.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from collector.db import insert_ignoring_conflicts
from collector.ingest.locations import place_on_switch_ports
from collector.models import Asset, AssetNic, Device, Observation, ReportReceipt
from collector.scanning.tasks import record_profile_report
from common.identity import normalize_mac, normalize_serial
from common.schema import DiscoveredDevice, DiscoveryReport

__all__ = ["DiscoveryResult", "store_discovery"]


@dataclass(frozen=True)
class DiscoveryResult:
    outcome: str  # "stored" or "duplicate"
    devices: int = 0
    new_devices: int = 0
    linked: int = 0
    placed: int = 0  # devices located on a switch port
    unlinked_ids: tuple[int, ...] = ()  # devices with no asset: what reconciliation looks at next


def store_discovery(session: Session, agent_id: str, report: DiscoveryReport, raw: bytes, now: datetime) -> DiscoveryResult:
    claimed = session.execute(
        insert_ignoring_conflicts(session, ReportReceipt.__table__)
        .values(report_id=str(report.report_id), agent_id=agent_id, outcome="discovery", received_at=now)
        .returning(ReportReceipt.report_id)
    ).first()
    if claimed is None:
        return DiscoveryResult("duplicate")
    observation_id = session.execute(
        insert(Observation.__table__).values(
            source="scan", kind="discovery", agent_id=agent_id, asset_id=None, schema_version=report.schema_version,
            content_hash="", report_id=str(report.report_id), collected_at=report.finished_at, received_at=now,
            last_report_id=str(report.report_id), last_collected_at=report.finished_at, last_received_at=now,
            report_count=1, payload=gzip.compress(raw, 1, mtime=0),
        ).returning(Observation.id)
    ).scalar_one()
    session.execute(
        ReportReceipt.__table__.update().where(ReportReceipt.report_id == str(report.report_id)).values(observation_id=observation_id)
    )
    record_profile_report(session, report.scan_id, agent_id, report.finished_at)  # scan profile's last report
    new = linked = 0
    sightings = []
    for seen in report.devices:
        device, created = _device_for(session, seen)
        _apply(device, seen, agent_id, observation_id)
        new += created
        linked += _link(session, device)
        sightings.append((seen, device))
    session.flush()  # switches need ids before devices can point at them
    placed, learnt_only = place_on_switch_ports(session, sightings)
    session.flush()
    for device in learnt_only:
        linked += _link(session, device)
    unlinked = tuple(sorted({d.id for _, d in sightings if d.asset_id is None} | {d.id for d in learnt_only
                                                                                   if d.asset_id is None}))
    return DiscoveryResult("stored", len(report.devices), new + len(learnt_only), linked, placed, unlinked)


def _device_for(session: Session, seen: DiscoveredDevice) -> tuple[Device, bool]:
    mac = normalize_mac(seen.mac)
    query = select(Device).where(Device.mac == mac) if mac else select(Device).where(Device.mac.is_(None), Device.ip == seen.ip)
    device = session.scalar(query)
    if device is not None:
        return device, False
    device = Device(mac=mac, first_seen_at=seen.seen_at, found_by=[])
    session.add(device)
    return device, True


def _apply(device: Device, seen: DiscoveredDevice, agent_id: str, observation_id: int) -> None:
    """Newer sightings refresh what they carry; fields a sighting lacks keep their value."""
    for field in ("ip", "sys_name", "sys_descr", "sys_object_id", "model", "vendor", "oui_vendor", "device_type",
                  "firmware"):
        value = getattr(seen, field)
        if value:
            setattr(device, field, value)
    if seen.page_count is not None and (device.page_count_at is None or seen.seen_at >= device.page_count_at):
        device.page_count, device.page_count_at = seen.page_count, seen.seen_at
    serial = normalize_serial(seen.serial)
    if serial:
        device.serial = serial
    device.found_by = sorted(set(device.found_by or []) | {method.value for method in seen.found_by})
    device.last_seen_at = max(filter(None, (device.last_seen_at, seen.seen_at)))
    device.last_seen_by = agent_id
    device.observation_id = observation_id


def _link(session: Session, device: Device) -> int:
    if device.asset_id is not None:
        return 0
    if device.mac:
        nic = session.execute(
            select(AssetNic.asset_id, AssetNic.name).where(AssetNic.mac == device.mac).limit(1)
        ).first()
        if nic is not None:
            device.asset_id, device.link_reason = nic.asset_id, f"MAC {device.mac} is NIC {nic.name} of asset {nic.asset_id}"
            return 1
    if device.serial:
        asset_id = session.scalar(select(Asset.id).where(Asset.serial == device.serial).limit(1))
        if asset_id is not None:
            device.asset_id, device.link_reason = asset_id, f"serial {device.serial} of asset {asset_id}"
            return 1
    return 0
