"""Reading the CMDB: a filtered page of CIs, and one CI with its MACs and relationships."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from collector.cmdb.columns import CLASS_SPELLINGS, STATUS_SPELLINGS, value_key
from collector.errors import FieldError, InvalidInput, NotFound
from collector.models.cmdb import CI_CLASSES, CI_STATUSES, CiMac, CiRelationship, ConfigurationItem

__all__ = ["CiDetail", "CiFilters", "CiLink", "CiPage", "get_ci_detail", "list_cis"]

_Q_MAX = 255


@dataclass(frozen=True)
class CiFilters:
    ci_class: str | None = None  # any spelling the importer accepts ("VM", "virtual_machine")
    status: str | None = None
    q: str | None = None  # case-insensitive substring of asset tag, name, serial, host name or user

    def validated(self) -> "CiFilters":
        problems, ci_class, status = [], None, None
        if self.ci_class is not None:
            ci_class = CLASS_SPELLINGS.get(value_key(self.ci_class))
            if ci_class is None:
                problems.append(FieldError("class", f"must be one of {', '.join(CI_CLASSES)}"))
        if self.status is not None:
            status = STATUS_SPELLINGS.get(value_key(self.status))
            if status is None:
                problems.append(FieldError("status", f"must be one of {', '.join(CI_STATUSES)}"))
        if self.q is not None and len(self.q) > _Q_MAX:
            problems.append(FieldError("q", f"at most {_Q_MAX} characters"))
        if problems:
            raise InvalidInput("invalid query parameter", problems)
        return CiFilters(ci_class, status, self.q)


@dataclass(frozen=True)
class CiPage:
    items: list[ConfigurationItem]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class CiLink:
    """A relationship seen from one CI: the other CI (id and asset tag) and the free-text target (a port)."""

    kind: str
    ci_id: int | None
    asset_tag: str | None
    target: str | None
    source: str


@dataclass(frozen=True)
class CiDetail:
    ci: ConfigurationItem
    macs: list[str]
    links: list[CiLink]  # from this CI: runs_on host, connected_to switch
    linked_from: list[CiLink]  # to this CI: VMs running on it, devices on its ports


def list_cis(session: Session, filters: CiFilters, page: int, per_page: int) -> CiPage:
    filters = filters.validated()
    query = select(ConfigurationItem)
    if filters.ci_class:
        query = query.where(ConfigurationItem.ci_class == filters.ci_class)
    if filters.status:
        query = query.where(ConfigurationItem.status == filters.status)
    if filters.q:
        pattern = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            ConfigurationItem.asset_tag, ConfigurationItem.name, ConfigurationItem.serial,
            ConfigurationItem.hostname, ConfigurationItem.assigned_user))))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(ConfigurationItem.id).limit(per_page).offset((page - 1) * per_page))
    return CiPage(list(items), total, page, per_page)


def get_ci_detail(session: Session, ci_id: int) -> CiDetail:
    ci = session.get(ConfigurationItem, ci_id)
    if ci is None:
        raise NotFound(f"no CI with id {ci_id}")
    macs = list(session.scalars(select(CiMac.mac).where(CiMac.ci_id == ci_id).order_by(CiMac.id)))
    other = aliased(ConfigurationItem)
    outgoing = session.execute(
        select(CiRelationship, other.asset_tag).outerjoin(other, other.id == CiRelationship.target_ci_id)
        .where(CiRelationship.ci_id == ci_id).order_by(CiRelationship.id))
    incoming = session.execute(
        select(CiRelationship, other.asset_tag).join(other, other.id == CiRelationship.ci_id)
        .where(CiRelationship.target_ci_id == ci_id).order_by(CiRelationship.id))
    return CiDetail(
        ci=ci,
        macs=macs,
        links=[CiLink(r.kind, r.target_ci_id, tag, r.target, r.source) for r, tag in outgoing],
        linked_from=[CiLink(r.kind, r.ci_id, tag, r.target, r.source) for r, tag in incoming],
    )
