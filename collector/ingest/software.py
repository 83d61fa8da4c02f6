"""Software catalogue maintenance and per-asset link diffs.

A report's packages become catalogue keys; the asset's links change by set difference
(added keys inserted, vanished keys deleted), so a machine that upgraded 20 packages
costs 40 row changes, not 1,500.
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

__all__ = ["SoftwareDiff", "software_identity", "software_key", "sync_asset_software"]


@dataclass(frozen=True)
class SoftwareDiff:
    added: int
    removed: int
    updated: int
    total: int


Identity = tuple[str, str | None, str | None, str | None, str]


def software_identity(item: SoftwareItem) -> Identity:
    """What makes two catalogue entries the same package (empty strings count as absent)."""
    return (item.name, item.version or None, item.publisher or None, item.arch or None, item.source)


def software_key(identity: Identity) -> str:
    """The catalogue's indexed key for an identity: blake2b-128 of its fields."""
    raw = "\x1f".join(part or "" for part in identity)
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


def sync_asset_software(
    session: Session,
    asset_id: int,
    items: Sequence[SoftwareItem],
    raw_items: Sequence[dict],
    observation_id: int,
    now: datetime,
    *,
    is_new_asset: bool = False,
    previous: Sequence[dict] | None = None,
) -> SoftwareDiff:
    """Make the asset's links equal ``items`` (validated) / ``raw_items`` (the same, as sent).

    ``previous`` is the software list of the report last applied to this asset; when it is
    given, the diff is computed in memory and only changed packages touch the database.
    """
    bulk = bulk_for(session)
    wanted: dict[Identity, tuple[str | None, SoftwareItem]] = {}
    for raw, item in zip(raw_items, items):
        wanted.setdefault(software_identity(item), (raw.get("install_date"), item))
    if previous is not None:
        current = {}
        for raw in previous:
            current.setdefault(_raw_identity(raw), raw.get("install_date"))
    else:
        links = {} if is_new_asset else bulk.current_links(session, asset_id)
        current = {identity: installed for identity, (_, installed) in links.items()}
    removed = list(current.keys() - wanted.keys())
    added = list(wanted.keys() - current.keys())
    redated = [key for key in current.keys() & wanted.keys() if _date_differs(current[key], wanted[key])]
    if removed:
        ids = bulk.software_ids(session, [software_key(identity) for identity in removed])
        bulk.unlink_software(session, asset_id, list(ids.values()))
    if added:
        keys = {software_key(identity): identity for identity in added}
        ids = _catalogue_ids(session, bulk, keys, now)
        bulk.link_software(
            session, asset_id, [ids[key] for key in keys], [wanted[identity][1].install_date for identity in keys.values()],
            now, observation_id,
        )
    if redated:
        ids = bulk.software_ids(session, [software_key(identity) for identity in redated])
        for identity in redated:
            session.execute(
                update(AssetSoftware)
                .where(AssetSoftware.asset_id == asset_id, AssetSoftware.software_id == ids[software_key(identity)])
                .values(install_date=wanted[identity][1].install_date)
            )
    return SoftwareDiff(added=len(added), removed=len(removed), updated=len(redated), total=len(wanted))


def _raw_identity(raw: dict) -> Identity:
    return (raw["name"], raw.get("version") or None, raw.get("publisher") or None, raw.get("arch") or None, raw["source"])


def _date_differs(current, wanted: tuple[str | None, SoftwareItem]) -> bool:
    """Compare an install date from a previous report (text) or the links (datetime)."""
    raw, item = wanted
    if current is None or isinstance(current, str):
        return current != raw
    return current != item.install_date


def _catalogue_ids(session: Session, bulk, identities: dict[str, Identity], now: datetime) -> dict[str, int]:
    """Catalogue ids for these keys, creating the entries that do not exist yet.

    New keys are inserted in sorted order so that concurrent reports adding the same
    packages on PostgreSQL take their row locks in one order.
    """
    ids = bulk.software_ids(session, list(identities))
    missing = sorted(identities.keys() - ids.keys())
    if missing:
        columns = ("name", "version", "publisher", "arch", "source")
        bulk.insert_software(
            session, [{"key": key, **dict(zip(columns, identities[key]))} for key in missing], now
        )
        ids.update(bulk.software_ids(session, missing))
    return ids
