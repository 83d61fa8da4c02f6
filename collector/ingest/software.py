"""Software catalogue maintenance and per-asset link diffs.

A report's packages become catalogue keys; the asset's links change by set difference
(added keys inserted, vanished keys deleted), so a machine that upgraded 20 packages
costs 40 row changes, not 1,500. New catalogue keys are inserted in sorted order so that
concurrent reports adding the same packages on PostgreSQL take row locks in one order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from collector.ingest.bulk import bulk_for
from collector.models import AssetSoftware
from common.schema import SoftwareItem

__all__ = ["SoftwareDiff", "software_key", "sync_asset_software"]


@dataclass(frozen=True)
class SoftwareDiff:
    added: int
    removed: int
    updated: int
    total: int


def software_key(item: SoftwareItem) -> str:
    """Identity of a catalogue entry: name, version, publisher, arch and source."""
    raw = "\x1f".join((item.name, item.version or "", item.publisher or "", item.arch or "", item.source))
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


def sync_asset_software(
    session: Session,
    asset_id: int,
    items: Sequence[SoftwareItem],
    observation_id: int,
    now: datetime,
    is_new_asset: bool = False,
) -> SoftwareDiff:
    bulk = bulk_for(session)
    wanted: dict[str, SoftwareItem] = {}
    for item in items:
        wanted.setdefault(software_key(item), item)
    current = {} if is_new_asset else bulk.current_links(session, asset_id)
    removed = [current[key][0] for key in current.keys() - wanted.keys()]
    added = sorted(wanted.keys() - current.keys())
    changed_dates = [
        (current[key][0], wanted[key].install_date)
        for key in current.keys() & wanted.keys()
        if current[key][1] != wanted[key].install_date
    ]
    if removed:
        bulk.unlink_software(session, asset_id, removed)
    if added:
        ids = _catalogue_ids(session, bulk, {key: wanted[key] for key in added}, now)
        links = [{"software_id": ids[key], "install_date": wanted[key].install_date} for key in added]
        bulk.link_software(session, asset_id, links, now, observation_id)
    for software_id, install_date in changed_dates:
        session.execute(
            update(AssetSoftware)
            .where(AssetSoftware.asset_id == asset_id, AssetSoftware.software_id == software_id)
            .values(install_date=install_date)
        )
    return SoftwareDiff(added=len(added), removed=len(removed), updated=len(changed_dates), total=len(wanted))


def _catalogue_ids(session: Session, bulk, items: dict[str, SoftwareItem], now: datetime) -> dict[str, int]:
    """Catalogue ids for these keys, creating the entries that do not exist yet."""
    ids = bulk.software_ids(session, list(items))
    missing = sorted(items.keys() - ids.keys())
    if missing:
        bulk.insert_software(
            session,
            [
                {"key": key, "name": items[key].name, "version": items[key].version, "publisher": items[key].publisher,
                 "arch": items[key].arch, "source": items[key].source}
                for key in missing
            ],
            now,
        )
        ids.update(bulk.software_ids(session, missing))
    return ids
