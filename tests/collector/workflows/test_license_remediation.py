"""Licence-compliance remediation: installs back within the entitlement, by removing or buying."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import WorkflowEvent, WorkflowInstance
from tests.collector.workflows.conftest import FIREFOX
from tests.collector.workflows.helpers import act, agent_report, data_of, event_kinds, ready, snapshot, start

OVER = {"publisher": "Mozilla", "product": "Firefox", "entitled": 2, "option": "remove"}


def test_removing_installs_closes_once_they_are_within_the_entitlement(database, reports, templates, people,
                                                                        sam_fleet, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "license_remediation", alice, clock())
    act(database, templates, wf, "request", alice, OVER, clock())
    assert data_of(database, wf)["installs_at_start"] == 3
    act(database, templates, wf, "approve_remedy", bob, {"decision": "approve"}, clock())
    assert ready(database, wf) == ["remove"]
    act(database, templates, wf, "remove", bob, {"note": "removed from host-2"}, clock())
    act(database, templates, wf, "document", bob, {"record": "host-2 did not need it"}, clock())
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails: Firefox is installed on 3 host\\(s\\), more than 2 "
                                       "\\(entitled 2\\)"):
        act(database, templates, wf, "validate", bob, now=clock())
    assert snapshot(database, wf) == before
    host2 = sam_fleet[1]
    agent_report(database, reports, host2, clock(), [p for p in host2["packages"] if p is not FIREFOX])
    act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, wf, "close", alice, now=clock())
    assert event_kinds(database, wf)[-1] == "closed"


def test_buying_more_starts_a_linked_acquisition_whose_closure_validates_the_remedy(database, templates, people,
                                                                                    sam_fleet, clock):
    alice, bob, root = people["alice"], people["bob"], people["root"]
    wf = start(database, templates, "license_remediation", alice, clock())
    act(database, templates, wf, "request", alice, {**OVER, "option": "buy", "buy_quantity": 1}, clock())
    act(database, templates, wf, "approve_remedy", bob, {"decision": "approve"}, clock())
    assert ready(database, wf) == ["buy"]
    act(database, templates, wf, "buy", bob, {"note": "one more seat"}, clock())
    acquisition = data_of(database, wf)["acquisition_id"]
    with database.session() as session:
        linked = session.get(WorkflowInstance, acquisition)
        assert (linked.template, linked.status, linked.initiator_id) == ("sam_acquisition", "running", bob.user_id)
    seeded = data_of(database, acquisition)
    assert (seeded["product"], seeded["quantity"], seeded["remediation_id"]) == ("Firefox", 1, wf)
    act(database, templates, wf, "document", bob, {"record": f"acquisition {acquisition} started"}, clock())
    with pytest.raises(Conflict, match="more than 2 \\(entitled 2\\) \\(the linked acquisition is not closed yet\\)"):
        act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, acquisition, "request", bob,
        {"publisher": "Mozilla", "product": "Firefox", "quantity": 1, "metric": "device", "cost": 90,
         "vendor": "Mozilla", "term_start": "2026-12-01", "term_end": "2027-11-30"}, clock())
    act(database, templates, acquisition, "purchase", bob, {"po_number": "PO-9", "contract_id": "C-9"}, clock())
    act(database, templates, acquisition, "register", bob, {"license_key": "K-1"}, clock())
    act(database, templates, acquisition, "validate", bob, now=clock())
    act(database, templates, acquisition, "close", root, now=clock())
    act(database, templates, wf, "validate", bob, now=clock())
    with database.session() as session:
        evidence = session.scalars(select(WorkflowEvent.detail).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task == "validate")).one()["evidence"]["evidence"]
    assert evidence == f"Firefox is installed on 3 host(s), within 3 (entitled 2 + 1 bought in workflow {acquisition})"


def test_a_remediation_needs_an_over_deployment_and_a_quantity_to_buy(database, templates, people, sam_fleet, clock):
    alice, audrey = people["alice"], people["audrey"]
    wf = start(database, templates, "license_remediation", alice, clock())
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as within:
        act(database, templates, wf, "request", alice, {**OVER, "entitled": 3}, clock())
    assert [(f.field, f.message) for f in within.value.fields] == [
        ("entitled", "Firefox is installed on 3 host(s), within the 3 entitled")]
    with pytest.raises(InvalidInput) as how_many:
        act(database, templates, wf, "request", alice, {**OVER, "option": "buy"}, clock())
    assert [(f.field, f.message) for f in how_many.value.fields] == [("buy_quantity", "is required to buy more")]
    with pytest.raises(InvalidInput) as bad:
        act(database, templates, wf, "request", alice, {**OVER, "option": "ignore", "entitled": -1}, clock())
    assert sorted(f.field for f in bad.value.fields) == ["entitled", "option"]
    with pytest.raises(Forbidden, match="auditors"):
        act(database, templates, wf, "request", audrey, OVER, clock())
    with pytest.raises(Conflict, match="task 'buy' \\(Execution\\) is not ready"):
        act(database, templates, wf, "buy", alice, {}, clock())
    assert snapshot(database, wf) == before
    # Scoped to one CI, host 1's single install is within an entitlement of 1.
    scoped = start(database, templates, "license_remediation", alice, clock(), ci_id=sam_fleet[0]["ci_id"])
    with pytest.raises(InvalidInput, match="not over-deployed"):
        act(database, templates, scoped, "request", alice, {**OVER, "entitled": 1}, clock())
