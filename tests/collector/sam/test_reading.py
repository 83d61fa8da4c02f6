"""Readers of stored positions and the catalogue: the latest finished run only, filters by
status, history across runs, installs counted per product, who has a product, renewals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collector.errors import InvalidInput, NotFound
from collector.sam import reading
from tests.collector.sam.factories_reports import AS_OF, AS_OF_OLD, seed_sam


@pytest.fixture
def seeded(database):
    return seed_sam(database)


def _names(rows):
    return [(name, position.metric) for position, _, name, _ in rows]


def test_latest_run_skips_running_runs(database, seeded):
    with database.session() as session:
        run = reading.latest_run(session)
        assert run.id == seeded.run_id and run.as_of == AS_OF


def test_no_run_yet(database):
    seed_sam(database, with_runs=False)
    with database.session() as session:
        assert reading.latest_run(session) is None
        overview = reading.overview(session, AS_OF.date())
    assert overview.run is None and overview.products_short == 0 and overview.shortfall == {}


def test_positions_filtered_by_status_publisher_and_metric(database, seeded):
    with database.session() as session:
        run_id = seeded.run_id
        everything = reading.list_positions(session, run_id, reading.PositionFilters())
        assert _names(everything) == [("Acrobat", "device"), (seed_hostile := everything[1][2], "installation"),
                                      ("Office", "named_user"), ("SQL Server", "processor_core")]
        assert seed_hostile.startswith("<script>")
        assert _names(reading.list_positions(session, run_id, reading.PositionFilters(status="short"))) == [
            ("Office", "named_user")]
        assert _names(reading.list_positions(session, run_id, reading.PositionFilters(status="surplus"))) == [
            ("SQL Server", "processor_core")]
        # ok: balance 0 (Acrobat) and unlimited (no balance).
        assert len(reading.list_positions(session, run_id, reading.PositionFilters(status="ok"))) == 2
        microsoft = reading.list_positions(session, run_id, reading.PositionFilters(publisher="Microsoft"))
        assert {name for _, _, name, _ in microsoft} == {"Office", "SQL Server"}
        assert _names(reading.list_positions(session, run_id, reading.PositionFilters(metric="device"))) == [
            ("Acrobat", "device")]
        with pytest.raises(InvalidInput) as bad:
            reading.list_positions(session, run_id, reading.PositionFilters(status="fine"))
    assert bad.value.fields[0].field == "status"


def test_history_across_finished_runs(database, seeded):
    with database.session() as session:
        history = reading.position_history(session, seeded.products["office"])
    assert [(h.as_of, h.entitled, h.consumed, h.balance) for h in history] == [
        (AS_OF_OLD, 2, 2, 0), (AS_OF, 2, 3, -1)]  # the running run's 99 is not there


def test_catalogue_counts_installs_and_devices(database, seeded):
    with database.session() as session:
        page = reading.list_products(session, reading.ProductFilters(), 1, 50)
        counts = {p.name: (installs, devices) for p, installs, devices in page.items}
        assert page.total == 5
        assert counts["Office"] == (4, 4) and counts["Firefox"] == (4, 4) and counts["SQL Server"] == (1, 1)
        assert [p.name for p, _, _ in reading.list_products(session, reading.ProductFilters(q="acro"), 1, 50).items] \
            == ["Acrobat"]
        free = reading.list_products(session, reading.ProductFilters(licensable=False), 1, 50)
        assert [p.name for p, _, _ in free.items] == ["Firefox"]
        second = reading.list_products(session, reading.ProductFilters(), 2, 2)
        assert second.total == 5 and second.pages == 3 and len(second.items) == 2


def test_product_detail_and_who_has_it(database, seeded):
    office = seeded.products["office"]
    with database.session() as session:
        detail = reading.product_detail(session, office)
        assert (detail.installs, detail.devices) == (4, 4)
        assert detail.versions == [("16.0.1", 3, 3), ("15.0.4", 1, 1)]
        assert [(p.metric, p.balance) for p in detail.positions] == [("named_user", -1)]
        holders = reading.who_has(session, office, None, 1, 50)
        assert [(h.hostname, h.version, h.primary_user, h.asset_tag) for h in holders.items] == [
            ("host-1", "16.0.1", "alice", "LT-1001"), ("host-2", "16.0.1", "alice", None),
            ("host-3", "16.0.1", "bob", None), ("host-4", "15.0.4", "carol", None)]
        assert [h.hostname for h in reading.who_has(session, office, "15.0.4", 1, 50).items] == ["host-4"]
        assert reading.who_has(session, office, None, 2, 3).items[0].hostname == "host-4"
        with pytest.raises(NotFound):
            reading.product_detail(session, 987654)


def test_evidence_pages_and_streams_product_by_product(database, seeded):
    p = seeded.products
    with database.session() as session:
        page = reading.list_consumption(session, seeded.run_id, p["office"], None, 1, 2)
        assert page.total == 3 and [r.device for r in page.items] == ["host-1", "host-3"]
        streamed = list(reading.iter_consumption(session, seeded.run_id, [p["sql"], p["office"]], chunk=2))
    assert [(r.product_id, r.device) for r in streamed] == [
        (p["sql"], "host-2"), (p["office"], "host-1"), (p["office"], "host-3"), (p["office"], "host-4")]


def test_reclaim_sorted_and_renewals_bucketed(database, seeded):
    with database.session() as session:
        by_money = reading.list_reclaim(session, seeded.run_id)
        assert [c.device for c, *_ in by_money.items] == ["host-3", "host-4"]
        by_device = reading.list_reclaim(session, seeded.run_id, "device", False)
        assert [c.device for c, *_ in by_device.items] == ["host-3", "host-4"]
        assert [c.device for c, *_ in reading.list_reclaim(session, seeded.run_id, "product", False).items] == [
            "host-3", "host-4"]  # Acrobat before Office
        assert reading.reclaim_totals(session, seeded.run_id) == {"EUR": 550}
        renewals = reading.list_renewals(session, seeded.today)
        earlier = reading.list_renewals(session, seeded.today - timedelta(days=50))
        earliest = reading.list_renewals(session, seeded.today - timedelta(days=100))
    # One row per entitlement (its tightest threshold), soonest end first.
    assert [(r.product, r.days_left, r.bucket, r.item.threshold_days) for r in renewals] == [
        ("SQL Server", -10, "expired", 0), ("Office", 20, "30 days", 30)]
    assert [(r.product, r.bucket) for r in earlier] == [("SQL Server", "60 days"), ("Office", "90 days")]
    assert [(r.product, r.bucket) for r in earliest] == [("SQL Server", "90 days"), ("Office", "later")]


def test_overview_totals(database, seeded):
    with database.session() as session:
        o = reading.overview(session, seeded.today)
    assert (o.products_short, o.reclaim_count, o.renewals_due, o.renewals_expired) == (1, 2, 1, 1)
    assert o.shortfall == {"EUR": 250} and o.surplus == {"EUR": 4000} and o.reclaim == {"EUR": 550}
