"""SAM licence acquisition and registration end to end, on agents' reported software."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from collector.access.audit_log import verify_chain
from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import AuditLogEntry, WorkflowEvent, WorkflowInstance
from tests.collector.workflows.helpers import act, data_of, event_kinds, ready, snapshot, start

REQUEST = {"publisher": "Mozilla", "product": "Firefox", "quantity": 50, "metric": "device", "cost": 4000,
           "vendor": "SoftwareOne", "term_start": "2026-12-01", "term_end": "2027-11-30"}
KEY = "FFX-7Q2K-99AB-CDEF-4242"


def _to_validation(database, templates, people, clock, register, request=REQUEST, ci_id=None):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_acquisition", alice, clock(), ci_id=ci_id)
    act(database, templates, wf, "request", alice, request, clock())
    if ready(database, wf) == ["approve_cost"]:
        act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "purchase", bob, {"po_number": "PO-2026-0042", "contract_id": "C-881"}, clock())
    act(database, templates, wf, "register", bob, register, clock())
    return wf


def test_acquisition_end_to_end_keeps_the_licence_key_out_of_events_and_reads(database, templates, people,
                                                                               sam_fleet, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_acquisition", alice, clock())
    act(database, templates, wf, "request", alice, REQUEST, clock())
    assert ready(database, wf) == ["approve_cost"]  # 4,000: the decision table routes it to an operator
    act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    assert ready(database, wf) == ["purchase"]
    act(database, templates, wf, "purchase", bob, {"po_number": "PO-2026-0042", "contract_id": "C-881"}, clock())
    act(database, templates, wf, "register", bob, {"license_key": KEY}, clock())
    act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, wf, "close", alice, now=clock())
    with database.session() as session:
        instance = session.get(WorkflowInstance, wf)
        assert (instance.status, instance.ci_id) == ("closed", None)
        events = session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == wf)).all()
        audit = session.scalars(select(AuditLogEntry).where(AuditLogEntry.target == f"workflow {wf}")).all()
        # Stored for the process, never in the history or the audit log.
        assert KEY in json.dumps(instance.state)
        assert KEY not in json.dumps([e.detail for e in events]) + json.dumps([a.detail for a in audit])
        register = next(e for e in events if e.task == "register")
        assert register.detail["fields"]["license_key"] == "********"
        validated = next(e for e in events if e.task == "validate")
        assert validated.detail["evidence"] == {
            "check": "entitlement_complete", "passed": True,
            "evidence": "entitlement of 50 device of Mozilla Firefox: PO PO-2026-0042, contract C-881"}
        assert verify_chain(session).ok
    shown = data_of(database, wf)
    assert shown["license_key"] == "********4242" and shown["installs_at_start"] == 3
    assert event_kinds(database, wf)[-4:] == ["task_completed", "stage_entered", "task_completed", "closed"]


def test_an_incomplete_entitlement_cannot_close_until_an_admin_overrides(database, templates, people, sam_fleet,
                                                                         clock):
    bob, root = people["bob"], people["root"]
    wf = _to_validation(database, templates, people, clock, {"note": "key to follow"}, ci_id=sam_fleet[0]["ci_id"])
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails: the entitlement record lacks license_key or "
                                       "contract_document"):
        act(database, templates, wf, "validate", bob, now=clock())
    with pytest.raises(Conflict, match="task 'close' \\(Closure\\) is not ready"):
        act(database, templates, wf, "close", bob, now=clock())
    with pytest.raises(Forbidden, match="only an admin may override"):
        act(database, templates, wf, "validate", bob, now=clock(), override_reason="paper contract in the safe")
    assert snapshot(database, wf) == before
    act(database, templates, wf, "validate", root, now=clock(), override_reason="paper contract in the safe")
    assert ready(database, wf) == ["close"]
    assert event_kinds(database, wf)[-3:] == ["override", "task_completed", "stage_entered"]


def test_a_contract_document_completes_a_record_with_a_ci(database, templates, people, sam_fleet, clock):
    wf = _to_validation(database, templates, people, clock, {"contract_document": "dms://contracts/C-881"},
                        request={**REQUEST, "cost": 200}, ci_id=sam_fleet[0]["ci_id"])
    act(database, templates, wf, "validate", people["bob"], now=clock())
    with database.session() as session:
        evidence = session.scalars(select(WorkflowEvent.detail).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task == "validate")).one()["evidence"]
    assert evidence["evidence"].startswith(f"entitlement of 50 device of Mozilla Firefox for CI {sam_fleet[0]['ci_id']}")
    # 200 is below the threshold: no approval task was ever ready.
    assert "approved" not in event_kinds(database, wf)


def test_a_mistyped_product_is_a_form_error_listing_close_matches(database, templates, people, sam_fleet, clock):
    alice = people["alice"]
    wf = start(database, templates, "sam_acquisition", alice, clock())
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as typo:
        act(database, templates, wf, "request", alice, {**REQUEST, "product": "Firefx"}, clock())
    assert [(f.field, f.message) for f in typo.value.fields] == [
        ("product", "no agent reports a product named 'Firefx'; close matches: Firefox")]
    with pytest.raises(InvalidInput) as publisher:
        act(database, templates, wf, "request", alice, {**REQUEST, "publisher": "Mozzila Inc"}, clock())
    assert [(f.field, f.message) for f in publisher.value.fields] == [
        ("publisher", "agents report 'Firefox' from Mozilla, not 'Mozzila Inc'")]
    with pytest.raises(InvalidInput) as fields:
        act(database, templates, wf, "request", alice, {**REQUEST, "metric": "per-seat", "quantity": 0,
                                                        "term_end": "next year"}, clock())
    assert sorted((f.field, f.message) for f in fields.value.fields) == [
        ("metric", "must be one of device, user, core, concurrent, site"), ("quantity", "must be at least 1"),
        ("term_end", "must be a date, YYYY-MM-DD")]
    assert snapshot(database, wf) == before


def test_illegal_moves_on_an_acquisition_change_nothing(database, templates, people, sam_fleet, clock):
    alice, bob, audrey = people["alice"], people["bob"], people["audrey"]
    wf = start(database, templates, "sam_acquisition", alice, clock())
    act(database, templates, wf, "request", alice, {**REQUEST, "cost": 25_000}, clock())
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="task 'purchase' \\(Execution\\) is not ready"):
        act(database, templates, wf, "purchase", bob, {"po_number": "PO-1", "contract_id": "C-1"}, clock())
    with pytest.raises(Forbidden, match="needs the admin role"):
        act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    with pytest.raises(Forbidden, match="auditors read workflows and act on none"):
        act(database, templates, wf, "approve_cost", audrey, {"decision": "approve"}, clock())
    assert snapshot(database, wf) == before


def test_the_api_starts_an_acquisition_without_a_ci_and_shows_the_key_masked(client, database, people, sam_fleet):
    from collector.access.api_tokens import create_api_token

    with database.write() as session:
        headers = {name: {"Authorization": f"Bearer {create_api_token(session, name, people[name].role).token}"}
                   for name in ("alice", "bob", "audrey")}
    started = client.post("/api/v1/workflows", json={"template": "sam_acquisition"}, headers=headers["alice"])
    assert started.status_code == 201, started.get_json()
    wf = started.get_json()["id"]

    def act_over_http(who, task, data):
        response = client.post(f"/api/v1/workflows/{wf}/tasks/{task}", json={"data": data}, headers=headers[who])
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    typo = client.post(f"/api/v1/workflows/{wf}/tasks/request", json={"data": {**REQUEST, "product": "firefx"}},
                       headers=headers["alice"])
    assert typo.status_code == 422 and "close matches: Firefox" in typo.get_data(as_text=True)
    act_over_http("alice", "request", {**REQUEST, "cost": 100})
    act_over_http("bob", "purchase", {"po_number": "PO-1", "contract_id": "C-1"})
    shown = act_over_http("bob", "register", {"license_key": KEY})
    assert shown["data"]["license_key"] == "********4242"
    read = client.get(f"/api/v1/workflows/{wf}", headers=headers["audrey"])
    assert read.status_code == 200 and KEY not in read.get_data(as_text=True)
    assert read.get_json()["data"]["license_key"] == "********4242"


def test_the_licence_key_never_reaches_the_logs(database, templates, people, sam_fleet, clock, caplog):
    """SpiffWorkflow attaches task data to its task log records; the JSON log format writes every extra."""
    import logging

    from common.logs import JsonFormatter

    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="spiff")  # quiet by default; an operator debugging turns it up
    _to_validation(database, templates, people, clock, {"license_key": KEY}, request={**REQUEST, "cost": 10})
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert any("spiff" in line for line in lines)  # the library did log the transitions
    assert not [line for line in lines if KEY in line]
