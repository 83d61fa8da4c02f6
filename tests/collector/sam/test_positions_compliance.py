"""Over-deployment exceptions and the remediation workflow they raise, on the seeded fleet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from collector.errors import Conflict
from collector.models import AssetSoftware, AuditException, WorkflowEvent, WorkflowInstance
from collector.models.sam import SamEntitlement
from collector.reconcile.service import run_full, run_incremental
from collector.sam.run import run_positions
from tests.collector.sam.factories import NOW
from tests.collector.workflows.conftest import people, templates  # noqa: F401 - fixtures
from tests.collector.workflows.helpers import act, data_of, event_kinds

KIND = "over_deployed"


def _open(database) -> dict:
    with database.session() as session:
        return {e.open_key: e for e in session.scalars(select(AuditException).where(AuditException.kind == KIND,
                                                                                    AuditException.open_key.is_not(None)))}


def _remediations(database) -> list[WorkflowInstance]:
    with database.session() as session:
        return list(session.scalars(select(WorkflowInstance).where(WorkflowInstance.template == "license_remediation")
                                    .order_by(WorkflowInstance.id)))


def _set_quantity(database, entitlement_id: int, quantity: int) -> None:
    with database.write() as session:
        session.get(SamEntitlement, entitlement_id).quantity = quantity


def test_over_deployment_opens_one_exception_per_product_and_metric(database, config, fleet):
    p = fleet["products"]
    summary = run_positions(database, config, as_of=NOW)
    opened = _open(database)
    assert sorted(opened) == sorted([f"{KIND}:{p['sql']}:processor_core", f"{KIND}:{p['office']}:named_user",
                                     f"{KIND}:{p['acrobat']}:named_user", f"{KIND}:{p['autocad']}:device"])
    sql = opened[f"{KIND}:{p['sql']}:processor_core"]
    assert (sql.ci_id, sql.subject_type, sql.subject_id, sql.status, sql.opened_run_id) == (
        None, "product", p["sql"], "open", None)
    assert sql.summary == ("Microsoft SQL Server Enterprise over-deployed (processor_core): 34 consumed, 24 entitled, "
                           "10 short, 10000.00 EUR at list cost")
    assert {k: sql.evidence[k] for k in ("entitled", "consumed", "shortfall", "shortfall_cost", "position_run_id")} == {
        "entitled": 24, "consumed": 34, "shortfall": 10, "shortfall_cost": "10000.00",
        "position_run_id": summary["run_id"]}
    assert summary["counts"]["exceptions"]["opened"] == 4
    again = run_positions(database, config, as_of=NOW + timedelta(hours=1))
    assert again["counts"]["exceptions"] == {"opened": 0, "refreshed": 0, "resolved": 0, "opened_ids": []}
    assert {k: e.id for k, e in _open(database).items()} == {k: e.id for k, e in opened.items()}


def test_the_exception_follows_the_numbers_and_resolves_when_compliant(database, config, fleet):
    p, e = fleet["products"], fleet["entitlements"]
    key = f"{KIND}:{p['sql']}:processor_core"
    run_positions(database, config, as_of=NOW)
    first = _open(database)[key]
    _set_quantity(database, e["sql"], 30)
    result = run_positions(database, config, as_of=NOW + timedelta(hours=1))
    assert result["counts"]["exceptions"]["refreshed"] == 1
    refreshed = _open(database)[key]
    assert refreshed.id == first.id
    assert (refreshed.evidence["entitled"], refreshed.evidence["shortfall"]) == (30, 4)
    assert refreshed.fingerprint != first.fingerprint
    _set_quantity(database, e["sql"], 34)
    run_positions(database, config, as_of=NOW + timedelta(hours=2))
    assert key not in _open(database)
    with database.session() as session:
        resolved = session.get(AuditException, first.id)
        assert (resolved.status, resolved.open_key) == ("resolved", None)
        assert resolved.resolution_note.endswith("consumption is within the entitlement")


def test_reconciliation_runs_never_touch_over_deployment_exceptions(database, config, fleet):
    run_positions(database, config, as_of=NOW)
    before = {k: (e.id, e.status, e.updated_at, e.fingerprint, e.resolved_at) for k, e in _open(database).items()}
    assert len(before) == 4
    assert run_full(database, config, NOW + timedelta(hours=1)) is not None
    run_incremental(database, config, NOW + timedelta(hours=2),
                    asset_ids=[m["asset_id"] for m in fleet["machines"].values()])
    after = {k: (e.id, e.status, e.updated_at, e.fingerprint, e.resolved_at) for k, e in _open(database).items()}
    assert after == before
    with database.session() as session:  # the runs did judge their own kinds
        assert session.scalar(select(AuditException.id).where(AuditException.kind != KIND).limit(1)) is not None


def test_each_new_exception_opens_a_remediation_and_a_reopened_one_joins_it(database, config, fleet):
    p, e = fleet["products"], fleet["entitlements"]
    summary = run_positions(database, config, as_of=NOW)
    assert summary["workflows"]["license_over_deployment"] == {"started": 4, "joined": 0}
    instances = _remediations(database)
    opened = _open(database)
    assert sorted(i.exception_id for i in instances) == sorted(x.id for x in opened.values())
    sql = next(i for i in instances if i.exception_id == opened[f"{KIND}:{p['sql']}:processor_core"].id)
    seeded = data_of(database, sql.id)
    assert {k: seeded[k] for k in ("publisher", "product", "sam_product_id", "metric", "entitled", "consumed")} == {
        "publisher": "Microsoft", "product": "SQL Server", "sam_product_id": p["sql"], "metric": "processor_core",
        "entitled": 24, "consumed": 34}
    assert (sql.status, sql.stage, sql.initiator_id) == ("running", "Initiation", None)
    run_positions(database, config, as_of=NOW + timedelta(hours=1))
    assert len(_remediations(database)) == 4
    _set_quantity(database, e["sql"], 40)  # compliant: the exception resolves, the workflow runs on
    run_positions(database, config, as_of=NOW + timedelta(hours=2))
    _set_quantity(database, e["sql"], 24)  # over again: a new exception joins the running workflow
    again = run_positions(database, config, as_of=NOW + timedelta(hours=3))
    assert again["workflows"]["license_over_deployment"] == {"started": 0, "joined": 1}
    assert len(_remediations(database)) == 4
    assert event_kinds(database, sql.id)[-1] == "exception_joined"


def test_the_remediation_decides_and_validates_on_the_stored_position(database, config, fleet, templates, people):
    alice, bob = people["alice"], people["bob"]
    p = fleet["products"]
    run_positions(database, config, as_of=NOW)
    key = f"{KIND}:{p['autocad']}:device"
    wf = next(i.id for i in _remediations(database) if i.exception_id == _open(database)[key].id)
    act(database, templates, wf, "request", alice,
        {"publisher": "Autodesk", "product": "AutoCAD", "entitled": 7, "option": "remove"}, NOW + timedelta(minutes=1))
    data = data_of(database, wf)
    assert (data["entitled"], data["installs_at_start"]) == (0, 1)  # the position's numbers, not the typed 7
    act(database, templates, wf, "approve_remedy", bob, {"decision": "approve"}, NOW + timedelta(minutes=2))
    act(database, templates, wf, "remove", bob, {"note": "removed from lt-4"}, NOW + timedelta(minutes=3))
    act(database, templates, wf, "document", bob, {"record": "not needed"}, NOW + timedelta(minutes=4))
    with pytest.raises(Conflict, match="no licence position computed since the remedy"):
        act(database, templates, wf, "validate", bob, now=NOW + timedelta(minutes=5))
    run_positions(database, config, as_of=NOW + timedelta(minutes=6))
    with pytest.raises(Conflict, match="AutoCAD is still over-deployed: 1 device unit\\(s\\) consumed, 0 entitled"):
        act(database, templates, wf, "validate", bob, now=NOW + timedelta(minutes=7))
    with database.write() as session:
        session.execute(delete(AssetSoftware).where(AssetSoftware.asset_id == fleet["machines"]["lt-4"]["asset_id"],
                                                    AssetSoftware.software_id == fleet["titles"]["autocad"]))
    run_positions(database, config, as_of=NOW + timedelta(minutes=8))
    assert key not in _open(database)
    act(database, templates, wf, "validate", bob, now=NOW + timedelta(minutes=9))
    with database.session() as session:
        evidence = session.scalars(select(WorkflowEvent.detail).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task == "validate")).one()["evidence"]["evidence"]
    assert evidence.startswith("AutoCAD is no longer installed (position run ")


def test_a_remediation_refuses_a_product_within_its_position(database, config, fleet, templates, people):
    from collector.errors import InvalidInput
    from collector.workflows.service import start_workflow
    from collector.workflows.roles import SYSTEM

    run_id = run_positions(database, config, as_of=NOW)["run_id"]
    with database.write() as session:
        wf = start_workflow(session, templates, "license_remediation", SYSTEM, now=NOW,
                            data={"sam_product_id": fleet["products"]["java"], "metric": "installation"}).id
    with pytest.raises(InvalidInput) as within:
        act(database, templates, wf, "request", people["alice"],
            {"publisher": "Oracle", "product": "Java SE", "entitled": 1, "option": "remove"}, NOW)
    assert [(f.field, f.message) for f in within.value.fields] == [
        ("entitled", f"Java SE consumes 2 installation unit(s), within the 5 entitled (position run {run_id})")]


def test_buying_more_from_a_raised_remediation_starts_an_acquisition_of_the_same_product(database, config, fleet,
                                                                                         templates, people):
    alice, bob = people["alice"], people["bob"]
    p = fleet["products"]
    run_positions(database, config, as_of=NOW)
    wf = next(i.id for i in _remediations(database)
              if i.exception_id == _open(database)[f"{KIND}:{p['office']}:named_user"].id)
    act(database, templates, wf, "request", alice,
        {"publisher": "Microsoft", "product": "Office", "entitled": 2, "option": "buy", "buy_quantity": 1},
        NOW + timedelta(minutes=1))
    act(database, templates, wf, "approve_remedy", bob, {"decision": "approve"}, NOW + timedelta(minutes=2))
    act(database, templates, wf, "buy", bob, {"note": "one more seat"}, NOW + timedelta(minutes=3))
    acquisition = data_of(database, data_of(database, wf)["acquisition_id"])
    assert (acquisition["product"], acquisition["sam_product_id"], acquisition["quantity"]) == ("Office", p["office"], 1)
