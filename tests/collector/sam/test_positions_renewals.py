"""Renewal items at 90/60/30 days and on expiry, and the renewal workflows they start."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select

from collector.models import WorkflowInstance
from collector.models.sam import SamEntitlement, SamRenewalItem
from collector.sam.renewals import raise_renewals, threshold_for
from collector.sam.run import run_positions
from collector.workflows.loading import templates_for
from collector.workflows.triggers import run_scheduled_triggers, trigger_warnings
from tests.collector.sam.factories import NOW, SamBuilder, days
from tests.collector.workflows.conftest import people, templates  # noqa: F401 - fixtures
from tests.collector.workflows.helpers import act, data_of


def _items(database) -> list[tuple]:
    with database.session() as session:
        return [(i.entitlement_id, i.threshold_days, i.end_date, i.workflow_instance_id) for i in session.scalars(
            select(SamRenewalItem).order_by(SamRenewalItem.entitlement_id, SamRenewalItem.threshold_days.desc()))]


def _renewals(database) -> list[WorkflowInstance]:
    with database.session() as session:
        return list(session.scalars(select(WorkflowInstance).where(WorkflowInstance.template == "sam_renewal")
                                    .order_by(WorkflowInstance.id)))


def test_the_threshold_reached_on_a_day():
    end = date(2027, 3, 31)
    assert [threshold_for(end, end - timedelta(days=n)) for n in (120, 91, 90, 61, 60, 31, 30, 1, 0, -1, -30)] == [
        None, None, 90, 90, 60, 60, 30, 30, 30, 0, 0]


def test_each_threshold_is_raised_once_as_the_end_comes_closer(database):
    with database.write() as session:
        builder = SamBuilder(session)
        product = builder.product("Atlassian", "Jira Software", metrics=["named_user"])
        subscription = builder.entitlement(product, "named_user", 50, term="subscription", start_date=days(-265),
                                           end_date=days(100))
        builder.entitlement(product, "named_user", 5)  # perpetual: never renewed
    raised = []
    for offset in (0, 10, 11, 41, 41, 70, 99, 100, 101, 150):
        with database.write() as session:
            raised.append(raise_renewals(session, NOW + timedelta(days=offset)))
    assert raised == [0, 1, 0, 1, 0, 1, 0, 0, 1, 0]
    assert [(t, end) for _, t, end, _ in _items(database)] == [(90, days(100)), (60, days(100)), (30, days(100)),
                                                               (0, days(100))]
    assert {e for e, *_ in _items(database)} == {subscription}
    with database.write() as session:  # renewed for a year: the old term's items are done, the new one's come
        session.get(SamEntitlement, subscription).end_date = days(465)
    with database.write() as session:
        assert raise_renewals(session, NOW + timedelta(days=150)) == 0
    with database.session() as session:
        assert set(session.scalars(select(SamRenewalItem.status))) == {"renewed"}
    with database.write() as session:
        assert raise_renewals(session, NOW + timedelta(days=380)) == 1
    assert [(t, end) for _, t, end, _ in _items(database) if end == days(465)] == [(90, days(465))]


def test_renewal_items_start_one_renewal_workflow_per_subscription(database, config, fleet, templates, people):
    e = fleet["entitlements"]
    renewing = replace(config, workflow_triggers={"subscription_renewal": "sam_renewal"})
    assert trigger_warnings(renewing, templates_for(renewing)) == []
    summary = run_positions(database, renewing, as_of=NOW)
    assert summary["counts"]["renewal_items"] == 2
    assert summary["workflows"]["subscription_renewal"] == {"started": 2, "skipped": 0}
    [acrobat, tableau] = _renewals(database)
    assert [(i[0], i[1], i[3]) for i in _items(database)] == [(e["acrobat"], 0, acrobat.id),
                                                              (e["tableau"], 60, tableau.id)]
    seeded = data_of(database, tableau.id)
    assert {k: seeded[k] for k in ("publisher", "product", "term_end", "quantity", "cost", "threshold_days")} == {
        "publisher": "Tableau", "product": "Tableau Desktop", "term_end": days(45).isoformat(), "quantity": 3,
        "cost": 2100, "threshold_days": 60}
    # 30 days before the end: a new item, and the running renewal of that subscription takes it
    later = run_positions(database, renewing, as_of=NOW + timedelta(days=15))
    assert later["workflows"]["subscription_renewal"] == {"started": 0, "skipped": 1}
    assert [(i[1], i[3]) for i in _items(database) if i[0] == e["tableau"]] == [(60, tableau.id), (30, tableau.id)]
    assert len(_renewals(database)) == 2
    assert run_scheduled_triggers(database, renewing, NOW + timedelta(days=16))["subscription_renewal"].started == 0
    act(database, templates, tableau.id, "request", people["alice"],
        {"publisher": "Tableau", "product": "Tableau Desktop", "choice": "renew", "term_end": days(45).isoformat(),
         "cost": 2100, "quantity": 3}, NOW + timedelta(days=16))
    assert data_of(database, tableau.id)["installs_at_start"] == 0  # counted by the normalised product


def test_the_schedule_trigger_starts_renewals_from_items_a_run_raised(database, config, fleet):
    quiet = replace(config, workflow_triggers={"subscription_renewal": ""})  # a site that turned it off
    run_positions(database, quiet, as_of=NOW)
    assert _renewals(database) == []
    assert all(i[3] is None for i in _items(database))
    renewing = config  # on by default
    results = run_scheduled_triggers(database, renewing, NOW)
    assert results["subscription_renewal"].started == 2
    assert sorted(i[3] for i in _items(database)) == sorted(w.id for w in _renewals(database))
    assert run_scheduled_triggers(database, renewing, NOW)["subscription_renewal"].started == 0
