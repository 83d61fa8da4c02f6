"""HAM reassignment or relocation end to end: the receiving department's approver by policy, the
CI changed with before/after, validated by the agent's report of the new user."""

from __future__ import annotations

import pytest

from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import ConfigurationItem
from collector.reconcile.service import run_full
from collector.workflows.loading import SHIPPED_DIR, load_templates
from tests.collector.workflows.helpers import (act, agent_reports, ci_row, cmdb_changes, event_kinds, evidence_of,
                                               ready, snapshot, start)

MOVE = {"user": "carla", "department": "Sales", "location": "Lyon office", "reason": "moves to the Lyon team"}


@pytest.fixture
def deployed(database, laptop) -> dict:
    with database.write() as session:
        ci = session.get(ConfigurationItem, laptop["ci_id"])
        ci.status, ci.assigned_user, ci.department, ci.location = "deployed", "olduser", "Support", "HQ"
    return laptop


def test_a_new_user_is_validated_by_the_agents_next_report(database, config, templates, people, deployed, clock):
    alice, bob = people["alice"], people["bob"]
    run_full(database, config, clock())
    wf = start(database, templates, "ham_reassignment", alice, clock(), ci_id=deployed["ci_id"])
    act(database, templates, wf, "request", alice, MOVE, clock())
    assert ready(database, wf) == ["approve_move"]  # Sales: an operator approves
    act(database, templates, wf, "approve_move", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "reassign", bob, {"note": "handed over in person"}, clock())
    row = ci_row(database, deployed["ci_id"])
    assert (row["assigned_user"], row["department"], row["location"], row["status"]) == ("carla", "Sales",
                                                                                         "Lyon office", "deployed")
    [change] = cmdb_changes(database, wf)
    assert change["before"] == {"department": "Support", "location": "HQ", "assigned_user": "olduser"}
    assert change["after"] == {"department": "Sales", "location": "Lyon office", "assigned_user": "carla"}
    act(database, templates, wf, "document", bob, {"handover": "carla signed the receipt"}, clock())
    with pytest.raises(Conflict, match="validation fails: .*shows user olduser, not carla"):
        act(database, templates, wf, "validate", bob, now=clock())
    agent_reports(database, deployed["asset_id"], "carla", clock())
    act(database, templates, wf, "validate", bob, now=clock())
    evidence = evidence_of(database, wf)["evidence"]
    assert evidence.startswith("agent on lt-new-1 reported user carla at ")
    assert evidence.endswith("; CMDB record shows department Sales, location Lyon office; no agent evidence exists "
                             "for department or location: agents report users, not departments or locations")
    act(database, templates, wf, "close", alice, now=clock())
    assert event_kinds(database, wf)[-1] == "closed"


def test_a_relocation_alone_has_no_agent_evidence_and_says_so(database, templates, people, deployed, clock):
    alice, root = people["alice"], people["root"]
    wf = start(database, templates, "ham_reassignment", alice, clock(), ci_id=deployed["ci_id"])
    act(database, templates, wf, "request", alice, {**MOVE, "user": "", "department": "Finance"}, clock())
    with pytest.raises(Forbidden, match="needs the admin role"):  # Finance: an admin approves
        act(database, templates, wf, "approve_move", people["bob"], {"decision": "approve"}, clock())
    act(database, templates, wf, "approve_move", root, {"decision": "approve"}, clock())
    act(database, templates, wf, "reassign", root, {}, clock())
    assert ci_row(database, deployed["ci_id"])["assigned_user"] == "olduser"  # no user named: unchanged
    act(database, templates, wf, "document", root, {"handover": "moved to 3rd floor"}, clock())
    with database.write() as session:  # someone edits the record before validation
        session.get(ConfigurationItem, deployed["ci_id"]).location = "Paris office"
    with pytest.raises(Conflict, match="validation fails: the CMDB record changed since: location is 'Paris office', "
                                       "not 'Lyon office'"):
        act(database, templates, wf, "validate", root, now=clock())
    with database.write() as session:
        session.get(ConfigurationItem, deployed["ci_id"]).location = "Lyon office"
    act(database, templates, wf, "validate", root, now=clock())
    assert evidence_of(database, wf)["evidence"] == (
        "CMDB record shows department Finance, location Lyon office; no agent evidence exists for department or "
        "location: agents report users, not departments or locations")


def test_a_site_routes_a_department_to_its_approver_group(database, people, deployed, clock, tmp_path):
    """An admin-directory copy of the template whose decision table names group finance."""
    bpmn = (SHIPPED_DIR / "ham_reassignment.bpmn").read_text().replace('"ham_reassignment"', '"site_reassignment"')
    dmn = (SHIPPED_DIR / "ham_reassignment.dmn").read_text().replace(
        '<rule id="r_sensitive">',
        '<rule id="r_finance"><inputEntry id="r_finance_department"><text>"Finance"</text></inputEntry>'
        '<outputEntry id="r_finance_out"><text>"finance"</text></outputEntry></rule>\n      <rule id="r_sensitive">')
    (tmp_path / "site_reassignment.bpmn").write_text(bpmn)
    (tmp_path / "site_reassignment.dmn").write_text(dmn)
    assert "site_reassignment" not in load_templates([tmp_path]).templates  # group unknown: refused
    templates = load_templates([SHIPPED_DIR, tmp_path], {"finance": frozenset({"fiona"})})
    assert templates.errors == []
    alice = people["alice"]
    wf = start(database, templates, "site_reassignment", alice, clock(), ci_id=deployed["ci_id"])
    act(database, templates, wf, "request", alice, {**MOVE, "department": "Finance"}, clock())
    with pytest.raises(Forbidden, match="needs a member of approver group 'finance'"):
        act(database, templates, wf, "approve_move", people["bob"], {"decision": "approve"}, clock())
    act(database, templates, wf, "approve_move", people["fiona"], {"decision": "reject", "reason": "no budget"},
        clock())
    assert ready(database, wf) == ["resubmit"]
    act(database, templates, wf, "resubmit", alice, {**MOVE, "department": "Sales"}, clock())
    assert ready(database, wf) == ["approve_move"]
    assert event_kinds(database, wf)[-4:] == ["rejected", "stage_entered", "resubmitted", "stage_entered"]


def test_illegal_moves_and_bad_input_change_nothing(database, templates, people, deployed, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "ham_reassignment", alice, clock(), ci_id=deployed["ci_id"])
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "request", alice, {"user": "carla", "location": "L" * 300}, clock())
    assert sorted((f.field, f.message) for f in refused.value.fields) == [
        ("department", "is required"), ("location", "must be at most 255 characters"), ("reason", "is required")]
    with pytest.raises(Conflict, match=r"task 'reassign' \(Execution\) is not ready"):
        act(database, templates, wf, "reassign", bob, {}, clock())
    assert snapshot(database, wf) == before
    act(database, templates, wf, "request", alice, MOVE, clock())
    act(database, templates, wf, "approve_move", bob, {"decision": "approve"}, clock())
    with database.write() as session:  # retired meanwhile, by another workflow
        session.get(ConfigurationItem, deployed["ci_id"]).status = "retired"
    before, row = snapshot(database, wf), ci_row(database, deployed["ci_id"])
    with pytest.raises(Conflict, match=f"CI {deployed['ci_id']} is retired: it cannot be reassigned"):
        act(database, templates, wf, "reassign", bob, {}, clock())
    assert snapshot(database, wf) == before and ci_row(database, deployed["ci_id"]) == row
