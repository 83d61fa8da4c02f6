"""Raw titles no rule covers, with how many devices have them: the curation list.

Grouped by name, publisher and source (one line for "FooApp" in all its versions), largest
install count first, so an admin's first rule covers the most installs.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import AssetSoftware, SamSoftwareProduct, Software

__all__ = ["uncovered_titles"]


def uncovered_titles(session: Session, *, search: str | None = None, page: int = 1,
                     per_page: int = 50) -> tuple[list[dict], int]:
    """One page of uncovered titles and the number of them (normalised titles only)."""
    installs = func.count(func.distinct(AssetSoftware.asset_id))
    query = (select(Software.name, Software.publisher, Software.source,
                    func.count(func.distinct(Software.id)).label("titles"), func.max(Software.version).label("version"),
                    installs.label("installs"))
             .join(SamSoftwareProduct, SamSoftwareProduct.software_id == Software.id)
             .outerjoin(AssetSoftware, AssetSoftware.software_id == Software.id)
             .where(SamSoftwareProduct.product_id.is_(None), SamSoftwareProduct.rule_id.is_(None))
             .group_by(Software.name, Software.publisher, Software.source))
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Software.name).like(pattern, escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(installs.desc(), Software.name, Software.source)
                           .limit(per_page).offset((page - 1) * per_page))
    return [dict(row._mapping) for row in rows], total
