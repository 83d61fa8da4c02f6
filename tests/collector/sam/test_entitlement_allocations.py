"""Allocations: to an existing CI, a user or a department, never beyond the quantity bought."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from collector.errors import InvalidInput, NotFound
from collector.models import AuditLogEntry
from collector.models.cmdb import ConfigurationItem
from collector.models.sam import SamEntitlementAllocation
from collector.sam.allocations import add_allocation, allocated_total, list_allocations, remove_allocation
from collector.sam.entitlements import create_entitlement, delete_entitlement, update_entitlement
from tests.collector.sam.entitlement_factories import add_products, admin_editor


@pytest.fixture
def entitlement(database):
    add_products(database)
    with database.write() as session:
        ci = ConfigurationItem(asset_tag="LT-0001", name="Laptop", ci_class="computer", status="deployed")
        session.add(ci)
        created = create_entitlement(session, {"publisher": "JetBrains", "product": "IntelliJ IDEA",
                                               "metric": "named_user", "quantity": 5}, admin_editor())
        return created.id, ci.id


def _add(database, entitlement_id: int, data: dict):
    with database.write() as session:
        return add_allocation(session, entitlement_id, data, admin_editor()).id


def _errors(database, entitlement_id: int, data: dict) -> dict[str, str]:
    with database.session() as session:
        before = session.scalar(select(func.count()).select_from(SamEntitlementAllocation))
    with pytest.raises(InvalidInput) as refused:
        _add(database, entitlement_id, data)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SamEntitlementAllocation)) == before
    return {f.field: f.message for f in refused.value.fields}


def test_allocations_to_a_device_a_user_and_a_department(database, entitlement):
    entitlement_id, ci_id = entitlement
    _add(database, entitlement_id, {"target_kind": "device", "target": str(ci_id)})
    _add(database, entitlement_id, {"target_kind": "user", "target": "alice", "quantity": 1})
    _add(database, entitlement_id, {"target_kind": "department", "target": "R&D", "quantity": "3"})
    with database.session() as session:
        assert allocated_total(session, entitlement_id) == 5
        assert [(a.target_kind, a.target) for a in list_allocations(session, entitlement_id)] == [
            ("department", "R&D"), ("device", str(ci_id)), ("user", "alice")]
        actions = session.scalars(select(AuditLogEntry.action)).all()
        assert actions.count("sam_allocation_added") == 3


def test_bad_allocations_are_refused_with_every_reason(database, entitlement):
    entitlement_id, ci_id = entitlement
    assert _errors(database, entitlement_id, {"target_kind": "device", "target": "99999"}) == {
        "target": "no CI with id 99999"}
    assert _errors(database, entitlement_id, {"target_kind": "device", "target": "LT-0001"}) == {
        "target": "a device is named by its CI id (a number), not 'LT-0001'"}
    assert _errors(database, entitlement_id, {"target_kind": "team", "target": "", "quantity": 0}) == {
        "target_kind": "must be one of device, user, department",
        "target": "required: the CI id, user name or department", "quantity": "must be at least 1 (0)"}
    assert _errors(database, entitlement_id, {"target_kind": "user", "target": "bob", "quantity": 6}) == {
        "quantity": "6 more would allocate 6 of the 5 bought (0 already allocated)"}
    _add(database, entitlement_id, {"target_kind": "user", "target": "bob", "quantity": 4})
    assert _errors(database, entitlement_id, {"target_kind": "user", "target": "carol", "quantity": 2}) == {
        "quantity": "2 more would allocate 6 of the 5 bought (4 already allocated)"}
    assert _errors(database, entitlement_id, {"target_kind": "user", "target": "bob"}) == {
        "target": "this entitlement already has an allocation to user bob"}


def test_quantity_cannot_drop_below_what_is_allocated(database, entitlement):
    entitlement_id, _ = entitlement
    _add(database, entitlement_id, {"target_kind": "department", "target": "Sales", "quantity": 4})
    with pytest.raises(InvalidInput) as refused, database.write() as session:
        update_entitlement(session, entitlement_id, {"quantity": 3}, admin_editor())
    assert [(f.field, f.message) for f in refused.value.fields] == [
        ("quantity", "3 is below the 4 already allocated; remove allocations first")]


def test_removal_and_deleting_the_entitlement(database, entitlement):
    entitlement_id, _ = entitlement
    first = _add(database, entitlement_id, {"target_kind": "user", "target": "alice"})
    _add(database, entitlement_id, {"target_kind": "user", "target": "bob"})
    with database.write() as session:
        remove_allocation(session, entitlement_id, first, admin_editor())
    with pytest.raises(NotFound), database.write() as session:
        remove_allocation(session, entitlement_id, first, admin_editor())
    with database.write() as session:
        delete_entitlement(session, entitlement_id, admin_editor())
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SamEntitlementAllocation)) == 0
        deleted = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "sam_entitlement_deleted")).one()
        assert deleted.detail["before"]["allocations"] == [{"target_kind": "user", "target": "bob", "quantity": 1}]


def test_two_admins_allocating_at_once_cannot_over_commit(database, entitlement):
    """The entitlement row is locked while one allocation is added: the second waits, then sees it."""
    import threading

    if database.is_sqlite:
        pytest.skip("SQLite write transactions are exclusive already")
    entitlement_id, _ = entitlement
    outcome = {}

    def second() -> None:
        try:
            _add(database, entitlement_id, {"target_kind": "department", "target": "Sales", "quantity": 3})
            outcome["second"] = "stored"
        except InvalidInput as exc:
            outcome["second"] = exc.fields[0].message

    with database.write() as session:
        add_allocation(session, entitlement_id, {"target_kind": "department", "target": "R&D", "quantity": 3},
                       admin_editor())
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the second allocation did not wait for the first"
    thread.join(10)
    assert outcome["second"] == "3 more would allocate 6 of the 5 bought (3 already allocated)"
    with database.session() as session:
        assert allocated_total(session, entitlement_id) == 3
