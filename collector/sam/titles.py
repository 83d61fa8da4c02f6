"""Raw titles no rule covers, with how many devices have them: the curation list.

Grouped by name, publisher and source (one line for "FooApp" in all its versions), largest
install count first, so an admin's first rule covers the most installs.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import AssetSoftware, SamSoftwareProduct, Software
from collector.queries.ordering import Sort, order_clauses

__all__ = ["TITLE_SORTS", "uncovered_titles"]

_INSTALLS = func.count(func.distinct(AssetSoftware.asset_id))
_TITLES = func.count(func.distinct(Software.id))
# Sort key -> terms; a line is one (name, publisher, source), so those break ties.
TITLE_SORTS = {"devices": (_INSTALLS, Software.name, Software.publisher), "name": (Software.name, Software.publisher),
               "publisher": (Software.publisher, Software.name), "source": (Software.source, Software.name,
                                                                            Software.publisher),
               "versions": (_TITLES, Software.name, Software.publisher)}


def uncovered_titles(session: Session, *, search: str | None = None, page: int = 1,
                     per_page: int = 50, sort: Sort = Sort("devices", True)) -> tuple[list[dict], int]:
    """One page of uncovered titles and the number of them (normalised titles only)."""
    installs = _INSTALLS
    query = (select(Software.name, Software.publisher, Software.source,
                    _TITLES.label("titles"), func.max(Software.version).label("version"),
                    installs.label("installs"))
             .join(SamSoftwareProduct, SamSoftwareProduct.software_id == Software.id)
             .outerjoin(AssetSoftware, AssetSoftware.software_id == Software.id)
             .where(SamSoftwareProduct.product_id.is_(None), SamSoftwareProduct.rule_id.is_(None))
             .group_by(Software.name, Software.publisher, Software.source))
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(func.lower(Software.name).like(pattern, escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(query.order_by(*order_clauses(TITLE_SORTS, sort, Software.source))
                           .limit(per_page).offset((page - 1) * per_page))
    return [dict(row._mapping) for row in rows], total
