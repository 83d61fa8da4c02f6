"""Migration 0018 moves exception triage onto workflows, on a database seeded at revision 0017."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from collector.access.audit_log import Actor, append_entry, verify_chain
from collector.migrate import current_revision, downgrade, head_revision, upgrade
from collector.models import (AuditException, AuditLogEntry, ExceptionComment, WorkflowEvent, WorkflowInstance,
                              WorkflowTask)
from collector.workflows.reading import my_tasks
from collector.workflows.triage import acknowledge_exception, comment_on_exception, exception_view
from tests.collector.reconcile.fleet import NOW

T0 = NOW - timedelta(days=10)


@pytest.fixture
def seeded(database, people, templates):
    """At revision 0017, triage as the older code left it: columns, comment rows, audit entries."""
    downgrade(database.engine, "0017")
    alice, bob, root = people["alice"], people["bob"], people["root"]
    with database.write() as session:
        def exception(key, **columns):
            row = AuditException(**{"kind": "drift", "status": "open", "open_key": key, "summary": f"drift {key}",
                                    "evidence": {}, "opened_at": T0, "updated_at": T0, **columns})
            session.add(row)
            session.flush()
            return row

        worked = exception("drift:1", assignee_id=bob.user_id, status="acknowledged",
                           acknowledged_at=T0 + timedelta(hours=5), acknowledged_by_id=root.user_id)
        append_entry(session, "exception_assigned", Actor(alice.user_id, "alice", "web"), f"exception {worked.id}",
                     {"assignee": "bob"}, T0 + timedelta(hours=1))
        for hours, author, body in ((2, alice, "asked the service desk"), (6, root, "known: in the repair shop")):
            session.add(ExceptionComment(exception_id=worked.id, author_id=author.user_id, author=author.username,
                                         body=body, created_at=T0 + timedelta(hours=hours)))
        untouched = exception("drift:2")
        resolved = exception(None, status="resolved", resolved_at=T0 + timedelta(days=1))
        session.add(ExceptionComment(exception_id=resolved.id, author_id=bob.user_id, author="bob", body="old",
                                     created_at=T0))
        ids = {"worked": worked.id, "untouched": untouched.id, "resolved": resolved.id}
    assert current_revision(database.engine) == "0017"
    yield ids
    upgrade(database.engine)  # leave the session's database at head whatever the test did


def _history(database, exception_id) -> list[tuple]:
    with database.session() as session:
        [wf] = session.scalars(select(WorkflowInstance).where(WorkflowInstance.exception_id == exception_id)).all()
        rows = session.scalars(select(WorkflowEvent).where(WorkflowEvent.instance_id == wf.id)
                               .order_by(WorkflowEvent.id)).all()
        return [(e.at - T0, e.kind, e.actor, e.stage, e.task, e.note, e.detail.get("assignee")) for e in rows]


def test_unresolved_exceptions_get_workflows_carrying_their_triage(database, templates, people, seeded):
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision()
    h = timedelta(hours=1)
    assert _history(database, seeded["worked"]) == [
        (0 * h, "started", "stocktake", "Initiation", None, None, None),
        (0 * h, "stage_entered", "stocktake", "Initiation", None, None, None),
        (1 * h, "assigned", "alice", "Initiation", None, None, "bob"),
        (2 * h, "comment", "alice", "Initiation", None, "asked the service desk", None),
        (5 * h, "task_completed", "root", "Initiation", "triage", None, None),
        (5 * h, "stage_entered", "root", "Execution", None, None, None),  # drift: approval is automatic
        (6 * h, "comment", "root", "Execution", None, "known: in the repair shop", None),
    ]
    assert [kind for _, kind, *_ in _history(database, seeded["untouched"])] == ["started", "stage_entered"]
    with database.session() as session:
        assert session.scalars(select(WorkflowInstance).where(
            WorkflowInstance.exception_id == seeded["resolved"])).all() == []
        worked = session.get(AuditException, seeded["worked"])  # the columns are as they were
        assert (worked.status, worked.assignee_id, worked.acknowledged_by_id) == (
            "acknowledged", people["bob"].user_id, people["root"].user_id)
        tasks = session.scalars(select(WorkflowTask).join(WorkflowInstance).where(
            WorkflowInstance.exception_id == seeded["worked"]).order_by(WorkflowTask.id)).all()
        assert [(t.task, t.completed_by, t.owner_id) for t in tasks] == [
            ("triage", "root", people["bob"].user_id), ("fix", None, people["bob"].user_id)]
        assert [(t["workflow"], t["id"]) for t in my_tasks(session, templates, people["bob"])
                if t["id"] == "fix"] == [(tasks[1].instance_id, "fix")]
        # the exception page reads the comments from the workflow now, and the older ones stay readable
        assert [(c.author, c.body) for c in exception_view(session, seeded["worked"]).comments] == [
            ("alice", "asked the service desk"), ("root", "known: in the repair shop")]
        assert [c.body for c in exception_view(session, seeded["resolved"]).comments] == ["old"]
        migrated = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "workflow_triage_migrated")
                                   .order_by(AuditLogEntry.id)).all()
        assert [e.detail["exception_id"] for e in migrated] == [seeded["worked"], seeded["untouched"]]
        assert verify_chain(session).ok


def test_the_queue_keeps_working_through_the_migrated_workflow_and_downgrade_removes_it(database, people, seeded):
    upgrade(database.engine)
    alice = Actor(people["alice"].user_id, "alice", "web")
    with database.write() as session:
        comment_on_exception(session, seeded["untouched"], "on it", alice, now=NOW)
        acknowledge_exception(session, seeded["untouched"], alice, now=NOW)
    kinds = [kind for _, kind, *_ in _history(database, seeded["untouched"])]
    assert kinds == ["started", "stage_entered", "comment", "task_completed", "stage_entered"]
    with database.session() as session:
        assert session.get(AuditException, seeded["untouched"]).status == "acknowledged"
    downgrade(database.engine, "0017")
    with database.session() as session:
        assert session.scalars(select(WorkflowInstance)).all() == []
    upgrade(database.engine)  # again: the older triage is carried over once more, nothing doubled
    assert [kind for _, kind, *_ in _history(database, seeded["worked"])].count("comment") == 2
