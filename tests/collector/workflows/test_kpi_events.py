"""What the engine records for the KPIs and stores per instance: a task's ``kpi`` property and
ready time on its completion event, the process spec once per template hash, and many
exception workflows opened in one batch exactly as one at a time would."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import verify_chain
from collector.models import AuditException, AuditLogEntry, WorkflowEvent, WorkflowInstance, WorkflowSpec
from collector.reconcile.service import run_full
from collector.reports.kpis import week_starts
from collector.reports.workflow_kpis import Durations, OnTime, workflow_kpis
from collector.workflows import engine
from collector.workflows.service import (complete_task, open_exception_workflow, open_exception_workflows,
                                         start_workflow)
from tests.collector.reconcile.fleet import NOW, _Builder
from tests.collector.workflows.helpers import event_kinds, ready

REQUEST = {"user": "newhire", "department": "Sales", "location": "HQ", "need_by": "2026-11-21", "cost": 1200}


def _act(database, templates, wf, task, actor, data, now):
    with database.write() as session:
        complete_task(session, templates, wf, task, actor, data, now=now)


def _events(database, wf) -> list[WorkflowEvent]:
    with database.session() as session:
        return list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == wf)
                                    .order_by(WorkflowEvent.id)))


def test_completion_events_carry_kpi_and_ready_time(database, templates, people, laptop):
    alice, bob = people["alice"], people["bob"]
    t = [NOW + timedelta(hours=h) for h in range(10)]
    with database.write() as session:
        wf = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=t[0]).id
    _act(database, templates, wf, "request", alice, REQUEST, t[1])
    _act(database, templates, wf, "approve_cost", bob, {"decision": "reject", "reason": "too dear"}, t[3])
    _act(database, templates, wf, "resubmit", alice, {"cost": 900}, t[4])
    _act(database, templates, wf, "approve_cost", bob, {"decision": "approve"}, t[7])
    _act(database, templates, wf, "deploy", bob, {}, t[8])
    done = [(e.kind, e.task, e.task_kpi, e.ready_at) for e in _events(database, wf) if e.task]
    assert done == [("task_completed", "request", None, t[0]), ("rejected", "approve_cost", None, t[1]),
                    ("resubmitted", "resubmit", None, t[3]), ("approved", "approve_cost", None, t[4]),
                    ("cmdb_change", "deploy", None, None), ("task_completed", "deploy", "delivered", t[7])]
    with database.session() as session:
        kpis = workflow_kpis(session, week_starts(NOW, 1))
    # The two approvals took 2 h and 3 h; delivered on 11-20, needed by 11-21.
    assert kpis.approval_time.by_template == {"ham_deployment": Durations(2, 2.5, 3)}
    assert kpis.on_time_provisioning.overall == OnTime(1, 1, 100.0, 0)


def test_the_process_spec_is_stored_once_per_template_hash(database, templates, people, laptop):
    alice = people["alice"]
    with database.write() as session:
        first = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=NOW)
        second = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=NOW)
        assert "spec" not in first.state and first.state["tasks"].keys().isdisjoint(second.state["tasks"])
        ids = (first.id, second.id)
    with database.session() as session:
        specs = session.execute(select(WorkflowSpec.template, WorkflowSpec.template_hash)).all()
    assert specs == [("ham_deployment", templates.get("ham_deployment").sha256)]
    for wf in ids:
        assert ready(database, wf) == ["request"]
    _act(database, templates, ids[1], "request", alice, REQUEST, NOW)
    assert ready(database, ids[1]) == ["approve_cost"] and ready(database, ids[0]) == ["request"]


def test_a_state_that_carries_its_own_spec_still_runs(database, templates, people, laptop):
    """Instances started before migration 0019 stored the whole serialiser document."""
    alice, template = people["alice"], templates.get("ham_deployment")
    workflow = engine.new_workflow(template, {"ci_id": laptop["ci_id"], "ci_class": "computer", "asset_tag": "LT"})
    document = engine.serialize(workflow, with_spec=True)
    with database.write() as session:
        instance = WorkflowInstance(template=template.name, template_hash="0" * 64, ci_id=laptop["ci_id"],
                                    status="running", stage="Initiation", initiator_id=alice.user_id, created_at=NOW,
                                    updated_at=NOW, state=document, version=1)
        session.add(instance)
        session.flush()
        wf = instance.id
    _act(database, templates, wf, "request", alice, REQUEST, NOW)
    assert ready(database, wf) == ["approve_cost"]
    _act(database, templates, wf, "approve_cost", people["bob"], {"decision": "approve"}, NOW)
    assert ready(database, wf) == ["deploy"]


def test_the_copied_first_state_matches_a_fresh_run(templates):
    template = templates.get("exception_resolution")
    seed = {"exception_id": 7, "exception_kind": "drift", "ci_id": 3, "ci_class": "computer", "asset_tag": "A"}
    state, stage = engine.first_state(template, seed, NOW)
    copied = engine.deserialize(state, engine.restore_spec(engine.spec_document(template)))
    fresh = engine.new_workflow(template, copy.deepcopy(seed))
    assert stage == engine.current_stage(fresh) == "Initiation"
    assert [t.task_spec.bpmn_id for t in engine.ready_tasks(copied)] == ["triage"]
    assert engine.ready_tasks(copied)[0].data == engine.ready_tasks(fresh)[0].data == seed
    assert engine.ready_since(engine.ready_tasks(copied)[0]) == NOW
    for workflow in (copied, fresh):  # both route the same way: a drift fix needs an approval
        engine.run_task(workflow, engine.ready_tasks(workflow)[0], {"plan": "p"})
    assert [t.task_spec.bpmn_id for t in engine.ready_tasks(copied)] == \
        [t.task_spec.bpmn_id for t in engine.ready_tasks(fresh)]


@pytest.fixture
def drifts(database, config, clock) -> list[int]:
    """Four drift exceptions: the register and the agents disagree on who uses each laptop."""
    with database.write() as session:
        builder = _Builder(session, 9)
        for n in range(4):
            serial = builder.serial()
            builder.ci(f"LT-D{n}", serial=serial, hostname=f"lt-d{n}", assigned_user="alice")
            builder.asset(f"lt-d{n}", serial=serial, primary_user="bob")
    run_full(database, config, clock())
    with database.session() as session:
        return list(session.scalars(select(AuditException.id).where(AuditException.kind == "drift")
                                    .order_by(AuditException.id)))


def _audit_details(database, wf) -> list[tuple]:
    with database.session() as session:
        return [(a, {k: v for k, v in d.items() if k != "subject"}, sorted(d.get("subject", {})))
                for a, d in session.execute(select(AuditLogEntry.action, AuditLogEntry.detail)
                                            .where(AuditLogEntry.target == f"workflow {wf}")
                                            .order_by(AuditLogEntry.id))]


def test_batch_opening_matches_one_at_a_time_and_joins_running_ones(database, templates, people, drifts, clock):
    first, *others = drifts
    with database.write() as session:
        single = open_exception_workflow(session, templates, first, now=clock()).id
    with database.write() as session:  # the already-resolved and unknown ids are skipped
        session.get(AuditException, others[-1]).status = "resolved"
    with database.write() as session:
        opened = open_exception_workflows(session, templates, [*drifts, 999_999], now=clock())
    assert set(opened) == set(drifts[:-1]) and opened[first] == single
    with database.write() as session:
        again = open_exception_workflows(session, templates, drifts, now=clock())
    assert again == opened
    batch = opened[others[0]]
    assert event_kinds(database, batch) == event_kinds(database, single) == ["started", "stage_entered"]
    assert _audit_details(database, batch) == _audit_details(database, single)
    with database.session() as session:
        one, other = session.get(WorkflowInstance, single), session.get(WorkflowInstance, batch)
        assert (other.template_hash, other.stage, other.status, other.ci_id is not None) == \
            (one.template_hash, one.stage, one.status, True)
        started = session.scalars(select(WorkflowEvent.detail).where(WorkflowEvent.instance_id == batch,
                                                                     WorkflowEvent.kind == "started")).one()
        assert started["subject"]["exception_id"] == others[0] and started["subject"]["exception_kind"] == "drift"
        assert session.scalar(select(func.count()).select_from(WorkflowInstance)) == 3
        assert verify_chain(session).ok
    assert ready(database, batch) == ["triage"]
    _act(database, templates, batch, "triage", people["alice"], {"plan": "ask"}, clock())
    assert ready(database, batch) == ["fix"]  # a drift needs no approval (exception_resolution.dmn)


def test_concurrent_batch_and_single_appends_keep_one_chain(database):
    """Batches (open_exception_workflows, transitions) and single appends from several threads at
    once: the chain's lock serialises them, so no two entries claim the same place."""
    import threading

    from collector.access.audit_log import Actor, append_entries, append_entry

    actor, errors = Actor(None, "bench", "test"), []

    def writer(n: int) -> None:
        try:
            for round_ in range(5):
                with database.write() as session:
                    if n % 2:
                        append_entries(session, [("test", actor, f"t{n}", {"i": i}) for i in range(3)], NOW)
                    else:
                        append_entry(session, "test", actor, f"t{n}", {"round": round_}, NOW)
        except Exception as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with database.session() as session:
        report = verify_chain(session)
    assert report.ok and report.checked == 2 * 5 * 3 + 2 * 5
