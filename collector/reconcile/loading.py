"""Reading subjects and CIs from the database into records: all of them, or the slice one report touches.

Columns are selected as tuples (no ORM objects) and grouped in Python: 100,000 rows load in
well under a second on either backend. The slice for an incremental run is found through the
identifier indexes, so it costs a handful of indexed queries, whatever the fleet size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import bindparam, literal, null, select, union_all
from sqlalchemy.orm import Session

from collector.db import chunked_lists
from collector.models import Asset, AssetNic, Device, Observation
from collector.models.cmdb import CiMac, ConfigurationItem
from collector.reconcile.records import CiRecord, Subject
from common.identity import VIRTUAL_MAC_PREFIXES, classify_mac, normalize_hostname

__all__ = ["load_cis", "load_subjects", "related_subject_keys", "with_machine_facts"]

_CHUNK = 500


def _names(hostname: str | None, fqdn: str | None) -> tuple[str | None, str | None]:
    if fqdn is None and hostname is not None and "." not in hostname and hostname == hostname.lower() \
            and hostname.strip() == hostname and hostname not in ("localhost", "(none)", "unknown", "localdomain"):
        return hostname, None  # the common case, already normal: skip the general path
    host = normalize_hostname(hostname)
    full = normalize_hostname(fqdn) or (host if host and "." in host else None)
    return (host.split(".")[0] if host else None), full


def _identifying(mac: str | None) -> str | None:
    """The MAC if it can identify a physical machine. Stored MACs are already canonical, so the
    common case is two string checks; anything else goes through common.identity."""
    if mac and len(mac) == 17 and mac[2] == ":" and mac == mac.lower():
        if int(mac[1], 16) & 0x3 or mac[:8] in VIRTUAL_MAC_PREFIXES:
            return None
        return mac
    info = classify_mac(mac)
    return info.mac if info is not None and info.is_identifying else None


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def load_subjects(session: Session, asset_ids: list[int] | None = None,
                  device_ids: list[int] | None = None) -> list[Subject]:
    """Agent assets and the scanned devices not linked to one (a linked device is its asset).
    ``None`` loads all; lists load just those ids."""
    subjects = []
    for ids in ([None] if asset_ids is None else list(_chunks(sorted(set(asset_ids))))):
        subjects.extend(_assets(session, ids))
    for ids in ([None] if device_ids is None else list(_chunks(sorted(set(device_ids))))):
        subjects.extend(_devices(session, ids))
    return subjects


# Statements are built once: an incremental run issues ~20 small queries, and building each
# select() costs more than SQLite takes to answer it.
_IDS = bindparam("ids", expanding=True)
# An asset's physical NICs, and the switch ports its NICs were placed on (a linked device is the
# asset seen by a scan), in one round trip: (asset_id, mac, switch_device_id, port, port_seen_at).
# The device branch comes first so that port_seen_at gets its column type's result processing.
_PORTS = select(Device.asset_id, null().label("mac"), Device.switch_device_id, Device.switch_port,
                Device.port_seen_at).where(Device.asset_id.is_not(None), Device.switch_device_id.is_not(None))
_PHYSICAL = select(AssetNic.asset_id, AssetNic.mac, null(), null(), null()).where(AssetNic.mac.is_not(None),
                                                                                  AssetNic.virtual.is_(False))
_NICS = union_all(_PORTS, _PHYSICAL)
_NICS_OF = union_all(_PORTS.where(Device.asset_id.in_(_IDS)), _PHYSICAL.where(AssetNic.asset_id.in_(_IDS)))
_ASSETS = (select(Asset.id, Asset.serial, Asset.vendor, Asset.model, Asset.smbios_uuid, Asset.hostname, Asset.fqdn,
                  Asset.primary_user, Asset.last_seen_at, Observation.last_report_id, Observation.last_collected_at)
           .outerjoin(Observation, Observation.id == Asset.observation_id))
_ASSETS_OF = _ASSETS.where(Asset.id.in_(_IDS))
_DEVICES = select(Device.id, Device.mac, Device.ip, Device.sys_name, Device.serial, Device.vendor, Device.model,
                  Device.found_by, Device.last_seen_at, Device.switch_device_id,
                  Device.switch_port).where(Device.asset_id.is_(None))
_DEVICES_OF = _DEVICES.where(Device.id.in_(_IDS))
_CI_MACS = select(CiMac.ci_id, CiMac.mac)
_CI_MACS_OF = _CI_MACS.where(CiMac.ci_id.in_(_IDS))
_CIS = select(ConfigurationItem.id, ConfigurationItem.ci_class, ConfigurationItem.asset_tag, ConfigurationItem.name,
              ConfigurationItem.serial, ConfigurationItem.vendor, ConfigurationItem.model,
              ConfigurationItem.smbios_uuid, ConfigurationItem.hostname, ConfigurationItem.fqdn, ConfigurationItem.ip,
              ConfigurationItem.status, ConfigurationItem.assigned_user, ConfigurationItem.location)
_CIS_OF = _CIS.where(ConfigurationItem.id.in_(_IDS))
_SERIALS, _UUIDS = bindparam("serials", expanding=True), bindparam("uuids", expanding=True)
_NAMES, _MACS = bindparam("names", expanding=True), bindparam("macs", expanding=True)
# Each UNION branch uses its own index; one round trip instead of one per identifier kind.
_CANDIDATE_CIS = union_all(
    select(ConfigurationItem.id).where(ConfigurationItem.serial.in_(_SERIALS)),
    select(ConfigurationItem.id).where(ConfigurationItem.smbios_uuid.in_(_UUIDS)),
    select(ConfigurationItem.id).where(ConfigurationItem.hostname.in_(_NAMES)),
    select(ConfigurationItem.id).where(ConfigurationItem.fqdn.in_(_NAMES)),
    select(CiMac.ci_id).where(CiMac.mac.in_(_MACS)),
)
_RELATED = union_all(
    select(literal("asset"), Asset.id).where(Asset.smbios_uuid.in_(_UUIDS)),
    select(literal("asset"), Asset.id).where(Asset.serial.in_(_SERIALS)),
    select(literal("asset"), AssetNic.asset_id).where(AssetNic.mac.in_(_MACS)),
    select(literal("device"), Device.id).where(Device.serial.in_(_SERIALS), Device.asset_id.is_(None)),
    select(literal("device"), Device.id).where(Device.mac.in_(_MACS), Device.asset_id.is_(None)),
)


def _rows(session: Session, statement, ids: list[int] | None):
    connection = session.connection()
    return connection.execute(statement[0] if ids is None else statement[1],
                              {} if ids is None else {"ids": ids}).all()  # fetchall: one C call, not one per row


def _assets(session: Session, ids: list[int] | None) -> list[Subject]:
    macs: dict[int, set[str]] = defaultdict(set)
    placements = []
    for asset_id, mac, switch_id, port, seen_at in _rows(session, (_NICS, _NICS_OF), ids):
        if mac is None:
            placements.append((asset_id, switch_id, port, seen_at))
            continue
        usable = _identifying(mac)
        if usable:
            macs[asset_id].add(usable)
    ports = _latest_ports(placements)
    subjects = []
    empty: frozenset[str] = frozenset()
    for (asset_id, serial, vendor, model, smbios_uuid, hostname, fqdn, primary_user, last_seen_at, report_id,
         collected_at) in _rows(session, (_ASSETS, _ASSETS_OF), ids):
        host, full = _names(hostname, fqdn)
        evidence = (f"agent report {report_id} at {collected_at.isoformat(timespec='seconds')}"
                    if report_id else f"agent asset {asset_id}")
        found = macs.get(asset_id)
        subjects.append(Subject(("asset", asset_id), "asset", asset_id, "agent", serial, vendor, model, smbios_uuid,
                                frozenset(found) if found else empty, host, full, None, primary_user, None,
                                last_seen_at, evidence, port=ports.get(asset_id)))
    return subjects


_MACHINE = select(Asset.id, Asset.agent_id, Asset.first_seen_at, Asset.cpu_model, Asset.memory_bytes).where(
    Asset.id.in_(_IDS))


def with_machine_facts(session: Session, subjects: list[Subject]) -> list[Subject]:
    """``subjects``, the assets among them that share a SMBIOS UUID given their agent, first report
    and hardware facts: what tells cloned twins apart when nothing physical does (matching.py).
    Read for those few only: a full run would pay for parsing 100,000 timestamps it never uses."""
    by_uuid: dict[str, list[int]] = defaultdict(list)
    for subject in subjects:
        if subject.uuid and subject.kind == "asset":
            by_uuid[subject.uuid].append(subject.id)
    wanted = sorted({i for ids in by_uuid.values() if len(ids) > 1 for i in ids})
    if not wanted:
        return subjects
    connection = session.connection()
    facts = {row[0]: row[1:] for chunk in _chunks(wanted) for row in connection.execute(_MACHINE, {"ids": chunk})}
    return [replace(s, agent=f[0], first_seen_at=f[1], hardware=(f[2], f[3]) if f[2] or f[3] else None)
            if s.kind == "asset" and (f := facts.get(s.id)) else s for s in subjects]


def _latest_ports(placements: list[tuple]) -> dict[int, tuple[int, str]]:
    """asset id -> (switch device id, port) of the latest placement of any of its NICs."""
    latest: dict[int, tuple] = {}
    for asset_id, switch_id, port, seen_at in placements:
        if not port:
            continue
        old = latest.get(asset_id)
        if old is None or (seen_at is not None and (old[0] is None or seen_at > old[0])):
            latest[asset_id] = (seen_at, (switch_id, port))
    return {asset_id: place for asset_id, (_, place) in latest.items()}


def _devices(session: Session, ids: list[int] | None) -> list[Subject]:
    subjects = []
    for row in _rows(session, (_DEVICES, _DEVICES_OF), ids):
        methods = set(row.found_by or ())
        source = "snmp" if "snmp" in methods else "arp"
        host, fqdn = _names(row.sys_name, None)
        mac = _identifying(row.mac)
        how = "+".join(sorted(methods)) or "scan"
        evidence = f"{how} sighting of device {row.id} at {row.last_seen_at.isoformat(timespec='seconds')}"
        subjects.append(Subject(("device", row.id), "device", row.id, source, row.serial, row.vendor, row.model, None,
                                frozenset({mac} if mac else ()), host, fqdn, row.ip, None, None, row.last_seen_at,
                                evidence, port=(row.switch_device_id, row.switch_port)
                                if row.switch_device_id and row.switch_port else None))
    return subjects


def load_cis(session: Session, ids: list[int] | None = None) -> list[CiRecord]:
    macs: dict[int, set[str]] = defaultdict(set)
    records = []
    for chunk in ([None] if ids is None else list(_chunks(sorted(set(ids))))):
        for ci_id, mac in _rows(session, (_CI_MACS, _CI_MACS_OF), chunk):
            macs[ci_id].add(mac)
        empty: frozenset[str] = frozenset()
        for (ci_id, ci_class, asset_tag, name, serial, vendor, model, smbios_uuid, hostname, fqdn, ip, status,
             assigned_user, location) in _rows(session, (_CIS, _CIS_OF), chunk):
            host, full = _names(hostname, fqdn)
            found = macs.get(ci_id)
            records.append(CiRecord(ci_id, ci_class, asset_tag, name, serial, vendor, model, smbios_uuid,
                                    frozenset(found) if found else empty, host, full, ip, status, assigned_user,
                                    location))
    return records


def candidate_ci_ids(session: Session, subjects: list[Subject]) -> set[int]:
    """Every CI any rule could match for ``subjects``: a superset, found through indexed columns."""
    parameters = {
        "serials": sorted({v for s in subjects if s.serial for v in (s.serial, s.serial.upper(), s.serial.lower())}),
        "uuids": sorted({s.uuid for s in subjects if s.uuid}),
        "names": sorted({name for s in subjects for name in (s.hostname, s.fqdn) if name}),
        "macs": sorted({mac for s in subjects for mac in s.macs}),
    }
    connection = session.connection()
    return {ci_id for chunk in chunked_lists(parameters) for ci_id in connection.execute(_CANDIDATE_CIS, chunk).scalars()}


def related_subject_keys(session: Session, subjects: list[Subject]) -> tuple[set[int], set[int]]:
    """Assets and devices sharing a UUID, serial or MAC with ``subjects``: what clone and shared-MAC
    detection must see to judge them as the full run would."""
    parameters = {"uuids": sorted({s.uuid for s in subjects if s.uuid}),
                  "serials": sorted({s.serial for s in subjects if s.serial}),
                  "macs": sorted({mac for s in subjects for mac in s.macs})}
    assets: set[int] = set()
    devices: set[int] = set()
    connection = session.connection()
    for chunk in chunked_lists(parameters):  # a 65,536-device report has more MACs than PostgreSQL has parameters
        for kind, subject_id in connection.execute(_RELATED, chunk):
            (assets if kind == "asset" else devices).add(subject_id)
    return assets, devices
