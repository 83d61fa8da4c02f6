"""Indexes for the global search: ``lower(column)`` on every field the search box looks in.

Search is case-insensitive, so it compares ``lower(column)``; an index on that expression
answers equality and prefix questions on both backends. On PostgreSQL the index uses the
``text_pattern_ops`` operator class so ``LIKE 'abc%'`` can walk it whatever the database's
collation (a default-collation index serves LIKE only under the C locale); SQLite walks the
same expression index for a range ``>= 'abc' AND < 'abc\\U0010ffff'`` (collated by bytes).
Declared here, apart from the models, because they serve one query module
(``collector/queries/search.py``) and not the records' own invariants.
"""

from __future__ import annotations

from sqlalchemy import Index, String, func, literal_column

from collector.models.assets import Asset, AssetNic
from collector.models.cmdb import CiMac, ConfigurationItem
from collector.models.devices import Device
from collector.models.software import Software

__all__ = ["NIC_ADDRESS_SLOTS", "SEARCH_INDEXES", "nic_address"]

# A NIC's IPv4 addresses are a JSON list; its first two (most NICs have one, some servers
# two) are indexed as ``ipv4 ->> n`` (PostgreSQL, and SQLite from 3.38), so an IP search is
# an index walk instead of a scan of every NIC's list.
NIC_ADDRESS_SLOTS = (0, 1)


def nic_address(slot: int):
    """The NIC's ``slot``-th IPv4 address as text: the expression the indexes below are on."""
    return AssetNic.__table__.c.ipv4.op("->>", return_type=String)(literal_column(str(int(slot))))


def _lower_index(column) -> Index:
    name = f"ix_{column.table.name}_{column.key}_search"
    return Index(name, func.lower(column).label("term"), postgresql_ops={"term": "text_pattern_ops"})


# (model column) for each field: the name is ix_<table>_<column>_search.
SEARCH_INDEXES = tuple(_lower_index(column) for column in (
    Asset.__table__.c.hostname, Asset.__table__.c.serial, Asset.__table__.c.asset_tag,
    Asset.__table__.c.primary_user, AssetNic.__table__.c.mac,
    ConfigurationItem.__table__.c.asset_tag, ConfigurationItem.__table__.c.name,
    ConfigurationItem.__table__.c.hostname, ConfigurationItem.__table__.c.serial, ConfigurationItem.__table__.c.ip,
    ConfigurationItem.__table__.c.assigned_user, CiMac.__table__.c.mac,
    Device.__table__.c.sys_name, Device.__table__.c.serial, Device.__table__.c.ip, Device.__table__.c.mac,
    Software.__table__.c.name,
)) + tuple(Index(f"ix_asset_nics_ipv4_{slot}_search", nic_address(slot).label("address"),
                 postgresql_ops={"address": "text_pattern_ops"}) for slot in NIC_ADDRESS_SLOTS)
