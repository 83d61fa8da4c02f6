"""Listing the devices scanners found, managed (linked to an asset) or not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import Device

__all__ = ["DevicePage", "list_devices"]


@dataclass(frozen=True)
class DevicePage:
    items: list[Device]
    total: int
    page: int
    per_page: int


def list_devices(session: Session, managed: bool | None, page: int, per_page: int,
                 device_type: str | None = None) -> DevicePage:
    """``managed`` True: linked to an asset; False: the unmanaged ones; None: all. ``device_type``: only that kind."""
    query = select(Device)
    if managed is not None:
        query = query.where(Device.asset_id.is_not(None) if managed else Device.asset_id.is_(None))
    if device_type:
        query = query.where(Device.device_type == device_type)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Device.id).limit(per_page).offset((page - 1) * per_page))
    return DevicePage(list(items), total, page, per_page)
