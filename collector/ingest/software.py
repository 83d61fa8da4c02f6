"""Software catalogue maintenance and per-asset link diffs.

A report's packages become catalogue keys; the asset's links change by set difference
(vanished packages unlinked, new ones linked), so a machine that upgraded 20 packages
costs 40 row changes, not 1,500.

Two ways to find the difference:
- against the previous report applied to the asset (the common case): entries are
  compared as sent, so the 1,480 identical ones cost one tuple each and are neither
  validated again nor hashed (see ``software_delta``);
- against the stored links (a new asset, or a previous payload that cannot be read).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from collector.db import CommittedIds
from collector.ingest.bulk import bulk_for
from collector.models import AssetSoftware
from common.schema import SoftwareItem

__all__ = [
    "SoftwareDelta",
    "SoftwareDiff",
    "apply_software_delta",
    "software_delta",
    "software_identity",
    "software_key",
    "sync_asset_software",
]

Identity = tuple[str, str | None, str | None, str | None, str]


@dataclass(frozen=True)
class SoftwareDiff:
    added: int
    removed: int
    updated: int


@dataclass(frozen=True)
class SoftwareDelta:
    """How a report's software list differs from the previous report's, entry by entry."""

    # Positions in the new list of entries not present, identical, in the previous list.
    fresh_indices: list[int]
    # Previous entries absent, identical, from the new list.
    vanished: list[dict]


def software_identity(item: SoftwareItem) -> Identity:
    """What makes two catalogue entries the same package (empty strings count as absent)."""
    return (item.name, item.version or None, item.publisher or None, item.arch or None, item.source)


# A fleet reports the same packages again and again: a new machine's 1,500 keys cost ~1.2 ms
# of hashing, ~0.1 ms from here. ~400 bytes an entry, so ~13 MB per worker when full.
@functools.lru_cache(maxsize=32_768)
def software_key(identity: Identity) -> str:
    """The catalogue's indexed key for an identity: blake2b-128 of its fields (a pure function, cached)."""
    raw = "\x1f".join(part or "" for part in identity)
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


def software_delta(previous: Sequence[dict], new: Sequence[Any]) -> SoftwareDelta:
    """Compare two software lists as sent by the agent (previous one already validated)."""
    known: dict[tuple, dict] = {}
    for entry in previous:
        key = _entry_key(entry)
        if key is not None:
            known.setdefault(key, entry)
    present, fresh = set(), []
    for index, entry in enumerate(new):
        key = _entry_key(entry)
        if key is not None and key in known:
            present.add(key)
        else:
            fresh.append(index)
    return SoftwareDelta(fresh_indices=fresh, vanished=[entry for key, entry in known.items() if key not in present])


def apply_software_delta(
    session: Session, asset_id: int, delta: SoftwareDelta, fresh: Sequence[SoftwareItem], observation_id: int, now: datetime
) -> SoftwareDiff:
    """Unlink vanished packages, link fresh ones, and re-date packages only re-installed."""
    vanished = {_raw_identity(entry): entry for entry in delta.vanished}
    arrived: dict[Identity, SoftwareItem] = {}
    for item in fresh:
        arrived.setdefault(software_identity(item), item)
    redated = vanished.keys() & arrived.keys()  # same package, other install date
    removed = _unlink(session, asset_id, [identity for identity in vanished if identity not in redated])
    added = _link(session, asset_id, {i: item for i, item in arrived.items() if i not in redated}, observation_id, now)
    _redate(session, asset_id, {identity: arrived[identity] for identity in redated})
    return SoftwareDiff(added=added, removed=removed, updated=len(redated))


def sync_asset_software(
    session: Session,
    asset_id: int,
    items: Sequence[SoftwareItem],
    observation_id: int,
    now: datetime,
    is_new_asset: bool = False,
    asset_created: bool = False,
) -> SoftwareDiff:
    """Make the asset's links equal ``items``, diffing against the links stored in the database.
    ``is_new_asset``: it has no links (none are read); ``asset_created``: its row was inserted
    in this transaction (no links either, and they are inserted without conflict handling)."""
    wanted: dict[Identity, SoftwareItem] = {}
    for item in items:
        wanted.setdefault(software_identity(item), item)
    current = {} if is_new_asset or asset_created else bulk_for(session).current_links(session, asset_id)
    redated = {
        identity: wanted[identity]
        for identity in current.keys() & wanted.keys()
        if current[identity][1] != wanted[identity].install_date
    }
    removed = _unlink(session, asset_id, list(current.keys() - wanted.keys()))
    added = _link(session, asset_id, {i: wanted[i] for i in wanted.keys() - current.keys()}, observation_id, now,
                  asset_created)
    _redate(session, asset_id, redated)
    return SoftwareDiff(added=added, removed=removed, updated=len(redated))


def _entry_key(entry: Any) -> tuple | None:
    """An entry as a hashable tuple, in the agent's own field order; None if it cannot be one."""
    try:
        key = tuple(entry.items())
        hash(key)
    except (AttributeError, TypeError):
        return None
    return key


def _raw_identity(entry: dict) -> Identity:
    return (entry["name"], entry.get("version") or None, entry.get("publisher") or None,
            entry.get("arch") or None, entry["source"])


def _unlink(session: Session, asset_id: int, identities: list[Identity]) -> int:
    if not identities:
        return 0
    bulk = bulk_for(session)
    ids = bulk.software_ids(session, [software_key(identity) for identity in identities])
    return bulk.unlink_software(session, asset_id, list(ids.values())) if ids else 0


def _link(session: Session, asset_id: int, items: dict[Identity, SoftwareItem], observation_id: int, now: datetime,
          asset_created: bool = False) -> int:
    if not items:
        return 0
    bulk = bulk_for(session)
    keys = {software_key(identity): identity for identity in items}  # distinct keys, so distinct ids
    ids = _catalogue_ids(session, bulk, keys, now)
    # In id order: the index entries then go in in key order (~15% less server time for 1,500).
    links = sorted((ids[key], items[identity].install_date) for key, identity in keys.items())
    return bulk.link_software(session, asset_id, [link[0] for link in links], [link[1] for link in links],
                              now, observation_id, asset_created)


def _redate(session: Session, asset_id: int, items: dict[Identity, SoftwareItem]) -> None:
    if not items:
        return
    ids = bulk_for(session).software_ids(session, [software_key(identity) for identity in items])
    for identity, item in items.items():
        session.execute(
            update(AssetSoftware)
            .where(AssetSoftware.asset_id == asset_id, AssetSoftware.software_id == ids[software_key(identity)])
            .values(install_date=item.install_date)
        )


def _catalogue_ids(session: Session, bulk, identities: dict[str, Identity], now: datetime) -> dict[str, int]:
    """Catalogue ids for these keys, creating the entries that do not exist yet.

    New keys are inserted in sorted order so that concurrent reports adding the same
    packages on PostgreSQL take their row locks in one order.
    """
    known = session.info.get(CommittedIds.SESSION_KEY)  # the Database's, on its write sessions
    ids: dict[str, int] = {}
    if known is not None:
        for key in identities:
            software_id = known.get(key)
            if software_id is not None:
                ids[key] = software_id
    found = bulk.software_ids(session, [key for key in identities if key not in ids]) if len(ids) < len(identities) else {}
    ids.update(found)
    missing = sorted(identities.keys() - ids.keys())
    if missing:
        columns = ("name", "version", "publisher", "arch", "source")
        bulk.insert_software(session, [{"key": key, **dict(zip(columns, identities[key]))} for key in missing], now)
        created = bulk.software_ids(session, missing)
        ids.update(created)
        found.update(created)
    if known is not None and found:
        known.learn(session, found)
    return ids
