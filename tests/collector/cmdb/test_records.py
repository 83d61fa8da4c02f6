"""create_ci: one CI from a process, refusing a duplicate tag or serial and bad values."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from collector.cmdb import records
from collector.errors import Conflict, InvalidInput
from collector.models.cmdb import ConfigurationItem
from tests.collector.reconcile.fleet import NOW


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(ConfigurationItem))


def test_bad_values_are_all_named_and_nothing_is_stored(database):
    with database.write() as session:
        with pytest.raises(InvalidInput) as refused:
            records.create_ci(session, {"asset_tag": " ", "serial": "0000000", "ci_class": "boat", "colour": "red"},
                              NOW)
        assert sorted((f.field, f.message) for f in refused.value.fields) == [
            ("asset_tag", "is required"), ("ci_class", "must be one of computer, server, virtual_machine, "
                                                       "network_device, printer, phone, peripheral, other"),
            ("colour", "is not a field a process may set"), ("serial", "is a placeholder, not a serial number")]
        assert _count(session) == 0


def test_a_tag_taken_between_the_check_and_the_insert_is_a_conflict(database, monkeypatch):
    """The race on PostgreSQL: another writer commits the tag after this one checked it."""
    with database.write() as session:
        records.create_ci(session, {"asset_tag": "LT-1", "serial": "5CG0000001", "status": "in_stock"}, NOW)
    monkeypatch.setattr(records, "_refuse_duplicates", lambda *args: None)
    with database.write() as session:
        with pytest.raises(Conflict, match="asset tag 'LT-1' was just taken by another CI; nothing was stored"):
            records.create_ci(session, {"asset_tag": "LT-1", "serial": "5CG0000002"}, NOW)
        assert _count(session) == 1  # the session is still usable: the savepoint was rolled back
