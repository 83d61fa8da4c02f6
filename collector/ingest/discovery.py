"""Storing a scanner's DiscoveryReport: one observation, then its devices upserted and linked in batches.

A device is linked to an asset before anyone calls it unmanaged: first by MAC (the
asset's agent reported a NIC with that address), then by serial. Only unlinked devices
are unmanaged — the field's complaint about tools that flood "unmanaged devices" with
machines that do carry an agent.

A report may hold 65,536 devices. Stored in one transaction it held SQLite's single write
lock for 75 s and every check-in failed behind it, so devices go in batches of
``batch_size``, each its own short transaction. The report stays all-or-nothing to anyone
who asks about it: the receipt says ``receiving`` until the last batch commits and
``discovery`` after, a retry of an unfinished report id upserts the same devices again
(by MAC or identity key, so nothing doubles) and finishes it, and only a finished receipt
answers "already stored".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collector.db import Database
from collector.ingest.device_links import link_devices
from collector.ingest.device_matching import DeviceBatch
from collector.ingest.locations import NETWORK_DEVICE_TYPES, place_on_switch_ports
from collector.ingest.receipts import claim_discovery, finish_discovery
from collector.scanning.tasks import record_profile_report
from common.schema import DiscoveredDevice, DiscoveryReport

__all__ = ["BATCH_SIZE", "DiscoveryResult", "store_discovery"]

# Devices per write transaction: about 0.2 s of SQLite's write lock each, measured on the
# 2-core test machine.
BATCH_SIZE = 2000
# SQLite's busy handler retries a waiting writer every 100 ms once it has waited a while
# (sqlite3.c, sqliteDefaultBusyCallback); a gap a little longer than that between batches
# is what lets a check-in through instead of the next batch taking the lock straight back.
SQLITE_GAP_S = 0.11


@dataclass(frozen=True)
class DiscoveryResult:
    outcome: str  # "stored" or "duplicate"
    devices: int = 0
    new_devices: int = 0
    linked: int = 0
    placed: int = 0  # devices located on a switch port
    unlinked_ids: tuple[int, ...] = ()  # devices with no asset: what reconciliation looks at next
    device_ids: tuple[int | None, ...] = ()  # per reported device, in order; None when it carried no identity


@dataclass
class _Progress:
    new: int = 0
    linked: int = 0
    unlinked: set[int] = field(default_factory=set)
    ids: list[int | None] = field(default_factory=list)
    placing: list[tuple[DiscoveredDevice, int]] = field(default_factory=list)  # switch sightings, device id


def store_discovery(db: Database, agent_id: str, report: DiscoveryReport, raw: bytes, now: datetime,
                    batch_size: int = BATCH_SIZE) -> DiscoveryResult:
    with db.write() as session:
        observation_id = claim_discovery(session, agent_id, report, raw, now)
    if observation_id is None:
        return DiscoveryResult("duplicate")
    progress = _Progress()
    for number, batch in enumerate(_batches(report.devices, batch_size)):
        if number and db.is_sqlite:
            time.sleep(SQLITE_GAP_S)
        _store_batch(db, agent_id, report.scan_id, batch, observation_id, progress)
    with db.write() as session:
        placed = _place(session, progress)
        record_profile_report(session, report.scan_id, agent_id, report.finished_at)  # scan profile's last report
        finish_discovery(session, str(report.report_id), observation_id)
    return DiscoveryResult("stored", len(report.devices), progress.new, progress.linked, placed,
                           tuple(sorted(progress.unlinked)), tuple(progress.ids))


def _batches(devices: list[DiscoveredDevice], size: int) -> Iterator[list[DiscoveredDevice]]:
    for start in range(0, len(devices), size):
        yield devices[start:start + size]


def _store_batch(db: Database, agent_id: str, scan_id: str, sightings: list[DiscoveredDevice], observation_id: int,
                 progress: _Progress) -> None:
    # A concurrent report may create one of these devices first: the unique MAC or identity key
    # refuses the second insert, and the batch done again finds the other report's row.
    done = len(progress.ids)
    for attempt in (1, 2):
        del progress.ids[done:]  # a refused attempt's ids are not the batch's
        try:
            with db.write() as session:
                _upsert(session, agent_id, scan_id, sightings, observation_id, progress)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _upsert(session: Session, agent_id: str, scan_id: str, sightings: list[DiscoveredDevice], observation_id: int,
            progress: _Progress) -> None:
    batch = DeviceBatch.load(session, agent_id, scan_id, sightings)
    resolved = [(seen, batch.device_for(seen)) for seen in sightings]
    for seen, device in resolved:
        if device is not None:
            batch.apply(device, seen, observation_id)
    devices = list({id(d): d for _, d in resolved if d is not None}.values())
    linked = link_devices(session, devices)
    session.flush()
    batch.insert_created()
    progress.new, progress.linked = progress.new + len(batch.created), progress.linked + linked
    progress.unlinked |= {d.id for d in devices if d.asset_id is None}
    progress.ids += [device.id if device is not None else None for _, device in resolved]
    progress.placing += [(seen, device.id) for seen, device in resolved
                         if device is not None and (seen.device_type in NETWORK_DEVICE_TYPES
                                                    or any(i.learned_macs for i in seen.interfaces))]


def _place(session: Session, progress: _Progress) -> int:
    """Forwarding tables place devices once every device of the report is stored."""
    if not progress.placing:
        return 0
    ids = sorted({device_id for _, device_id in progress.placing})
    devices = {d.id: d for d in DeviceBatch.by_ids(session, ids)}
    sightings = [(seen, devices[device_id]) for seen, device_id in progress.placing if device_id in devices]
    placed, learnt_only = place_on_switch_ports(session, sightings)
    session.flush()
    progress.new += len(learnt_only)
    progress.linked += link_devices(session, learnt_only)
    session.flush()
    progress.unlinked |= {d.id for d in learnt_only if d.asset_id is None}
    return placed
