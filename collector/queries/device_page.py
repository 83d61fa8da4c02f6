"""One scanned device as its page shows it: identity, where it plugs in, what it announced over
SNMP (interfaces, LLDP/CDP neighbours, host resources), who saw it and when, and the asset and
CI it is linked to.

The device row keeps the identity and placement; the rest of what a scan found (interfaces,
neighbours, storage) lives only in the discovery report the row points at
(``Device.observation_id``), stored gzip-compressed as received. The page reads that one
report and picks this device's entry out of it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models import Agent, Asset, Device, Observation
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch
from collector.queries.subjects import SubjectLabel, describe_subjects, device_label
from common.identity import normalize_mac

__all__ = ["ATTACHED_LIMIT", "DevicePage", "device_page", "sighting_in_report"]

ATTACHED_LIMIT = 500
EXCEPTION_LIMIT = 100
# A report bigger than this (compressed) is not opened for one page view: a 65,536-device scan
# with forwarding tables; the page then shows the device row alone and says why.
PAYLOAD_LIMIT = 8 * 1024 * 1024


@dataclass(frozen=True)
class DevicePage:
    device: Device
    label: SubjectLabel
    sighting: dict | None  # this device's entry in its last discovery report (DiscoveredDevice as JSON)
    sighting_note: str | None  # why there is no sighting to show
    observation: Observation | None
    scanner: str | None  # the host name of the scanning agent
    scan_id: str | None
    attached: list[Device]  # devices placed on this device's ports (it is a switch)
    neighbours: list[tuple[dict, int | None]]  # each LLDP/CDP neighbour, and the device it is when known
    match: CiMatch | None
    ci: ConfigurationItem | None
    asset: Asset | None
    exceptions: list[AuditException]
    labels: dict


def sighting_in_report(report: dict, device: Device) -> dict | None:
    """The entry of ``report`` (a DiscoveryReport as JSON) that is ``device``: by MAC, else by
    serial, else by name and address."""
    entries = [e for e in report.get("devices") or () if isinstance(e, dict)]
    if device.mac:
        for entry in entries:
            if normalize_mac(entry.get("mac")) == device.mac:
                return entry
    for keys in (("serial",), ("sys_name", "ip"), ("ip",)):
        values = [getattr(device, k) for k in keys]
        if all(values):
            for entry in entries:
                if [entry.get(k) for k in keys] == values:
                    return entry
    return None


def _report(session: Session, observation: Observation | None) -> tuple[dict | None, str | None]:
    if observation is None:
        return None, "The discovery report that last saw it is no longer kept."
    payload = session.scalar(select(Observation.payload).where(Observation.id == observation.id))
    if not payload:
        return None, "The discovery report that last saw it is no longer kept."
    if len(payload) > PAYLOAD_LIMIT:
        return None, "The last discovery report is too large to open for one device."
    try:
        return json.loads(gzip.decompress(payload)), None
    except (OSError, ValueError):
        return None, "The last discovery report could not be read."


def _neighbours(session: Session, sighting: dict | None) -> list[tuple[dict, int | None]]:
    neighbours = [n for n in (sighting or {}).get("neighbours") or () if isinstance(n, dict)]
    macs = {m for m in (normalize_mac(n.get("remote_mac")) for n in neighbours) if m}
    ips = {n.get("remote_ip") for n in neighbours if n.get("remote_ip")}
    found: dict[str, int] = {}
    if not macs and not ips:
        return [(n, None) for n in neighbours]
    for device_id, mac, ip in session.execute(select(Device.id, Device.mac, Device.ip).where(
            or_(Device.mac.in_(sorted(macs)), Device.ip.in_(sorted(ips))))):
        if mac in macs:
            found[mac] = device_id
        if ip in ips:
            found.setdefault(ip, device_id)
    return [(n, found.get(normalize_mac(n.get("remote_mac")) or "") or found.get(n.get("remote_ip") or ""))
            for n in neighbours]


def _reconciled(session: Session, device_id: int) -> tuple[CiMatch | None, ConfigurationItem | None,
                                                           list[AuditException]]:
    """Its match, the CI it matched, and the exceptions about it or that CI (newest first)."""
    match = session.scalar(select(CiMatch).where(CiMatch.subject_type == "device", CiMatch.subject_id == device_id))
    ci = session.get(ConfigurationItem, match.ci_id) if match is not None and match.ci_id else None
    about = and_(AuditException.subject_type == "device", AuditException.subject_id == device_id)
    if ci is not None:
        about = or_(about, AuditException.ci_id == ci.id)
    exceptions = list(session.scalars(select(AuditException).where(about).order_by(
        AuditException.opened_at.desc(), AuditException.id.desc()).limit(EXCEPTION_LIMIT)))
    return match, ci, exceptions


def device_page(session: Session, device_id: int) -> DevicePage:
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(f"no device with id {device_id}")
    observation = session.get(Observation, device.observation_id) if device.observation_id else None
    report, note = _report(session, observation) if device.observation_id else (None, "No scan report recorded.")
    sighting = sighting_in_report(report, device) if report else None
    if report and sighting is None:
        note = "Its last discovery report does not list it by these identifiers."
    agent_id = (observation.agent_id if observation else None) or device.last_seen_by
    scanner = session.scalar(select(Agent.hostname).where(Agent.id == agent_id)) if agent_id else None
    attached = list(session.scalars(select(Device).where(Device.switch_device_id == device_id)
                                    .order_by(Device.switch_port, Device.id).limit(ATTACHED_LIMIT)))
    match, ci, exceptions = _reconciled(session, device_id)
    refs = [("asset", device.asset_id)] if device.asset_id else []
    refs += [("ci", ci.id)] if ci else []
    return DevicePage(device, device_label(device), sighting, note, observation, scanner,
                      (report or {}).get("scan_id"), attached, _neighbours(session, sighting), match, ci,
                      session.get(Asset, device.asset_id) if device.asset_id else None, exceptions,
                      describe_subjects(session, refs))
