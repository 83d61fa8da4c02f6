"""SAM deployment and configuration: validated by the CI's next agent report listing the product."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collector.errors import Conflict, Forbidden, InvalidInput, NotFound
from collector.models import WorkflowEvent, WorkflowInstance
from collector.reconcile.service import run_full
from tests.collector.workflows.conftest import VISIO
from tests.collector.workflows.helpers import act, agent_report, event_kinds, ready, snapshot, start

REQUEST = {"publisher": "Microsoft Corporation", "product": "Visio", "version": "2021", "user": "carol"}


def _installed(database, templates, people, clock, ci_id):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_deployment", alice, clock(), ci_id=ci_id)
    act(database, templates, wf, "request", alice, REQUEST, clock())
    act(database, templates, wf, "approve_install", bob, {"decision": "approve"}, clock())
    act(database, templates, wf, "install", bob, {"installed_version": "2021", "note": "from the MSI share"}, clock())
    act(database, templates, wf, "document", bob, {"configuration": "licensed to carol, auto-update off"}, clock())
    return wf


def test_deployment_closes_once_the_next_agent_report_lists_the_product(database, config, reports, templates,
                                                                          people, sam_fleet, clock):
    bob, host = people["bob"], sam_fleet[1]
    wf = _installed(database, templates, people, clock, host["ci_id"])
    # No report since the installation: validation waits for one.
    with pytest.raises(Conflict, match="validation fails: no agent report of this CI since the installation"):
        act(database, templates, wf, "validate", bob, now=clock())
    # A report after the installation that does not list Visio yet: still refused.
    agent_report(database, reports, host, clock(), host["packages"])
    with pytest.raises(Conflict, match="the agent report of host-00002 at .* does not list Visio"):
        act(database, templates, wf, "validate", bob, now=clock())
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match="task 'close' \\(Closure\\) is not ready"):
        act(database, templates, wf, "close", bob, now=clock())
    assert snapshot(database, wf) == before
    reported_at = clock()
    agent_report(database, reports, host, reported_at, host["packages"] + [VISIO])
    run_full(database, config, clock())
    act(database, templates, wf, "validate", bob, now=clock())
    act(database, templates, wf, "close", bob, now=clock())
    with database.session() as session:
        assert session.get(WorkflowInstance, wf).status == "closed"
        evidence = session.scalars(select(WorkflowEvent.detail).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task == "validate")).one()["evidence"]["evidence"]
    assert evidence.startswith("agent on host-00002 (asset ")
    assert evidence.endswith(f"reported Visio 2021 at {reported_at.isoformat()}")


def test_a_rejected_installation_returns_to_the_initiator(database, templates, people, sam_fleet, clock):
    alice, bob = people["alice"], people["bob"]
    wf = start(database, templates, "sam_deployment", alice, clock(), ci_id=sam_fleet[2]["ci_id"])
    act(database, templates, wf, "request", alice, REQUEST, clock())
    act(database, templates, wf, "approve_install", bob, {"decision": "reject", "reason": "carol has a Visio seat"},
        clock())
    assert ready(database, wf) == ["resubmit"]
    with pytest.raises(Forbidden, match="only the initiator"):
        act(database, templates, wf, "resubmit", bob, {"user": "dave"}, clock())
    act(database, templates, wf, "resubmit", alice, {"user": "dave"}, clock())
    assert ready(database, wf) == ["approve_install"]
    with pytest.raises(Forbidden, match="nobody approves their own request"):
        act(database, templates, wf, "approve_install", alice, {"decision": "approve"}, clock())
    assert event_kinds(database, wf)[-4:] == ["rejected", "stage_entered", "resubmitted", "stage_entered"]


def test_deployment_needs_a_ci_and_a_reported_product(database, templates, people, sam_fleet, clock):
    alice = people["alice"]
    with pytest.raises(InvalidInput) as no_ci, database.write() as session:
        from collector.workflows.service import start_workflow

        start_workflow(session, templates, "sam_deployment", alice)
    assert [(f.field, f.message) for f in no_ci.value.fields] == [("ci_id", "this template needs a CI")]
    wf = start(database, templates, "sam_deployment", alice, clock(), ci_id=sam_fleet[0]["ci_id"])
    before = snapshot(database, wf)
    with pytest.raises(InvalidInput) as typo:
        act(database, templates, wf, "request", alice, {**REQUEST, "product": "Vizio"}, clock())
    assert typo.value.fields[0].field == "product" and "close matches: Visio" in typo.value.fields[0].message
    with pytest.raises(InvalidInput) as missing:
        act(database, templates, wf, "request", alice, {"publisher": "Microsoft Corporation", "product": "Visio"},
            clock())
    assert [(f.field, f.message) for f in missing.value.fields] == [("user", "is required")]
    with pytest.raises(NotFound, match="has no task 'uninstall'"):
        act(database, templates, wf, "uninstall", alice, {}, clock())
    with pytest.raises(Conflict, match="task 'validate' \\(Validation\\) is not ready"):
        act(database, templates, wf, "validate", alice, now=clock())
    assert snapshot(database, wf) == before
