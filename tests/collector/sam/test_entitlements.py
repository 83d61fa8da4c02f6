"""Entitlement records: every bad field named at once, nothing stored; changes in the audit log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import Actor, verify_chain
from collector.errors import Forbidden, InvalidInput, NotFound
from collector.models import AuditLogEntry
from collector.models.sam import SamEntitlement
from collector.sam.entitlements import (Editor, EntitlementFilters, create_entitlement, days_left, delete_entitlement,
                                        get_entitlement, list_entitlements, update_entitlement)
from tests.collector.sam.entitlement_factories import add_products, admin_editor

OFFICE = {"publisher": "Microsoft", "product": "Office", "edition": "Professional Plus", "metric": "device",
          "quantity": 120, "unit_cost": "439.00", "currency": "EUR"}


@pytest.fixture
def products(database):
    return add_products(database)


def _create(database, data: dict, editor=None):
    with database.write() as session:
        return create_entitlement(session, data, editor or admin_editor()).id


def _refused(database, data: dict) -> dict[str, str]:
    """The field -> message of a refused create; asserts nothing was stored."""
    with pytest.raises(InvalidInput) as refused:
        _create(database, data)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SamEntitlement)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)) == 0
    return {problem.field: problem.message for problem in refused.value.fields}


def test_a_good_record_is_stored_with_defaults_and_audited(database, products):
    entitlement_id = _create(database, {**OFFICE, "publisher": " microsoft ", "product": "OFFICE",
                                        "edition": "professional plus", "quantity": "120"})
    with database.session() as session:
        stored = get_entitlement(session, entitlement_id)
        assert stored.product_id == products[("Microsoft", "Office", "Professional Plus")]
        assert (stored.quantity, stored.term, stored.currency, stored.unit_cost) == (120, "perpetual", "EUR",
                                                                                   Decimal("439.00"))
        assert stored.core_factor is None and stored.downgrade_rights is False
        entry = session.scalars(select(AuditLogEntry)).one()
        assert (entry.action, entry.actor, entry.target) == ("sam_entitlement_created", "alice",
                                                            f"entitlement {entitlement_id}")
        assert entry.detail["role"] == "admin" and entry.detail["before"] is None
        assert entry.detail["after"]["quantity"] == 120 and entry.detail["after"]["unit_cost"] == "439"
        assert verify_chain(session).ok


def test_negative_and_non_numeric_quantities_are_refused(database, products):
    assert _refused(database, {**OFFICE, "quantity": -5}) == {"quantity": "cannot be negative (-5)"}
    assert _refused(database, {**OFFICE, "quantity": "ten"}) == {"quantity": "not a whole number: 'ten'"}
    assert _refused(database, {**OFFICE, "quantity": 2.5}) == {"quantity": "not a whole number: '2.5'"}
    assert _refused(database, {**OFFICE, "quantity": ""})["quantity"].startswith("required")


def test_end_before_start_is_refused(database, products):
    errors = _refused(database, {**OFFICE, "term": "subscription", "start_date": "2026-06-01",
                                 "end_date": "2026-01-31"})
    assert errors == {"end_date": "end before start: 2026-01-31 is before the start date 2026-06-01"}


def test_a_subscription_needs_both_dates_and_a_perpetual_licence_no_end(database, products):
    assert _refused(database, {**OFFICE, "term": "subscription"}) == {
        "start_date": "a subscription needs a start date", "end_date": "a subscription needs an end date"}
    assert _refused(database, {**OFFICE, "end_date": "2027-01-01"}) == {
        "end_date": "a perpetual licence has no end date (use term subscription)"}
    assert _refused(database, {**OFFICE, "term": "lease"})["term"].startswith("unknown term 'lease'")


def test_an_unknown_product_lists_close_matches(database, products):
    errors = _refused(database, {**OFFICE, "product": "Ofice", "edition": ""})
    assert errors["product"].startswith("no product named 'Ofice' in the catalogue; close matches: Microsoft Office ")
    assert "Microsoft Office Standard" in errors["product"] and "Professional Plus" in errors["product"]
    assert "SQL Server" not in errors["product"]
    errors = _refused(database, {**OFFICE, "publisher": "Micro Focus"})
    assert errors == {"publisher": "'Office' is published by Microsoft in the catalogue, not 'Micro Focus'"}
    errors = _refused(database, {**OFFICE, "edition": "Home"})
    assert errors == {"edition": "no edition 'Home' of Microsoft Office; editions: 'Professional Plus', 'Standard'"}
    errors = _refused(database, {**OFFICE, "edition": None})
    assert errors["edition"].startswith("Microsoft Office has several editions; name one")
    assert _refused(database, {**OFFICE, "publisher": None, "product": None, "edition": None,
                               "product_id": 999999}) == {"product_id": "no product with id 999999"}


def test_an_unknown_metric_and_one_that_does_not_fit_the_product(database, products):
    errors = _refused(database, {**OFFICE, "metric": "per_seat"})
    assert errors["metric"].startswith("unknown metric 'per_seat'; use one of installation, device, named_user")
    errors = _refused(database, {**OFFICE, "metric": "processor_core"})
    assert errors == {"metric": "a metric that does not fit the product: Microsoft Office Professional Plus is "
                                "licensed per device or named_user, not processor_core"}


def test_every_problem_of_a_record_is_reported_at_once(database, products):
    errors = _refused(database, {"publisher": "Microsoft", "product": "Office", "edition": "Standard",
                                 "metric": "device", "quantity": "-1", "version_from": "2019", "version_to": "2016",
                                 "core_factor": "0.5", "unit_cost": "-3", "currency": "EURO", "colour": "red",
                                 "term": "subscription", "start_date": "2026-13-01", "end_date": "2026-01-01"})
    assert set(errors) == {"quantity", "version_to", "core_factor", "unit_cost", "currency", "colour", "start_date"}
    assert errors["version_to"] == "version_to 2016 is below version_from 2019"
    assert errors["core_factor"] == "only for the processor_core metric, not device"
    assert errors["currency"].startswith("not an ISO 4217 currency code: 'EURO'")
    assert errors["colour"] == "unknown field"


def test_versions_compare_as_versions(database, products):
    entitlement_id = _create(database, {**OFFICE, "version_from": "9", "version_to": "10", "downgrade_rights": "yes"})
    with database.session() as session:
        stored = get_entitlement(session, entitlement_id)
        assert (stored.version_from, stored.version_to, stored.downgrade_rights) == ("9", "10", True)


def test_processor_core_fields(database, products):
    sql = {"publisher": "Microsoft", "product": "SQL Server", "edition": "Enterprise", "metric": "processor_core",
           "quantity": 16}
    first = _create(database, {**sql, "min_cores_per_vm": 4})
    with database.session() as session:
        stored = get_entitlement(session, first)
        assert (stored.core_factor, stored.min_cores_per_vm, stored.min_cores_per_processor) == (Decimal(1), 4, None)
    with pytest.raises(InvalidInput) as refused:
        _create(database, {**sql, "core_factor": "0", "min_cores_per_processor": "-2"})
    assert {(f.field, f.message) for f in refused.value.fields} == {
        ("core_factor", "must be above 0 and at most 999.999 (0)"),
        ("min_cores_per_processor", "cannot be negative (-2)")}


def test_site_and_unlimited_licences_may_leave_the_quantity_out(database, products):
    entitlement_id = _create(database, {"publisher": "Zoom", "product": "Zoom Workplace", "metric": "site"})
    with database.session() as session:
        assert get_entitlement(session, entitlement_id).quantity == 0
    assert _refused_after(database, {"publisher": "Zoom", "product": "Zoom Workplace", "metric": "unlimited",
                                     "quantity": "-1"}) == {"quantity": "cannot be negative (-1)"}


def _refused_after(database, data: dict) -> dict[str, str]:
    with database.session() as session:
        count = session.scalar(select(func.count()).select_from(SamEntitlement))
    with pytest.raises(InvalidInput) as refused:
        _create(database, data)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SamEntitlement)) == count
    return {problem.field: problem.message for problem in refused.value.fields}


def test_text_limits_and_formulas(database, products):
    errors = _refused(database, {**OFFICE, "vendor": "x" * 256, "po_number": "=HYPERLINK(\"http://x\")",
                                 "notes": "n" * 10_001})
    assert errors["vendor"] == "longer than 255 characters (256)"
    assert errors["po_number"].startswith("formula not allowed")
    assert errors["notes"] == "longer than 10000 characters (10001)"


def test_update_lays_changes_over_the_record_and_audits_before_and_after(database, products):
    entitlement_id = _create(database, {"publisher": "Microsoft", "product": "SQL Server", "edition": "Enterprise",
                                        "metric": "processor_core", "quantity": 16, "core_factor": "0.5"})
    with database.write() as session:
        update_entitlement(session, entitlement_id, {"quantity": 24, "vendor": "SoftwareOne"}, admin_editor("bob"))
    with database.session() as session:
        stored = get_entitlement(session, entitlement_id)
        assert (stored.quantity, stored.vendor, stored.core_factor) == (24, "SoftwareOne", Decimal("0.5"))
        entry = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc())).first()
        assert (entry.action, entry.actor) == ("sam_entitlement_updated", "bob")
        assert (entry.detail["before"]["quantity"], entry.detail["after"]["quantity"]) == (16, 24)
        assert entry.detail["before"]["vendor"] is None and entry.detail["after"]["vendor"] == "SoftwareOne"
    with pytest.raises(InvalidInput) as refused, database.write() as session:
        update_entitlement(session, entitlement_id, {"quantity": "-1", "end_date": "2027-01-01"}, admin_editor())
    assert {f.field for f in refused.value.fields} == {"quantity", "end_date"}
    with database.session() as session:
        assert get_entitlement(session, entitlement_id).quantity == 24


def test_changing_the_metric_drops_core_fields_and_the_product_can_be_renamed(database, products):
    entitlement_id = _create(database, {"publisher": "Oracle", "product": "Java SE", "metric": "processor_core",
                                        "quantity": 8, "core_factor": "0.5"})
    with database.write() as session:
        update_entitlement(session, entitlement_id, {"metric": "named_user"}, admin_editor())
    with database.session() as session:
        assert get_entitlement(session, entitlement_id).core_factor is None
    with database.write() as session:
        update_entitlement(session, entitlement_id, {"publisher": "JetBrains", "product": "IntelliJ IDEA"},
                           admin_editor())
    with database.session() as session:
        assert get_entitlement(session, entitlement_id).product_id == products[("JetBrains", "IntelliJ IDEA",
                                                                                 "Ultimate")]


def test_delete_is_audited_and_unknown_ids_are_not_found(database, products):
    entitlement_id = _create(database, OFFICE)
    with database.write() as session:
        delete_entitlement(session, entitlement_id, admin_editor())
    with database.session() as session:
        assert session.get(SamEntitlement, entitlement_id) is None
        entry = session.scalars(select(AuditLogEntry).order_by(AuditLogEntry.id.desc())).first()
        assert entry.action == "sam_entitlement_deleted" and entry.detail["after"] is None
        assert entry.detail["before"]["quantity"] == 120 and entry.detail["before"]["allocations"] == []
    for action in (lambda s: delete_entitlement(s, entitlement_id, admin_editor()),
                   lambda s: update_entitlement(s, entitlement_id, {"quantity": 1}, admin_editor())):
        with pytest.raises(NotFound), database.write() as session:
            action(session)


def test_only_admins_write(database, products):
    auditor = Editor(Actor(2, "audrey", "test"), "auditor")
    with pytest.raises(Forbidden):
        _create(database, OFFICE, auditor)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SamEntitlement)) == 0


def test_list_filters_sorts_and_days_left(database, products):
    _create(database, OFFICE)
    java = _create(database, {"publisher": "Oracle", "product": "Java SE", "metric": "named_user", "quantity": 50,
                              "term": "subscription", "start_date": "2026-01-01", "end_date": "2027-01-15"})
    _create(database, {"publisher": "Adobe", "product": "Acrobat", "edition": "Pro", "metric": "named_user",
                       "quantity": 10, "term": "subscription", "start_date": "2026-01-01", "end_date": "2026-12-31"})
    with database.session() as session:
        rows, total = list_entitlements(session, EntitlementFilters(metric="named_user", sort="end_date"))
        assert total == 2 and [r.product.name for r in rows] == ["Acrobat", "Java SE"]
        rows, _ = list_entitlements(session, EntitlementFilters(sort="quantity", descending=True))
        assert [r.entitlement.quantity for r in rows] == [120, 50, 10]
        rows, total = list_entitlements(session, EntitlementFilters(publisher="ORAC", term="subscription"))
        assert total == 1 and rows[0].entitlement.id == java
        assert days_left(rows[0].entitlement, date(2026, 12, 6)) == 40
        office = list_entitlements(session, EntitlementFilters(product="office"))[0][0].entitlement
        assert days_left(office, date(2026, 12, 6)) is None
        rows, total = list_entitlements(session, EntitlementFilters(product="%"))
        assert total == 0
