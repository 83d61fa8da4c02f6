"""Listing the devices scanners found, managed (linked to an asset) or not, and the discovered nodes.

A *discovered node* is an unlinked device whose "unmanaged" exception the last run did not raise
(collector/reconcile/scoping.py): by the unmanaged policy (e.g. a MAC known only from a switch's
forwarding table) or by a suppression rule. Each listed device carries that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from collector.models import Device, QuietedException
from collector.queries.ordering import Sort, order_clauses

__all__ = ["DEVICE_SORTS", "QUIET_SOURCES", "DevicePage", "list_devices"]

QUIET_SOURCES = ("policy", "suppression")
# Sort key -> column (collector/queries/ordering.py); the id breaks ties. IPs sort as stored text.
DEVICE_SORTS = {"id": Device.id, "ip": Device.ip, "mac": Device.mac, "vendor": Device.vendor,
                "type": Device.device_type, "model": Device.model, "serial": Device.serial, "name": Device.sys_name,
                "last_seen": Device.last_seen_at}


@dataclass(frozen=True)
class DevicePage:
    items: list[Device]
    total: int
    page: int
    per_page: int
    not_raised: dict[int, dict]  # device id -> {"source", "rule_id", "reason"} for discovered nodes


def list_devices(session: Session, managed: bool | None, page: int, per_page: int, quieted: str | None = None,
                 search: str | None = None, device_type: str | None = None, sort: Sort = Sort("id")) -> DevicePage:
    """``managed`` True: linked to an asset; False: the unmanaged ones; None: all. ``quieted``: only
    those whose unmanaged exception was not raised by "policy" or by a "suppression" rule.
    ``search``: a case-insensitive substring of IP, MAC, name, vendor or type. ``device_type``: only that kind.
    ``sort``: a key of DEVICE_SORTS, by ORDER BY + LIMIT/OFFSET (id, IP, MAC, serial and last seen are indexed)."""
    query = select(Device.id)
    if managed is not None:
        query = query.where(Device.asset_id.is_not(None) if managed else Device.asset_id.is_(None))
    if device_type:
        query = query.where(Device.device_type == device_type)
    if quieted is not None:
        query = query.where(Device.id.in_(select(QuietedException.subject_id).where(
            QuietedException.subject_type == "device", QuietedException.kind == "unmanaged",
            QuietedException.source == quieted)))
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            Device.ip, Device.mac, Device.sys_name, Device.vendor, Device.oui_vendor, Device.device_type))))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    # The page's ids from narrow rows, then those devices in full (with their switch).
    order = order_clauses(DEVICE_SORTS, sort, Device.id)
    page_ids = query.order_by(*order).limit(per_page).offset((page - 1) * per_page).subquery()
    items = list(session.scalars(select(Device).join(page_ids, page_ids.c.id == Device.id).order_by(*order)).unique())
    return DevicePage(items, total, page, per_page, _not_raised(session, [d.id for d in items]))


def _not_raised(session: Session, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = session.scalars(select(QuietedException).where(
        QuietedException.subject_type == "device", QuietedException.kind == "unmanaged",
        QuietedException.subject_id.in_(ids)))
    return {q.subject_id: {"source": q.source, "rule_id": q.rule_id, "reason": q.reason} for q in rows}
