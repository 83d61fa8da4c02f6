"""Adoption: a machine that changes agents stays one asset (issue 15, item 5).

When an agent's first report arrives and an asset of an agent speaking a DIFFERENT protocol
has the same strong identity (the normalised SMBIOS UUID and serial both present and both
equal, per common/identity.py, so placeholder values never match), that asset is re-pointed
to the new agent instead of a new one being made: its id, CI link, history and software stay.
The old agent is marked superseded (kept, with its observations); its later reports are
refused with 409 so that two agents left running on one machine cannot pull the asset back
and forth.

Two agents of the SAME protocol with one identity are clones (a VM template copied with its
firmware ids) and are never merged; nor is anything merged when more than one asset matches.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from collector.access.audit_log import SYSTEM, append_entry
from collector.models import Agent, Asset, Observation
from common.identity import normalize_serial, normalize_uuid
from common.schema import InventoryReport

__all__ = ["AdoptedAsset", "adopt_asset"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdoptedAsset:
    """The adopted asset as store_inventory needs it: the new content is diffed against its last report."""

    asset_id: int
    observation_id: int | None
    software_count: int
    last_collected_at: datetime | None
    payload: bytes | None


def adopt_asset(session: Session, agent_id: str, report: InventoryReport, now: datetime) -> AdoptedAsset | None:
    """Re-point the one asset of another protocol's agent with this report's identity; None when none."""
    smbios_uuid, serial = normalize_uuid(report.host.smbios_uuid), normalize_serial(report.host.serial)
    if smbios_uuid is None or serial is None:
        return None
    candidates = session.execute(
        select(Asset.id, Asset.agent_id, Agent.protocol)
        .join(Agent, Agent.id == Asset.agent_id)
        .where(Asset.smbios_uuid == smbios_uuid, Asset.serial == serial)
        .limit(3)
    ).all()
    if not candidates:
        return None  # a new machine, the common case: no need to read this agent's protocol
    protocol = session.scalar(select(Agent.protocol).where(Agent.id == agent_id))
    if any(row.protocol == protocol for row in candidates):
        return None  # nothing to adopt, or a clone of the same kind of agent: keep them apart
    if len(candidates) > 1:
        log.warning("several assets share a machine identity; none adopted",
                    extra={"agent_id": agent_id, "assets": [row.id for row in candidates]})
        return None
    return _repoint(session, candidates[0], agent_id, protocol, now)


def _repoint(session: Session, candidate, agent_id: str, protocol: str, now: datetime) -> AdoptedAsset | None:
    old_agent = candidate.agent_id
    # The old agent's row lock orders this after any report of it, or adoption from it, being stored.
    session.execute(select(Agent.id).where(Agent.id == old_agent).with_for_update())
    moved = session.execute(update(Asset.__table__).where(Asset.id == candidate.id, Asset.agent_id == old_agent)
                            .values(agent_id=agent_id)).rowcount
    if moved != 1:
        return None  # adopted meanwhile by a third agent (read before the lock): leave it there
    session.execute(update(Agent.__table__).where(Agent.id == old_agent)
                    .values(superseded_by=agent_id, superseded_at=now))
    append_entry(session, "asset_adopted", SYSTEM, f"asset {candidate.id}",
                 {"from_agent": old_agent, "from_protocol": candidate.protocol,
                  "to_agent": agent_id, "to_protocol": protocol}, now)
    log.info("asset adopted by an agent of another protocol",
             extra={"asset_id": candidate.id, "from_agent": old_agent, "to_agent": agent_id})
    row = session.execute(
        select(Asset.observation_id, Asset.software_count, Observation.last_collected_at, Observation.payload)
        .outerjoin(Observation, Observation.id == Asset.observation_id)
        .where(Asset.id == candidate.id)
    ).one()
    return AdoptedAsset(candidate.id, row.observation_id, row.software_count or 0, row.last_collected_at, row.payload)
