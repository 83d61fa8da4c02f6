"""Storing an agent's inventory report: observation first, then the asset's current view.

Outcomes:
- ``duplicate``: the report id was stored before (a retried upload); nothing changes.
- ``unchanged``: same content as the agent's last report; one observation's timestamps move.
- ``stored``: new content; a new observation and the asset's facts are updated from it.
- ``historical``: new content but collected before what the asset already shows (a late
  delivery from a spool); kept as an observation without rolling the asset back.
"""

from __future__ import annotations

import logging
import zlib

import orjson
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.orm import Session

from collector.db import insert_ignoring_conflicts
from collector.errors import Conflict
from collector.ingest.adoption import adopt_asset
from collector.ingest.parsing import ParsedInventory
from collector.ingest.bulk import bulk_for
from collector.ingest.software import apply_software_delta, software_delta, sync_asset_software
from collector.models import Agent, Asset, AssetDisk, AssetNic, Observation, ReportReceipt
from common.identity import classify_mac, normalize_serial, normalize_uuid
from common.schema import INT32_MAX, InventoryReport

__all__ = ["DuplicateReport", "IngestResult", "store_inventory"]

log = logging.getLogger(__name__)


class DuplicateReport(Exception):
    """The report id was stored meanwhile; raised so that the transaction rolls back."""


@dataclass(frozen=True)
class IngestResult:
    outcome: str
    report_id: str
    asset_id: int | None
    observation_id: int | None


def store_inventory(
    session: Session, agent_id: str, parsed: ParsedInventory, now: datetime, expect_unchanged: bool = False,
    wire_hash: str | None = None,
) -> IngestResult:
    """Store one parsed report for an authenticated agent inside the caller's transaction.

    The agent's row is locked first, so one agent's reports are applied one at a time.
    The receipt (report id) is claimed with ON CONFLICT DO NOTHING: first for unchanged
    content, last for new content, where a conflict raises DuplicateReport so that the
    caller's transaction rolls the work back. ``expect_unchanged`` (the hash matched at
    authentication) tries the backend's single-statement path first, which re-checks the
    hash under the agent's row lock. ``wire_hash`` (a foreign agent's raw body's,
    collector/interop/wire_hash.py) is kept on the agent with the content hash it stands for,
    in this transaction, when the report is stored or unchanged.
    """
    if expect_unchanged and not parsed.spool_dropped and wire_hash is None:
        fast = bulk_for(session).record_unchanged(
            session, agent_id, parsed.report_id, parsed.content_hash, parsed.collected_at, now
        )
        if fast is not None:
            asset_id, observation_id, claimed = fast
            outcome = "unchanged" if claimed else "duplicate"
            return IngestResult(outcome, parsed.report_id, asset_id if claimed else None, observation_id if claimed else None)
    _lock_agent(session, agent_id)
    # Core statements throughout: no ORM entities to build on the hot path.
    last_hash, superseded_by, asset_id, observation_id, software_count, last_collected_at, previous_payload = (
        session.connection().execute(
            select(Agent.last_content_hash, Agent.superseded_by, Asset.id, Asset.observation_id, Asset.software_count,
                   Observation.last_collected_at, Observation.payload)
            .outerjoin(Asset, Asset.agent_id == Agent.id)
            .outerjoin(Observation, Observation.id == Asset.observation_id)
            .where(Agent.id == agent_id)
        ).one())
    if superseded_by is not None:
        raise Conflict(f"this agent was superseded by agent {superseded_by}, which now reports this machine; "
                       "uninstall one of the two agents")
    if asset_id is None:
        adopted = adopt_asset(session, agent_id, parsed.validated(), now)
        if adopted is not None:
            asset_id, observation_id, software_count = adopted.asset_id, adopted.observation_id, adopted.software_count
            last_collected_at, previous_payload = adopted.last_collected_at, adopted.payload
    if asset_id is not None and last_hash == parsed.content_hash:
        outcome = "unchanged"
    elif asset_id is not None and last_collected_at and parsed.collected_at < last_collected_at:
        outcome = "historical"
    else:
        outcome = "stored"
    if outcome == "unchanged":
        if not _claim_receipt(session, agent_id, parsed.report_id, outcome, observation_id, now):
            return IngestResult("duplicate", parsed.report_id, None, None)
        result = _touch_observation(session, asset_id, observation_id, parsed, now)
    else:
        if outcome == "historical":
            result = _store_historical(session, agent_id, asset_id, parsed, now)
        else:
            result = _store_new_content(session, agent_id, asset_id, software_count or 0, previous_payload, parsed, now)
        if not _claim_receipt(session, agent_id, parsed.report_id, outcome, result.observation_id, now):
            raise DuplicateReport(parsed.report_id)
    agent_changes = {"last_seen_at": now}
    if outcome == "stored":
        agent_changes["last_content_hash"] = parsed.content_hash
    if wire_hash is not None and outcome != "historical":  # this content is now the agent's last
        agent_changes["last_wire_hash"] = f"{wire_hash}:{parsed.content_hash}"
    if parsed.spool_dropped:
        agent_changes["reports_dropped"] = _saturating_add(Agent.reports_dropped, parsed.spool_dropped)
        log.warning("agent spool dropped reports", extra={"agent_id": agent_id, "dropped": parsed.spool_dropped})
    session.connection().execute(update(Agent.__table__).where(Agent.id == agent_id).values(**agent_changes))
    return result


def _saturating_add(column, amount: int):
    """``column + amount`` capped at the int4 maximum: the sum itself would overflow on PostgreSQL."""
    return case((column > INT32_MAX - amount, INT32_MAX), else_=column + amount)


def _lock_agent(session: Session, agent_id: str) -> None:
    """Take the agent's row lock on its own, before reading anything else.

    Locking inside the read is not enough on PostgreSQL: a ``SELECT … FOR UPDATE`` that had
    to wait returns the locked row's newest version joined to the other tables' rows as of
    the statement's start (READ COMMITTED's re-check). Two reports racing an agent's first
    one both saw no asset (500 on ``uq_assets_agent_id``), and later ones diffed against a
    superseded payload, leaving stale software links (issue 16, defect 3). A statement after
    the lock sees every committed change. SQLite needs nothing: ``BEGIN IMMEDIATE`` already
    holds the database's write lock before the first read.
    """
    session.connection().execute(select(Agent.id).where(Agent.id == agent_id).with_for_update())


def _touch_observation(session, asset_id, observation_id, parsed, now) -> IngestResult:
    connection = session.connection()
    # An identical report collected earlier than the last one (a spooled retry arriving late)
    # must not move the collection time backwards: that time decides what is "historical".
    newer = Observation.last_collected_at < parsed.collected_at
    connection.execute(
        update(Observation.__table__)
        .where(Observation.id == observation_id)
        .values(
            last_report_id=case((newer, parsed.report_id), else_=Observation.last_report_id),
            last_collected_at=case((newer, parsed.collected_at), else_=Observation.last_collected_at),
            last_received_at=now,
            report_count=Observation.report_count + 1,
        )
    )
    connection.execute(update(Asset.__table__).where(Asset.id == asset_id).values(last_seen_at=now))
    return IngestResult("unchanged", parsed.report_id, asset_id, observation_id)


def _store_historical(session, agent_id, asset_id, parsed, now) -> IngestResult:
    parsed.validated()
    observation_id = _new_observation(session, agent_id, asset_id, parsed, now)
    return IngestResult("historical", parsed.report_id, asset_id, observation_id)


def _store_new_content(session, agent_id, asset_id, software_count, previous_payload, parsed, now) -> IngestResult:
    connection = session.connection()
    previous = _previous_report(previous_payload) if previous_payload else None
    document = parsed.document
    delta = None
    if previous is not None and isinstance(previous.get("software"), list) and isinstance(document.get("software"), list):
        delta = software_delta(previous["software"], document["software"])
        report = parsed.validated_subset(delta.fresh_indices)
    else:
        report = parsed.validated()
    asset_created = asset_id is None
    if asset_created:
        asset_id = connection.execute(
            insert(Asset.__table__)
            .values(agent_id=agent_id, hostname=report.host.hostname, first_seen_at=now, last_seen_at=now, software_count=0)
            .returning(Asset.id)
        ).scalar_one()
        software_count = 0
    observation_id = _new_observation(session, agent_id, asset_id, parsed, now)
    # Most changes are software upgrades: NIC and disk rows are rewritten only when they differ
    # (and an asset made just now has none to delete).
    if previous is None or previous.get("nics") != document.get("nics"):
        _replace_nics(connection, asset_id, report, observation_id, delete_old=not asset_created)
    if previous is None or previous.get("disks") != document.get("disks"):
        _replace_disks(connection, asset_id, report, observation_id, delete_old=not asset_created)
    if delta is not None:
        diff = apply_software_delta(session, asset_id, delta, report.software, observation_id, now)
    else:
        # No previous payload to diff against: compare with the stored links (none when the count is 0).
        diff = sync_asset_software(session, asset_id, report.software, observation_id, now,
                                   is_new_asset=software_count == 0, asset_created=asset_created)
    facts = _asset_facts(report) | {
        "last_seen_at": now,
        "observation_id": observation_id,
        "software_count": software_count + diff.added - diff.removed,
    }
    connection.execute(update(Asset.__table__).where(Asset.id == asset_id).values(**facts))
    return IngestResult("stored", parsed.report_id, asset_id, observation_id)


def _previous_report(payload: bytes) -> dict | None:
    """The report last applied to the asset, from its observation's payload (None if unreadable).

    The asset's software links, NICs and disks equal that report's, so the next report is
    diffed against it in memory instead of re-reading 1,500 link rows.
    """
    try:
        # wbits=47: gzip or zlib, whichever the payload was written as.
        document = orjson.loads(zlib.decompress(payload, wbits=47))
    except (zlib.error, orjson.JSONDecodeError):
        document = None
    if not isinstance(document, dict):
        log.warning("unreadable observation payload; diffing against stored rows")
        return None
    return document


def _new_observation(session, agent_id, asset_id, parsed: ParsedInventory, now) -> int:
    return session.connection().execute(
        insert(Observation.__table__)
        .values(
            source="agent",
            kind="inventory",
            agent_id=agent_id,
            asset_id=asset_id,
            schema_version=parsed.document["schema_version"],
            content_hash=parsed.content_hash,
            report_id=parsed.report_id,
            collected_at=parsed.collected_at,
            received_at=now,
            last_report_id=parsed.report_id,
            last_collected_at=parsed.collected_at,
            last_received_at=now,
            report_count=1,
            payload=parsed.payload(),
        )
        .returning(Observation.id)
    ).scalar_one()


def _asset_facts(report: InventoryReport) -> dict:
    """The asset columns an inventory report determines, identifiers normalised."""
    host, os_, cpu, memory, users = report.host, report.os, report.cpu, report.memory, report.users
    return {
        "hostname": host.hostname,
        "fqdn": host.fqdn,
        "domain": host.domain,
        "smbios_uuid": normalize_uuid(host.smbios_uuid),
        "machine_id": host.machine_id,
        "serial": normalize_serial(host.serial),
        "vendor": host.vendor,
        "model": host.model,
        "chassis_type": host.chassis_type,
        "asset_tag": normalize_serial(host.asset_tag),
        "bios_vendor": host.bios_vendor,
        "bios_version": host.bios_version,
        "bios_date": host.bios_date,
        "os_name": os_.name if os_ else None,
        "os_version": os_.version if os_ else None,
        "os_build": os_.build if os_ else None,
        "kernel": os_.kernel if os_ else None,
        "arch": os_.arch if os_ else None,
        "os_install_date": os_.install_date if os_ else None,
        "boot_time": os_.boot_time if os_ else None,
        "timezone": os_.timezone if os_ else None,
        "cpu_model": cpu.model if cpu else None,
        "cpu_sockets": cpu.sockets if cpu else None,
        "cpu_cores": cpu.cores if cpu else None,
        "cpu_threads": cpu.threads if cpu else None,
        "memory_bytes": memory.total_bytes if memory else None,
        "memory_modules": [m.model_dump(exclude_none=True) for m in memory.modules] if memory else None,
        "logged_in_users": list(users.logged_in) if users else None,
        "primary_user": users.primary if users else None,
        "probe_errors": [e.model_dump() for e in report.probe_errors] or None,
    }


def _replace_nics(connection, asset_id: int, report: InventoryReport, observation_id: int,
                  delete_old: bool = True) -> None:
    if delete_old:
        connection.execute(delete(AssetNic.__table__).where(AssetNic.asset_id == asset_id))
    rows = []
    for nic in report.nics:
        info = classify_mac(nic.mac)
        rows.append({
            "asset_id": asset_id,
            "name": nic.name,
            "mac": info.mac if info else None,
            "ipv4": list(nic.ipv4),
            "ipv6": list(nic.ipv6),
            "speed_mbps": nic.speed_mbps,
            "virtual": nic.virtual or bool(info and info.virtual_vendor),
            "kind": nic.kind,
            "locally_administered": bool(info and info.locally_administered),
            "observation_id": observation_id,
        })
    if rows:
        connection.execute(insert(AssetNic.__table__), rows)


def _replace_disks(connection, asset_id: int, report: InventoryReport, observation_id: int,
                   delete_old: bool = True) -> None:
    if delete_old:
        connection.execute(delete(AssetDisk.__table__).where(AssetDisk.asset_id == asset_id))
    rows = [
        {
            "asset_id": asset_id,
            "name": disk.name,
            "model": disk.model,
            "serial": normalize_serial(disk.serial),
            "size_bytes": disk.size_bytes,
            "type": disk.type,
            "observation_id": observation_id,
        }
        for disk in report.disks
    ]
    if rows:
        connection.execute(insert(AssetDisk.__table__), rows)


def _claim_receipt(session: Session, agent_id: str, report_id: str, outcome: str, observation_id, now) -> bool:
    """Record the report id; False when it was stored before (a retried upload)."""
    claimed = session.connection().execute(
        insert_ignoring_conflicts(session, ReportReceipt.__table__)
        .values(report_id=report_id, agent_id=agent_id, observation_id=observation_id, outcome=outcome, received_at=now)
        .returning(ReportReceipt.report_id)
    ).first()
    return claimed is not None
