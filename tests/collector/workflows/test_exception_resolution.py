"""Audit-exception resolution: closed by a reconciliation run after the fix, or only by an admin override."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import AuditException, ConfigurationItem, WorkflowEvent, WorkflowInstance
from collector.reconcile.service import run_full
from collector.workflows.service import comment_on_workflow, complete_task, open_exception_workflow, start_workflow
from tests.collector.reconcile.fleet import _Builder
from tests.collector.workflows.helpers import event_kinds, ready, snapshot


@pytest.fixture
def drift(database, config, clock) -> dict:
    """The register says alice uses LT-DRIFT; its agent says bob: a drift exception."""
    with database.write() as session:
        builder = _Builder(session, 5)
        serial = builder.serial()
        ci_id = builder.ci("LT-DRIFT", serial=serial, hostname="lt-drift", assigned_user="alice")
        builder.asset("lt-drift", serial=serial, primary_user="bob")
    run_full(database, config, clock())
    with database.session() as session:
        exception = session.scalars(select(AuditException).where(AuditException.ci_id == ci_id,
                                                                 AuditException.kind == "drift")).one()
    return {"ci_id": ci_id, "exception_id": exception.id}


def _through_documentation(database, templates, actor, exception_id, clock) -> int:
    with database.write() as session:
        wf = start_workflow(session, templates, "exception_resolution", actor, exception_id=exception_id,
                            now=clock()).id
    for task, data in (("triage", {"plan": "ask the service desk who has it"}),
                       ("fix", {"action_taken": "register corrected to bob"}),
                       ("document", {"record": "SD-1234"})):
        with database.write() as session:
            complete_task(session, templates, wf, task, actor, data, now=clock())
    return wf


def _act(database, templates, wf, task, actor, clock, **kwargs):
    with database.write() as session:
        complete_task(session, templates, wf, task, actor, {}, now=clock(), **kwargs)


def test_closed_after_reconciliation_resolves_the_exception(database, config, templates, people, drift, clock):
    alice = people["alice"]
    wf = _through_documentation(database, templates, alice, drift["exception_id"], clock)
    with database.session() as session:
        instance = session.get(WorkflowInstance, wf)
        assert (instance.ci_id, instance.exception_id) == (drift["ci_id"], drift["exception_id"])
    # completing triage acknowledged the exception (its columns follow the workflow for the queue)
    with pytest.raises(Conflict, match="validation fails: exception .* \\(drift\\) is still acknowledged"):
        _act(database, templates, wf, "validate", alice, clock)
    # The fix, then the next reconciliation run finds the condition gone.
    with database.write() as session:
        session.get(ConfigurationItem, drift["ci_id"]).assigned_user = "bob"
    run_full(database, config, clock())
    _act(database, templates, wf, "validate", alice, clock)
    _act(database, templates, wf, "close", alice, clock)
    with database.session() as session:
        assert session.get(WorkflowInstance, wf).status == "closed"
        validated = session.scalars(select(WorkflowEvent).where(WorkflowEvent.task == "validate")).one()
        assert validated.detail["evidence"]["passed"] is True
        assert "resolved by reconciliation run" in validated.detail["evidence"]["evidence"]
    # Drift is auto-approved by the decision table: no approval step.
    assert "approved" not in event_kinds(database, wf)


def test_cannot_close_while_the_condition_persists_except_by_admin_override(database, templates, people, drift,
                                                                           clock):
    alice, root = people["alice"], people["root"]
    wf = _through_documentation(database, templates, alice, drift["exception_id"], clock)
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="validation fails"):
        _act(database, templates, wf, "validate", alice, clock)
    with pytest.raises(Conflict, match="task 'close' \\(Closure\\) is not ready"):
        _act(database, templates, wf, "close", root, clock)
    with pytest.raises(Forbidden, match="only an admin may override"):
        _act(database, templates, wf, "validate", alice, clock, override_reason="it is fine")
    with pytest.raises(InvalidInput, match="invalid override"):
        _act(database, templates, wf, "validate", root, clock, override_reason="   ")
    assert snapshot(database, wf) == before
    _act(database, templates, wf, "validate", root, clock, override_reason="bob left; laptop is in the safe")
    _act(database, templates, wf, "close", alice, clock)
    with database.session() as session:
        override = session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "override")).one()
        assert (override.actor, override.actor_role, override.note) == ("root", "admin",
                                                                        "bob left; laptop is in the safe")
        assert override.detail["passed"] is False
        assert session.get(WorkflowInstance, wf).status == "closed"


def test_one_running_workflow_per_exception_and_comments(database, templates, people, drift, clock):
    alice, audrey = people["alice"], people["audrey"]
    with database.write() as session:
        wf = start_workflow(session, templates, "exception_resolution", alice, exception_id=drift["exception_id"]).id
    with pytest.raises(Conflict, match=f"already has running workflow {wf}"), database.write() as session:
        start_workflow(session, templates, "exception_resolution", alice, exception_id=drift["exception_id"])
    with database.write() as session:
        comment_on_workflow(session, wf, alice, "  waiting for the service desk  ")
    with pytest.raises(Forbidden), database.write() as session:
        comment_on_workflow(session, wf, audrey, "I saw this")
    with pytest.raises(InvalidInput), database.write() as session:
        comment_on_workflow(session, wf, alice, "")
    assert event_kinds(database, wf) == ["started", "stage_entered", "comment"]
    assert ready(database, wf) == ["triage"]


def test_identity_exceptions_need_an_admin_approval(database, templates, people, clock):
    alice, bob, root = people["alice"], people["bob"], people["root"]
    with database.write() as session:
        exception = AuditException(kind="cloned_identity", status="open", open_key="test:clone", summary="two VMs",
                                   evidence={})
        session.add(exception)
        session.flush()
        wf = start_workflow(session, templates, "exception_resolution", alice, exception_id=exception.id,
                            now=clock()).id
    with database.write() as session:
        complete_task(session, templates, wf, "triage", alice, {"plan": "re-generate one UUID"}, now=clock())
    assert ready(database, wf) == ["approve_fix"]
    with pytest.raises(Forbidden, match="admin"), database.write() as session:
        complete_task(session, templates, wf, "approve_fix", bob, {"decision": "approve"}, now=clock())
    with database.write() as session:
        complete_task(session, templates, wf, "approve_fix", root, {"decision": "approve"}, now=clock())
    assert ready(database, wf) == ["fix"]


def test_stocktake_opens_one_workflow_per_exception_and_operators_take_the_initiators_part(database, templates,
                                                                                          people, clock):
    bob, root, audrey = people["bob"], people["root"], people["audrey"]
    with database.write() as session:
        exception = AuditException(kind="duplicate", status="open", open_key="test:dup", summary="two rows",
                                   evidence={})
        session.add(exception)
        session.flush()
        first = open_exception_workflow(session, templates, exception.id, clock()).id
    with database.write() as session:
        assert open_exception_workflow(session, templates, exception.id, clock()).id == first
    with database.session() as session:
        instance = session.get(WorkflowInstance, first)
        assert instance.initiator_id is None
        started = session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == first)).first()
        assert (started.kind, started.actor, started.actor_role) == ("started", "stocktake", "system")
    with database.write() as session:
        complete_task(session, templates, first, "triage", bob, {"plan": "merge the rows"}, now=clock())
    with database.write() as session:
        complete_task(session, templates, first, "approve_fix", root, {"decision": "reject", "reason": "keep both"},
                      now=clock())
    with pytest.raises(Forbidden), database.write() as session:
        complete_task(session, templates, first, "resubmit", audrey, {"plan": "x"}, now=clock())
    with database.write() as session:  # no initiator: any operator revises the plan
        complete_task(session, templates, first, "resubmit", bob, {"plan": "retire the older row"}, now=clock())
    assert ready(database, first) == ["approve_fix"]
