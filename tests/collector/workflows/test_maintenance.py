"""HAM maintenance and warranty end to end: the warranty end decides vendor RMA or paid repair;
the CI is in repair meanwhile and back to its status after, checked against the agent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import ConfigurationItem, WorkflowEvent
from collector.reconcile.service import run_full
from tests.collector.reconcile.fleet import _Builder
from tests.collector.workflows.helpers import (act, agent_reports, ci_row, cmdb_changes, event_kinds, evidence_of,
                                               ready, snapshot, start)

PROBLEM = {"problem": "keyboard dead after a spill", "repair_cost": 450}


def _deployed(database, ci_id: int, warranty_end: date | None) -> None:
    with database.write() as session:
        ci = session.get(ConfigurationItem, ci_id)
        ci.status, ci.assigned_user, ci.warranty_end = "deployed", "olduser", warranty_end


def test_in_warranty_goes_to_the_vendor_under_rma_and_comes_back_to_service(database, config, templates, people,
                                                                           laptop, clock):
    alice, bob = people["alice"], people["bob"]
    _deployed(database, laptop["ci_id"], date(2027, 3, 31))
    run_full(database, config, clock())
    wf = start(database, templates, "ham_maintenance", alice, clock(), ci_id=laptop["ci_id"])
    act(database, templates, wf, "request", alice, PROBLEM, clock())
    # Warranty ends after the request day: no cost approval, straight to the vendor.
    assert ready(database, wf) == ["send_rma"]
    act(database, templates, wf, "send_rma", bob, {"vendor": "HP", "rma_number": "RMA-5521"}, clock())
    assert ci_row(database, laptop["ci_id"])["status"] == "in_repair"
    with pytest.raises(Conflict, match=r"task 'validate' \(Validation\) is not ready"):
        act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, wf, "returned", bob, {"repair_report": "keyboard replaced"}, clock())
    assert ci_row(database, laptop["ci_id"])["status"] == "deployed"
    assert [(c["task"], c["before"], c["after"]) for c in cmdb_changes(database, wf)] == [
        ("send_rma", {"status": "deployed"}, {"status": "in_repair"}),
        ("returned", {"status": "in_repair"}, {"status": "deployed"})]
    act(database, templates, wf, "document", bob, {"record": "RMA-5521: keyboard", "actual_cost": 0}, clock())
    # The agent has not reported since the machine came back.
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match=r"validation fails: CI LT-NEW-1 is back to deployed, but its agent \(lt-new-1\) "
                                       r"last reported at .* before the return"):
        act(database, templates, wf, "validate", bob, now=clock())
    assert snapshot(database, wf) == before
    agent_reports(database, laptop["asset_id"], "olduser", clock())
    act(database, templates, wf, "validate", bob, now=clock())
    assert evidence_of(database, wf)["evidence"].startswith("CI LT-NEW-1 is back to deployed; agent on lt-new-1 "
                                                            "reported at ")
    act(database, templates, wf, "close", alice, now=clock())
    with database.session() as session:
        rma = session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == wf,
                                                          WorkflowEvent.task == "send_rma",
                                                          WorkflowEvent.kind == "task_completed")).one()
        assert rma.detail["fields"] == {"vendor": "HP", "rma_number": "RMA-5521"}
    assert event_kinds(database, wf)[-1] == "closed" and "approved" not in event_kinds(database, wf)


def test_out_of_warranty_needs_cost_approval_and_a_rejection_returns_to_the_initiator(database, templates, people,
                                                                                    clock):
    alice, bob = people["alice"], people["bob"]
    with database.write() as session:  # a printer nobody's agent reports, warranty long over
        printer = _Builder(session, 5).ci("PR-1", ci_class="printer", serial="CNB8K12345", status="in_stock")
    _deployed(database, printer, date(2024, 1, 31))
    wf = start(database, templates, "ham_maintenance", alice, clock(), ci_id=printer)
    act(database, templates, wf, "request", alice, PROBLEM, clock())
    assert ready(database, wf) == ["approve_repair"]  # 450: an operator approves
    with pytest.raises(Forbidden, match="nobody approves their own request"):
        act(database, templates, wf, "approve_repair", alice, {"decision": "approve"}, clock())
    act(database, templates, wf, "approve_repair", bob, {"decision": "reject", "reason": "get a second quote"},
        clock())
    assert ready(database, wf) == ["resubmit"]
    act(database, templates, wf, "resubmit", alice, {"repair_cost": 150}, clock())
    assert ready(database, wf) == ["send_paid"]  # under 200: auto-approved
    act(database, templates, wf, "send_paid", bob, {"repairer": "PrintFix Ltd", "quote": "Q-19"}, clock())
    act(database, templates, wf, "returned", bob, {"repair_report": "fuser replaced"}, clock())
    act(database, templates, wf, "document", bob, {"record": "fuser, 150"}, clock())
    act(database, templates, wf, "validate", bob, now=clock())
    assert evidence_of(database, wf)["evidence"] == ("CI PR-1 is back to deployed; it has no agent, so no report "
                                                     "to wait for")


def test_a_ci_already_in_repair_is_refused_and_nothing_changes(database, templates, people, laptop, clock):
    alice, bob = people["alice"], people["bob"]
    _deployed(database, laptop["ci_id"], date(2027, 3, 31))
    first = start(database, templates, "ham_maintenance", alice, clock(), ci_id=laptop["ci_id"])
    act(database, templates, first, "request", alice, PROBLEM, clock())
    act(database, templates, first, "send_rma", bob, {"vendor": "HP", "rma_number": "RMA-1"}, clock())
    second = start(database, templates, "ham_maintenance", alice, clock(), ci_id=laptop["ci_id"])
    act(database, templates, second, "request", alice, PROBLEM, clock())
    before = snapshot(database, second)
    with pytest.raises(Conflict, match=f"CI {laptop['ci_id']} is in_repair: it cannot go in for repair"):
        act(database, templates, second, "send_rma", bob, {"vendor": "HP", "rma_number": "RMA-2"}, clock())
    with pytest.raises(Conflict, match=r"task 'returned' \(Execution\) is not ready"):
        act(database, templates, second, "returned", bob, {"repair_report": "x"}, clock())
    assert snapshot(database, second) == before and ci_row(database, laptop["ci_id"])["status"] == "in_repair"


def test_bad_form_input_is_refused_field_by_field(database, templates, people, laptop, clock):
    alice, bob = people["alice"], people["bob"]
    _deployed(database, laptop["ci_id"], None)  # no warranty recorded: out of warranty
    wf = start(database, templates, "ham_maintenance", alice, clock(), ci_id=laptop["ci_id"])
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "request", alice, {"problem": "p" * 2001, "repair_cost": 1.5}, clock())
    assert sorted((f.field, f.message) for f in refused.value.fields) == [
        ("problem", "must be at most 2000 characters"), ("repair_cost", "must be a whole number")]
    assert snapshot(database, wf) == before
    act(database, templates, wf, "request", alice, {**PROBLEM, "repair_cost": 50}, clock())
    assert ready(database, wf) == ["send_paid"]
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "send_paid", bob, {"quote": "Q-1"}, clock())
    assert [(f.field, f.message) for f in refused.value.fields] == [("repairer", "is required")]
    assert snapshot(database, wf) == before and ci_row(database, laptop["ci_id"])["status"] == "deployed"
