"""What the CMDB holds for the CIs a file names, read as plain values for comparison.

Columns are selected as tuples, not ORM objects: an import of 50,000 mostly unchanged rows
compares 50,000 dicts and writes nothing, without building and tracking 50,000 instances.
Lookups go through the asset tag, serial and CI id indexes, 500 keys at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from collector.cmdb.columns import COLUMNS
from collector.models.cmdb import CiMac, CiRelationship, ConfigurationItem

__all__ = ["LINKS", "STORED", "SerialOwner", "StoredCi", "chunks", "load_by_id", "load_by_tag", "serial_owners",
           "tags_in_cmdb"]

# Fields kept outside the cis row (ci_macs, ci_relationships), and those in it: the register's
# columns, and the attributes (columns without a CI field, by header; collector.cmdb.attributes).
LINKS = ("macs", "runs_on", "connected_to")
STORED = (*(column.field for column in COLUMNS if column.field not in LINKS), "attributes")
_CHUNK = 500


@dataclass(frozen=True)
class StoredCi:
    """A CI's id and its value for every importable field (MACs sorted; links by target asset tag)."""

    id: int
    values: dict[str, object]

    @property
    def asset_tag(self) -> str | None:
        return self.values["asset_tag"]


@dataclass(frozen=True)
class SerialOwner:
    id: int
    asset_tag: str | None

    @property
    def label(self) -> str:
        return repr(self.asset_tag) if self.asset_tag else f"#{self.id}"


def chunks(values: Iterable, size: int = _CHUNK) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def load_by_tag(session: Session, tags: Iterable[str]) -> dict[str, StoredCi]:
    found = _load(session, ConfigurationItem.asset_tag, sorted(set(tags)))
    return {ci.asset_tag: ci for ci in found}


def load_by_id(session: Session, ids: Iterable[int]) -> dict[int, StoredCi]:
    return {ci.id: ci for ci in _load(session, ConfigurationItem.id, sorted(set(ids)))}


def serial_owners(session: Session, serials: Iterable[str]) -> dict[str, list[SerialOwner]]:
    """Every CI holding each serial, in id order."""
    owners: dict[str, list[SerialOwner]] = defaultdict(list)
    for chunk in chunks(sorted(set(serials))):
        query = (select(ConfigurationItem.serial, ConfigurationItem.id, ConfigurationItem.asset_tag)
                 .where(ConfigurationItem.serial.in_(chunk)).order_by(ConfigurationItem.id))
        for serial, ci_id, tag in session.execute(query):
            owners[serial].append(SerialOwner(ci_id, tag))
    return owners


def tags_in_cmdb(session: Session, tags: Iterable[str]) -> set[str]:
    return {tag for chunk in chunks(sorted(set(tags))) for tag in session.scalars(
        select(ConfigurationItem.asset_tag).where(ConfigurationItem.asset_tag.in_(chunk)))}


def _load(session: Session, key, keys: list) -> list[StoredCi]:
    columns = [getattr(ConfigurationItem, name) for name in STORED]
    found = []
    for chunk in chunks(keys):
        rows = session.execute(select(ConfigurationItem.id, *columns).where(key.in_(chunk))).all()
        links = _links(session, [ci_id for ci_id, *_ in rows])
        found += [StoredCi(ci_id, {**dict(zip(STORED, values)), **links[ci_id]}) for ci_id, *values in rows]
    return found


def _links(session: Session, ids: list[int]) -> dict[int, dict[str, object]]:
    """MACs, and the runs_on / connected_to the register itself set (discovered links are not its)."""
    links: dict[int, dict[str, object]] = defaultdict(lambda: {"macs": (), "runs_on": None, "connected_to": None})
    for ci_id, mac in session.execute(select(CiMac.ci_id, CiMac.mac).where(CiMac.ci_id.in_(ids)).order_by(CiMac.mac)):
        links[ci_id]["macs"] += (mac,)
    target = aliased(ConfigurationItem)
    query = (select(CiRelationship.ci_id, CiRelationship.kind, target.asset_tag, CiRelationship.target)
             .join(target, target.id == CiRelationship.target_ci_id)
             .where(CiRelationship.ci_id.in_(ids), CiRelationship.source == "import",
                    CiRelationship.kind.in_(("runs_on", "connected_to"))))
    for ci_id, kind, tag, port in session.execute(query):
        links[ci_id][kind] = tag if kind == "runs_on" else (tag, port)
    return links
