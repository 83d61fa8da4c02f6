"""Licence positions of the seeded fleet (tests/collector/sam/conftest.py): every number known in advance."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from collector.models.sam import SamConsumption, SamEntitlement, SamPosition, SamReclaimCandidate
from collector.sam.positions import compute_positions, latest_run, position_of, positions_of
from tests.collector.sam.factories import NOW


def _run(database, as_of=NOW):
    with database.write() as session:
        return compute_positions(session, as_of=as_of).id


def _positions(database, run_id) -> dict:
    with database.session() as session:
        return {(product.name, position.metric): (position.entitled, position.consumed, position.balance,
                                                  position.shortfall_cost, position.surplus_cost)
                for position, product in positions_of(session, run_id)}


def _evidence(database, product_id) -> dict:
    with database.session() as session:
        return {row.device: (row.units, row.user, row.reason) for row in session.scalars(
            select(SamConsumption).where(SamConsumption.product_id == product_id))}


def test_every_position_of_the_seeded_fleet(database, fleet):
    run_id = _run(database)
    d = Decimal
    assert _positions(database, run_id) == {
        ("SQL Server", "processor_core"): (24, 34, -10, d("10000.00"), d("0.00")),
        ("Office", "named_user"): (2, 3, -1, d("200.00"), d("0.00")),
        ("Visio", "device"): (2, 2, 0, d("0.00"), d("0.00")),
        ("Acrobat", "named_user"): (0, 1, -1, d("150.00"), d("0.00")),
        ("AutoCAD", "device"): (0, 1, -1, d("0.00"), d("0.00")),
        ("Java SE", "installation"): (5, 2, 3, d("0.00"), d("75.00")),
        ("Tableau Desktop", "named_user"): (3, 0, 3, d("0.00"), d("2100.00")),
    }


def test_per_core_evidence_names_hosts_vms_and_minimums(database, fleet):
    _run(database)
    evidence = _evidence(database, fleet["products"]["sql"])
    assert {device: units for device, (units, _, _) in evidence.items()} == {
        "SRV-HOST1": 16, "VM-A": 0, "VM-B": 4, "vm-c": 6, "SRV-HOST3": 8}
    assert evidence["SRV-HOST3"][2] == "physical host: 4 cores × 1, minimum 4 per processor × 2 = 8 → 8"
    assert evidence["VM-A"][2] == ("VM on host SRV-HOST1, which is licensed for all its physical cores: "
                                   "not counted again")
    assert evidence["VM-B"][2].startswith(f"VM (runs on host CI {fleet['machines']['srv-host2']['ci_id']}): "
                                          "2 vCPUs × 1, minimum 4 per VM → 4")
    assert evidence["vm-c"][2].startswith("VM (its hardware reports 'QEMU'")
    assert evidence["vm-c"][2].endswith("(unmanaged machine: no CI matched; an install still counts)")
    with database.session() as session:
        row = session.scalars(select(SamConsumption).where(SamConsumption.device == "vm-c")).one()
    assert (row.ci_id, row.asset_id, row.version) == (None, fleet["machines"]["vm-c"]["asset_id"], "15.0.2000.5")
    assert row.first_seen_at == NOW - timedelta(days=100)
    assert row.last_seen_at == NOW - timedelta(hours=1)
    assert row.observation_id == 1


def test_a_user_counts_once_and_a_suite_once_per_device(database, fleet):
    _run(database)
    evidence = _evidence(database, fleet["products"]["office"])
    assert {device: (units, user) for device, (units, user, _) in evidence.items()} == {
        "LT-1": (1, "alice"), "LT-2": (0, "alice"), "LT-3": (1, "bob"), "LT-4": (1, "device:LT-4")}
    assert evidence["LT-2"][2] == "user alice already counted on LT-1"
    assert evidence["LT-4"][2] == "no known user: the device counts as its own user"
    with database.session() as session:
        components = session.scalar(select(func.count()).select_from(SamPosition).where(SamPosition.product_id.in_(
            [fleet["products"][n] for n in ("word", "excel", "powerpoint")])))
        assert components == 0  # covered by the suite's position
        _, office = position_of(session, fleet["products"]["office"])
        assert [c["name"] for c in office.explanation["suite_components"]] == ["Word", "Excel", "PowerPoint"]


def test_downgrade_rights_cover_older_versions_and_without_them_the_install_is_short(database, fleet):
    _run(database)
    with database.write() as session:
        session.get(SamEntitlement, fleet["entitlements"]["visio"]).downgrade_rights = False
    run_id = _run(database)
    assert _positions(database, run_id)[("Visio", "device")] == (2, 2, -1, Decimal("300.00"), Decimal("0.00"))
    evidence = _evidence(database, fleet["products"]["visio"])
    assert evidence["LT-1"][2].endswith("version 2016 is not covered by any active entitlement")


def test_an_expired_subscription_does_not_count_and_is_named(database, fleet):
    _run(database)
    with database.session() as session:
        _, acrobat = position_of(session, fleet["products"]["acrobat"])
        _, autocad = position_of(session, fleet["products"]["autocad"])
    assert acrobat.explanation["entitlements"] == []
    assert [(e["id"], e["quantity"], e["excluded"]) for e in acrobat.explanation["excluded"]] == [
        (fleet["entitlements"]["acrobat"], 5, "subscription expired 2026-10-31")]
    assert autocad.explanation["note"] == "unlicensed install: no entitlement for this product"
    assert autocad.unit_cost is None


def test_titles_that_differ_per_os_are_one_product(database, fleet):
    _run(database)
    evidence = _evidence(database, fleet["products"]["java"])
    assert {device: units for device, (units, _, _) in evidence.items()} == {"LT-2": 1, "lx-1": 1}


def test_reclaim_candidates_with_the_money_they_free(database, fleet):
    _run(database)
    with database.session() as session:
        rows = session.scalars(select(SamReclaimCandidate).order_by(SamReclaimCandidate.device,
                                                                    SamReclaimCandidate.product_id)).all()
    p = fleet["products"]
    assert [(r.device, r.product_id, r.days_unused, r.freed_cost, r.user) for r in rows] == [
        ("LT-1", p["visio"], 200, Decimal("300.00"), "alice"),
        ("LT-3", p["office"], None, Decimal("200.00"), "bob"),
        ("LT-3", p["visio"], None, Decimal("300.00"), "bob"),
    ]
    assert rows[0].last_used_at == NOW - timedelta(days=200)


def test_only_the_latest_run_keeps_evidence_and_every_run_keeps_positions(database, fleet):
    first = _run(database)
    second = _run(database, NOW + timedelta(hours=1))
    with database.session() as session:
        assert latest_run(session).id == second
        assert set(session.scalars(select(SamConsumption.run_id).distinct())) == {second}
        assert set(session.scalars(select(SamReclaimCandidate.run_id).distinct())) == {second}
        assert set(session.scalars(select(SamPosition.run_id).distinct())) == {first, second}
        counts = latest_run(session).counts
    assert (counts["positions"], counts["over_deployed"], counts["reclaim_candidates"]) == (7, 4, 3)
    assert (counts["devices"], counts["devices_without_usage_data"]) == (10, 8)  # lt-1 and lt-3 report usage
    assert _positions(database, first) == _positions(database, second)


def test_a_component_with_its_own_entitlement_is_counted_under_its_suite(database, fleet):
    from tests.collector.sam.factories import SamBuilder

    with database.write() as session:
        SamBuilder(session).entitlement(fleet["products"]["word"], "device", 1, unit_cost=90)
    run_id = _run(database)
    positions = _positions(database, run_id)
    assert positions[("Word", "device")] == (1, 0, 1, Decimal("0.00"), Decimal("90.00"))
    assert positions[("Office", "named_user")][:3] == (2, 3, -1)
    with database.session() as session:
        _, word = position_of(session, fleet["products"]["word"])
    assert word.explanation["counted_under_suite"] == {"product_id": fleet["products"]["office"], "name": "Office"}


def test_an_unlimited_licence_counts_consumption_without_a_bound(database, fleet):
    from tests.collector.sam.factories import SamBuilder

    with database.write() as session:
        SamBuilder(session).entitlement(fleet["products"]["autocad"], "unlimited", 1)
    run_id = _run(database)
    positions = _positions(database, run_id)
    assert positions[("AutoCAD", "unlimited")] == (None, 1, None, Decimal("0.00"), Decimal("0.00"))
    assert ("AutoCAD", "device") not in positions
    with database.session() as session:
        assert latest_run(session).counts["over_deployed"] == 3
