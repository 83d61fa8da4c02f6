"""Open tasks as rows: kept in step with every transition, read by "my tasks", rebuilt by migration 0017."""

from __future__ import annotations

from sqlalchemy import select

from collector.migrate import current_revision, downgrade, head_revision, upgrade
from collector.models import AuditException, WorkflowTask
from collector.workflows.reading import my_tasks
from collector.workflows.service import complete_task, open_exception_workflow, start_workflow
from tests.collector.workflows.test_deployment import REQUEST


def _rows(database, wf=None) -> list[tuple]:
    with database.session() as session:
        query = select(WorkflowTask).order_by(WorkflowTask.id)
        if wf is not None:
            query = query.where(WorkflowTask.instance_id == wf)
        return [(r.instance_id, r.task, r.stage, r.role, r.approval, r.completed_by, r.completed_at is None,
                 r.due_at is not None) for r in session.scalars(query)]


def _act(database, templates, wf, task, actor, data, at):
    with database.write() as session:
        complete_task(session, templates, wf, task, actor, data, now=at)


def test_rows_follow_each_transition_including_a_rejection_loop(database, templates, people, laptop, clock):
    alice, root = people["alice"], people["root"]
    with database.write() as session:
        wf = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=clock()).id
    assert _rows(database) == [(wf, "request", "Initiation", "operator", False, None, True, False)]
    _act(database, templates, wf, "request", alice, {**REQUEST, "cost": 6000}, clock())
    _act(database, templates, wf, "approve_cost", root, {"decision": "reject", "reason": "too dear"}, clock())
    _act(database, templates, wf, "resubmit", alice, {"cost": 5500}, clock())
    assert _rows(database) == [
        (wf, "request", "Initiation", "operator", False, "alice", False, False),
        (wf, "approve_cost", "Authorization", "admin", True, "root", False, False),
        (wf, "resubmit", "Initiation", "initiator", False, "alice", False, False),
        (wf, "approve_cost", "Authorization", "admin", True, None, True, False),  # ready again
    ]


def test_my_tasks_is_the_open_rows_each_person_may_do(database, templates, people, laptop, clock):
    alice, bob, root, audrey, fiona = (people[n] for n in ("alice", "bob", "root", "audrey", "fiona"))
    with database.write() as session:
        exception = AuditException(kind="duplicate", status="open", open_key="t:dup", summary="two rows", evidence={})
        session.add(exception)
        session.flush()
        system = open_exception_workflow(session, templates, exception.id, clock()).id
        own = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=clock()).id
    _act(database, templates, own, "request", alice, {**REQUEST, "cost": 1200}, clock())  # operators approve

    def mine(actor):
        with database.session() as session:
            return [(t["workflow"], t["id"]) for t in my_tasks(session, templates, actor)]

    assert mine(alice) == [(system, "triage")]  # not the approval of her own request
    assert sorted(mine(bob)) == sorted([(system, "triage"), (own, "approve_cost")])
    assert sorted(mine(fiona)) == sorted(mine(bob))
    assert sorted(mine(root)) == sorted(mine(bob))
    assert mine(audrey) == []
    with database.session() as session:
        [triage] = [t for t in my_tasks(session, templates, bob) if t["workflow"] == system]
    assert triage["due_at"] is not None and [f["id"] for f in triage["fields"]] == ["plan"]


def test_migration_0017_rebuilds_the_open_tasks_of_running_workflows(database, templates, people, laptop, clock):
    alice, bob = people["alice"], people["bob"]
    with database.write() as session:
        exception = AuditException(kind="drift", status="open", open_key="t:drift", summary="x", evidence={})
        session.add(exception)
        session.flush()
        system = open_exception_workflow(session, templates, exception.id, clock()).id
        wf = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=clock()).id
    _act(database, templates, wf, "request", alice, {**REQUEST, "cost": 1200}, clock())
    _act(database, templates, system, "triage", bob, {"plan": "fix it"}, clock())
    expected = [row for row in _rows(database) if row[6]]  # the open ones
    assert [(r[0], r[1]) for r in expected] == [(wf, "approve_cost"), (system, "fix")]
    downgrade(database.engine, "0016")
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()
    rebuilt = _rows(database)
    assert sorted(rebuilt) == sorted(expected)
