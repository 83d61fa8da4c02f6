"""One asset as its page shows it: its facts with their provenance, and what reconciliation
and the network say about it (the CI match with the explanation, the exceptions raised about
it or its CI, the scanned devices that are it, with the switch port each was seen on).

Software comes back as plain rows, not ORM objects: an asset has ~1,500 packages, and
building 3,000 mapped instances per page view cost more than the rest of the page."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models import Asset, AssetDisk, AssetNic, AssetSoftware, Device, Observation, Software
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch
from collector.queries.reporting_agents import ReportingAgent, reporting_agents

__all__ = ["AssetFacts", "AssetLinks", "asset_facts", "asset_links"]

RECENT_OBSERVATIONS = 20


@dataclass(frozen=True)
class AssetFacts:
    asset: Asset
    observation: Observation | None
    nics: list[AssetNic]
    disks: list[AssetDisk]
    software: list  # rows: name, version, publisher, source, first_seen_at
    observations: list[Observation]
    sources: dict[int, Observation]
    # The agents that reported the asset and its observations (protocol and version), by agent id.
    agents: dict[str, ReportingAgent] = field(default_factory=dict)


def asset_facts(session: Session, asset_id: int) -> AssetFacts:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    nics = list(session.scalars(select(AssetNic).where(AssetNic.asset_id == asset_id).order_by(AssetNic.name)))
    disks = list(session.scalars(select(AssetDisk).where(AssetDisk.asset_id == asset_id).order_by(AssetDisk.name)))
    software = session.execute(
        select(Software.name, Software.version, Software.publisher, Software.source, AssetSoftware.first_seen_at)
        .join(AssetSoftware, AssetSoftware.software_id == Software.id).where(AssetSoftware.asset_id == asset_id)
        .order_by(Software.name, Software.version)).all()
    observations = list(session.scalars(select(Observation).where(Observation.asset_id == asset_id)
                                        .order_by(Observation.id.desc()).limit(RECENT_OBSERVATIONS)))
    wanted = {asset.observation_id, *(row.observation_id for row in (*nics, *disks))} - {None}
    sources = {o.id: o for o in session.scalars(select(Observation).where(Observation.id.in_(wanted)))}
    agents = reporting_agents(session, [asset.agent_id, *(o.agent_id for o in (*observations, *sources.values()))])
    return AssetFacts(asset, sources.get(asset.observation_id), nics, disks, software, observations, sources, agents)


@dataclass(frozen=True)
class AssetLinks:
    match: CiMatch | None
    ci: ConfigurationItem | None
    open_exceptions: list[AuditException]
    closed_exceptions: list[AuditException]
    devices: list[Device]


def asset_links(session: Session, asset_id: int, closed_limit: int = 20) -> AssetLinks:
    match = session.scalar(select(CiMatch).where(CiMatch.subject_type == "asset", CiMatch.subject_id == asset_id))
    ci = session.get(ConfigurationItem, match.ci_id) if match is not None and match.ci_id else None
    about = and_(AuditException.subject_type == "asset", AuditException.subject_id == asset_id)
    if ci is not None:
        about = or_(about, AuditException.ci_id == ci.id)
    order = (AuditException.opened_at.desc(), AuditException.id.desc())
    open_ = list(session.scalars(select(AuditException).where(about, AuditException.open_key.is_not(None))
                                 .order_by(*order)))
    closed = list(session.scalars(select(AuditException).where(about, AuditException.open_key.is_(None))
                                  .order_by(*order).limit(closed_limit)))
    devices = list(session.scalars(select(Device).where(Device.asset_id == asset_id).order_by(Device.id)))
    return AssetLinks(match, ci, open_, closed, devices)
