"""Listing and reading assets with the provenance of each fact."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput, NotFound
from collector.models import Asset, AssetDisk, AssetNic, AssetSoftware, Observation, Software
from collector.queries.reporting_agents import ReportingAgent, reporting_agents
from common.identity import normalize_mac, normalize_serial

__all__ = ["AssetDetail", "AssetFilters", "AssetPage", "get_asset_detail", "list_assets"]

RECENT_OBSERVATIONS = 20


@dataclass(frozen=True)
class AssetFilters:
    hostname: str | None = None
    serial: str | None = None
    mac: str | None = None

    def validated(self) -> "AssetFilters":
        problems = []
        for name in ("hostname", "serial", "mac"):
            value = getattr(self, name)
            if value is not None and (len(value) > 255 or "\x00" in value):
                problems.append(FieldError(name, "must be at most 255 characters without NUL"))
        if self.mac is not None and normalize_mac(self.mac) is None:
            problems.append(FieldError("mac", "is not a MAC address"))
        if problems:
            raise InvalidInput("invalid filter", problems)
        return self


@dataclass(frozen=True)
class AssetPage:
    items: list[Asset]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class AssetDetail:
    asset: Asset
    observation: Observation | None
    nics: list[AssetNic]
    disks: list[AssetDisk]
    software: list[tuple[Software, AssetSoftware]]
    observations: list[Observation]
    # Every observation a shown fact came from, by id.
    sources: dict[int, Observation]
    # The agents that reported the asset and its observations, by agent id.
    agents: dict[str, ReportingAgent] = field(default_factory=dict)


def list_assets(session: Session, filters: AssetFilters, page: int, per_page: int) -> AssetPage:
    filters = filters.validated()
    query = select(Asset)
    if filters.hostname:
        # Case-insensitive substring: admins search "lap-0" or "finance".
        pattern = "%" + filters.hostname.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Asset.hostname).like(pattern, escape="\\"))
    if filters.serial:
        query = query.where(Asset.serial == (normalize_serial(filters.serial) or filters.serial.strip()))
    if filters.mac:
        query = query.where(Asset.id.in_(select(AssetNic.asset_id).where(AssetNic.mac == normalize_mac(filters.mac))))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(query.order_by(Asset.id).limit(per_page).offset((page - 1) * per_page)).all()
    return AssetPage(items=list(items), total=total or 0, page=page, per_page=per_page)


def get_asset_detail(session: Session, asset_id: int) -> AssetDetail:
    asset = session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(f"no asset with id {asset_id}")
    nics = list(session.scalars(select(AssetNic).where(AssetNic.asset_id == asset_id).order_by(AssetNic.name)))
    disks = list(session.scalars(select(AssetDisk).where(AssetDisk.asset_id == asset_id).order_by(AssetDisk.name)))
    software = list(
        session.execute(
            select(Software, AssetSoftware)
            .join(AssetSoftware, AssetSoftware.software_id == Software.id)
            .where(AssetSoftware.asset_id == asset_id)
            .order_by(Software.name, Software.version)
        )
    )
    observations = list(
        session.scalars(
            select(Observation)
            .where(Observation.asset_id == asset_id)
            .order_by(Observation.id.desc())
            .limit(RECENT_OBSERVATIONS)
        )
    )
    wanted = {asset.observation_id} | {row.observation_id for row in (*nics, *disks)}
    wanted |= {link.observation_id for _, link in software}
    wanted.discard(None)
    sources = {o.id: o for o in session.scalars(select(Observation).where(Observation.id.in_(wanted)))}
    agents = reporting_agents(session, [asset.agent_id, *(o.agent_id for o in (*observations, *sources.values()))])
    return AssetDetail(
        asset=asset,
        observation=sources.get(asset.observation_id),
        nics=nics,
        disks=disks,
        software=software,
        observations=observations,
        sources=sources,
        agents=agents,
    )
