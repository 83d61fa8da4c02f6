"""What an exported row is about, in words a person recognises: an asset by its host name and
serial, a network device by its name, IP, MAC, vendor and switch port.

Issue 14 asks every mention of a subject to name it this way; when the shared subject
description service (collector/queries, helper A of issue 14) lands, ``subject_words`` should
call it instead of building the words here. Looked up per chunk of rows: one query per kind.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from collector.models import Asset, Device

__all__ = ["subject_words"]


def _join(*parts: object) -> str:
    return ", ".join(str(p) for p in parts if p not in (None, ""))


def _assets(session: Session, ids: list[int]) -> dict:
    rows = session.execute(select(Asset.id, Asset.hostname, Asset.serial, Asset.vendor, Asset.model)
                           .where(Asset.id.in_(ids)))
    return {("asset", i): _join(host or f"asset {i} (no host name)", serial and f"serial {serial}",
                                " ".join(p for p in (vendor, model) if p) or None)
            for i, host, serial, vendor, model in rows}


def _devices(session: Session, ids: list[int]) -> dict:
    switch = aliased(Device)
    rows = session.execute(select(Device.id, Device.sys_name, Device.ip, Device.mac, Device.vendor,
                                  Device.oui_vendor, switch.sys_name, switch.ip, Device.switch_port)
                           .outerjoin(switch, switch.id == Device.switch_device_id).where(Device.id.in_(ids)))
    words = {}
    for i, name, ip, mac, vendor, oui, sw_name, sw_ip, port in rows:
        where = f"port {port} of {sw_name or sw_ip}" if port and (sw_name or sw_ip) else None
        words[("device", i)] = _join(name or f"device {i} (unnamed)", ip, mac and f"MAC {mac}", vendor or oui, where)
    return words


def subject_words(session: Session, subjects: Iterable[tuple[str | None, int | None]]) -> dict:
    """``{(subject_type, subject_id): words}`` for the assets and devices among ``subjects``."""
    wanted: dict[str, list[int]] = {"asset": [], "device": []}
    for kind, ident in subjects:
        if kind in wanted and ident is not None:
            wanted[kind].append(ident)
    words = {}
    if wanted["asset"]:
        words.update(_assets(session, wanted["asset"]))
    if wanted["device"]:
        words.update(_devices(session, wanted["device"]))
    return words
