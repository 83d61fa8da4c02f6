"""HAM deployment and assignment end to end through the services, on a real reconciliation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collector.access.audit_log import verify_chain
from collector.errors import Conflict, Forbidden, InvalidInput, NotFound
from collector.models import Asset, AuditLogEntry, ConfigurationItem, WorkflowEvent, WorkflowInstance
from collector.reconcile.service import run_full
from collector.workflows.service import complete_task, start_workflow
from tests.collector.workflows.helpers import event_kinds, ready, snapshot

REQUEST = {"user": "newhire", "department": "Sales", "location": "HQ 2nd floor", "need_by": "2026-12-01",
           "cost": 1200}


def _start(database, templates, actor, ci_id, now):
    with database.write() as session:
        return start_workflow(session, templates, "ham_deployment", actor, ci_id=ci_id, now=now).id


def _act(database, templates, instance_id, task, actor, data=None, now=None, **kwargs):
    with database.write() as session:
        return complete_task(session, templates, instance_id, task, actor, data or {}, now=now, **kwargs).version


def _agent_reports(database, asset_id, user, at):
    with database.write() as session:
        asset = session.get(Asset, asset_id)
        asset.primary_user, asset.last_seen_at = user, at


def test_new_hire_provisioning_end_to_end(database, config, templates, people, laptop, clock):
    alice, bob = people["alice"], people["bob"]
    run_full(database, config, clock())
    wf = _start(database, templates, alice, laptop["ci_id"], clock())
    assert ready(database, wf) == ["request"]
    _act(database, templates, wf, "request", alice, REQUEST, clock())
    # 1,200 for a computer: the DMN table routes the approval to an operator.
    assert ready(database, wf) == ["approve_cost"]
    _act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    assert ready(database, wf) == ["deploy"]
    _act(database, templates, wf, "deploy", bob, {"note": "imaged and boxed"}, clock())
    with database.session() as session:
        ci = session.get(ConfigurationItem, laptop["ci_id"])
        assert (ci.assigned_user, ci.department, ci.location, ci.status) == ("newhire", "Sales", "HQ 2nd floor",
                                                                             "deployed")
        change = session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "cmdb_change")).one()
        assert change.detail["before"] == {"assigned_user": None, "department": None, "location": None,
                                           "status": "in_stock"}
        assert change.detail["after"]["status"] == "deployed" and change.actor == "bob"
    _act(database, templates, wf, "document", bob, {"handover": "given to newhire at desk 2.14",
                                                    "delivered_on": "2026-11-25"}, clock())
    # The agent still reports the old user: validation fails, closure is not reachable.
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails: .*shows user olduser, not newhire"):
        _act(database, templates, wf, "validate", bob, now=clock())
    with pytest.raises(Conflict, match="task 'close' \\(Closure\\) is not ready: .* at stage Validation"):
        _act(database, templates, wf, "close", bob, now=clock())
    assert snapshot(database, wf) == before
    # The agent's next report shows the new user; reconciliation has matched it to the CI.
    _agent_reports(database, laptop["asset_id"], "newhire", clock())
    run_full(database, config, clock())
    _act(database, templates, wf, "validate", bob, now=clock())
    _act(database, templates, wf, "close", alice, now=clock())
    with database.session() as session:
        instance = session.get(WorkflowInstance, wf)
        assert (instance.status, instance.stage, str(instance.need_by)) == ("closed", "Closure", "2026-12-01")
        assert instance.closed_at is not None and instance.version == 7
        audit = session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.target == f"workflow {wf}")
                                .order_by(AuditLogEntry.id)).all()
        assert verify_chain(session).ok
    kinds = event_kinds(database, wf)
    assert kinds == ["started", "stage_entered", "task_completed", "stage_entered", "approved", "stage_entered",
                     "cmdb_change", "task_completed", "stage_entered", "task_completed", "stage_entered",
                     "task_completed", "stage_entered", "task_completed", "closed"]
    assert audit == [f"workflow_{kind}" for kind in kinds]


def test_rejection_returns_to_the_initiator_who_resubmits(database, templates, people, laptop, clock):
    alice, bob, root = people["alice"], people["bob"], people["root"]
    wf = _start(database, templates, alice, laptop["ci_id"], clock())
    _act(database, templates, wf, "request", alice, {**REQUEST, "cost": 6000}, clock())
    with pytest.raises(Forbidden, match="needs the admin role"):
        _act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, clock())
    with pytest.raises(InvalidInput) as rejected_without_reason:
        _act(database, templates, wf, "approve_cost", root, {"decision": "reject"}, clock())
    assert [(f.field, f.message) for f in rejected_without_reason.value.fields] == [("reason", "is required to reject")]
    _act(database, templates, wf, "approve_cost", root, {"decision": "reject", "reason": "use a refurbished one"},
         clock())
    assert ready(database, wf) == ["resubmit"]
    with database.session() as session:
        assert session.get(WorkflowInstance, wf).stage == "Initiation"
        rejection = session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "rejected")).one()
        assert (rejection.actor, rejection.note) == ("root", "use a refurbished one")
    with pytest.raises(Forbidden, match="only the initiator"):
        _act(database, templates, wf, "resubmit", bob, {"cost": 300}, clock())
    # Below 500 the decision table auto-approves: straight on to execution.
    _act(database, templates, wf, "resubmit", alice, {"cost": 300}, clock())
    assert ready(database, wf) == ["deploy"]
    assert event_kinds(database, wf)[-4:] == ["rejected", "stage_entered", "resubmitted", "stage_entered"]


def test_nobody_approves_their_own_request_and_auditors_never_act(database, templates, people, laptop, clock):
    root, audrey = people["root"], people["audrey"]
    wf = _start(database, templates, root, laptop["ci_id"], clock())
    _act(database, templates, wf, "request", root, {**REQUEST, "cost": 9000}, clock())
    before = snapshot(database, wf)
    with pytest.raises(Forbidden, match="nobody approves their own request"):
        _act(database, templates, wf, "approve_cost", root, {"decision": "approve"}, clock())
    with pytest.raises(Forbidden, match="auditors read workflows and act on none"):
        _act(database, templates, wf, "approve_cost", audrey, {"decision": "approve"}, clock())
    with pytest.raises(Forbidden, match="auditors"), database.write() as session:
        start_workflow(session, templates, "ham_deployment", audrey, ci_id=laptop["ci_id"])
    assert snapshot(database, wf) == before


def test_bad_form_input_is_refused_field_by_field_and_nothing_is_stored(database, templates, people, laptop, clock):
    alice = people["alice"]
    wf = _start(database, templates, alice, laptop["ci_id"], clock())
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as refused:
        _act(database, templates, wf, "request", alice,
             {"department": "x" * 256, "location": "HQ", "need_by": "2026-13-01", "cost": "12", "evil": 1}, clock())
    assert sorted((f.field, f.message) for f in refused.value.fields) == [
        ("cost", "must be a whole number"), ("department", "must be at most 255 characters"),
        ("evil", "is not a field of this task"), ("need_by", "must be a date, YYYY-MM-DD"), ("user", "is required")]
    with pytest.raises(InvalidInput, match="nothing was stored"):
        _act(database, templates, wf, "request", alice, {**REQUEST, "cost": -1}, clock())
    assert snapshot(database, wf) == before


def test_illegal_moves_change_nothing(database, templates, people, laptop, clock):
    alice, bob = people["alice"], people["bob"]
    wf = _start(database, templates, alice, laptop["ci_id"], clock())
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="task 'deploy' \\(Execution\\) is not ready: .* at stage Initiation "
                                       "\\(ready: request\\)"):
        _act(database, templates, wf, "deploy", bob, {}, clock())
    with pytest.raises(NotFound, match="has no task 'teleport'"):
        _act(database, templates, wf, "teleport", bob, {}, clock())
    with pytest.raises(Conflict, match="changed meanwhile \\(version 1, you had 7\\)"):
        _act(database, templates, wf, "request", alice, REQUEST, clock(), version=7)
    with pytest.raises(InvalidInput, match="invalid override"):
        _act(database, templates, wf, "request", alice, REQUEST, clock(), override_reason="because")
    assert snapshot(database, wf) == before
    with pytest.raises(InvalidInput) as no_subject, database.write() as session:
        start_workflow(session, templates, "ham_deployment", alice)
    assert no_subject.value.fields[0].field == "ci_id"
    with pytest.raises(InvalidInput, match="unknown template"), database.write() as session:
        start_workflow(session, templates, "no_such", alice, ci_id=laptop["ci_id"])
