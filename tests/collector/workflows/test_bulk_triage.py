"""Bulk triage (collector/workflows/bulk_triage.py): many exceptions, one note, one audit entry each."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import Actor, verify_chain
from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import (AuditException, AuditLogEntry, ExceptionComment, WorkflowEvent, WorkflowInstance,
                              WorkflowTask)
from collector.workflows.bulk_triage import MAX_SELECTED, QueueFilter, Selection, bulk_triage, matching_count
from collector.workflows.triage import acknowledge_exception, exception_queue, exception_view
from tests.collector.reconcile.fleet import NOW
from tests.factories import add_exceptions


def audit(person) -> Actor:
    return person.audit


def entries(database, action: str) -> list[AuditLogEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == action)
                                    .order_by(AuditLogEntry.id)))


def state_of(database) -> tuple:
    """Everything a refused request must leave as it was."""
    with database.session() as session:
        return (session.scalar(select(func.count()).select_from(AuditLogEntry)),
                session.scalar(select(func.count()).select_from(WorkflowInstance)),
                session.scalar(select(func.count()).select_from(WorkflowEvent)),
                sorted(session.execute(select(AuditException.id, AuditException.status,
                                              AuditException.assignee_id)).all()))


def test_a_thousand_acknowledged_in_one_call(database, templates, people):
    ids = add_exceptions(database, 990) + add_exceptions(database, 10, kind="duplicate", start=5000)
    alice = people["alice"]
    with database.write() as session:
        result = bulk_triage(session, "acknowledge", Selection(ids=tuple(ids)), audit(alice), note="ticket SD-42",
                             templates=templates, now=NOW)
    assert (result.selected, result.changed, result.skipped) == (1000, 1000, 0)
    with database.session() as session:
        statuses = session.execute(select(AuditException.status, AuditException.acknowledged_by_id, func.count())
                                   .group_by(AuditException.status, AuditException.acknowledged_by_id)).all()
        assert statuses == [("acknowledged", alice.user_id, 1000)]
        # each exception's workflow had its triage task completed by alice, the note as its plan
        done = session.execute(select(WorkflowTask.completed_by, func.count()).where(WorkflowTask.task == "triage")
                               .group_by(WorkflowTask.completed_by)).all()
        assert done == [("alice", 1000)]
        stages = dict(session.execute(select(WorkflowInstance.stage, func.count())
                                      .group_by(WorkflowInstance.stage)).all())
        assert stages == {"Execution": 990, "Authorization": 10}  # identity problems wait for an admin
        ready = dict(session.execute(select(WorkflowTask.task, func.count()).where(WorkflowTask.completed_at.is_(None))
                                     .group_by(WorkflowTask.task)).all())
        assert ready == {"fix": 990, "approve_fix": 10}
        plans = session.scalars(select(WorkflowEvent.detail).where(WorkflowEvent.kind == "task_completed")).all()
        assert len(plans) == 1000 and {p["fields"]["plan"] for p in plans} == {"ticket SD-42"}
        assert [c.body for c in exception_view(session, ids[0]).comments] == ["ticket SD-42"]
        assert verify_chain(session).ok
    acknowledged = entries(database, "exception_acknowledged")
    assert sorted(int(e.target.split()[1]) for e in acknowledged) == ids
    assert {e.detail["bulk"] for e in acknowledged} == {result.bulk_id}
    assert {e.actor for e in acknowledged} == {"alice"}
    [summary] = entries(database, "exceptions_bulk_acknowledge")
    assert (summary.detail["bulk"], summary.detail["changed"], summary.detail["note"]) == (result.bulk_id, 1000,
                                                                                           "ticket SD-42")
    assert len(entries(database, "exception_commented")) == 1000


def test_bulk_acknowledge_leaves_what_the_single_action_leaves(database, templates, people):
    """One exception acknowledged alone and one in a bulk: the same workflow history and task rows."""
    single, bulk = add_exceptions(database, 2)
    bob = people["bob"]
    with database.write() as session:
        acknowledge_exception(session, single, audit(bob), "plan A", now=NOW, templates=templates)
    with database.write() as session:
        bulk_triage(session, "acknowledge", Selection(ids=(bulk,)), audit(bob), note="plan A", templates=templates,
                    now=NOW)
    with database.session() as session:
        def history(exception_id):
            instance = session.scalar(select(WorkflowInstance).where(WorkflowInstance.exception_id == exception_id))
            events = session.execute(select(WorkflowEvent.kind, WorkflowEvent.stage, WorkflowEvent.task,
                                            WorkflowEvent.actor, WorkflowEvent.note)
                                     .where(WorkflowEvent.instance_id == instance.id).order_by(WorkflowEvent.id)).all()
            tasks = session.execute(select(WorkflowTask.task, WorkflowTask.completed_by, WorkflowTask.completed_at)
                                    .where(WorkflowTask.instance_id == instance.id).order_by(WorkflowTask.id)).all()
            return instance.stage, instance.version, events, tasks

        assert history(single) == history(bulk)


def test_already_acknowledged_rows_are_skipped_not_refused(database, templates, people):
    ids = add_exceptions(database, 4)
    alice = people["alice"]
    with database.write() as session:
        bulk_triage(session, "acknowledge", Selection(ids=tuple(ids[:2])), audit(alice), templates=templates, now=NOW)
    with database.write() as session:
        result = bulk_triage(session, "acknowledge", Selection(ids=tuple(ids)), audit(alice), templates=templates,
                             now=NOW)
    assert (result.changed, result.skipped) == (2, 2)
    assert len(entries(database, "exception_acknowledged")) == 4


def test_assign_and_comment(database, templates, people):
    ids = add_exceptions(database, 30)
    alice, bob = people["alice"], people["bob"]
    with database.write() as session:
        assigned = bulk_triage(session, "assign", Selection(ids=tuple(ids)), audit(alice), assignee_id=bob.user_id,
                               templates=templates, now=NOW)
    assert assigned.changed == 30
    with database.write() as session:
        again = bulk_triage(session, "assign", Selection(ids=tuple(ids)), audit(alice), assignee_id=bob.user_id,
                            templates=templates, now=NOW)
        commented = bulk_triage(session, "comment", Selection(ids=tuple(ids[:5])), audit(bob), note="on it",
                                templates=templates, now=NOW)
    assert (again.changed, again.skipped, commented.changed) == (0, 30, 5)
    with database.session() as session:
        assert set(session.scalars(select(AuditException.assignee_id))) == {bob.user_id}
        owners = set(session.scalars(select(WorkflowTask.owner_id).where(WorkflowTask.completed_at.is_(None))))
        assert owners == {bob.user_id}
        assert len(exception_queue(session, assignee_id=bob.user_id, per_page=100).rows) == 30
        assert [c.body for c in exception_view(session, ids[0]).comments] == ["on it"]
        assert exception_view(session, ids[6]).comments == []
        assigned_events = session.scalar(select(func.count()).select_from(WorkflowEvent)
                                         .where(WorkflowEvent.kind == "assigned"))
        assert assigned_events == 30
        assert verify_chain(session).ok
    assert {e.detail["assignee"] for e in entries(database, "exception_assigned")} == {"bob"}
    assert {e.detail["bulk"] for e in entries(database, "exception_commented")} == {commented.bulk_id}


def test_comment_reaches_resolved_exceptions_too(database, templates, people):
    [resolved] = add_exceptions(database, 1, status="resolved")
    with database.write() as session:
        bulk_triage(session, "comment", Selection(ids=(resolved,)), audit(people["alice"]), note="closed by SD-9",
                    templates=templates, now=NOW)
    with database.session() as session:
        assert session.scalars(select(ExceptionComment.body)).all() == ["closed by SD-9"]
        assert [c.body for c in exception_view(session, resolved).comments] == ["closed by SD-9"]


def test_everything_matching_is_the_pages_filter(database, templates, people):
    add_exceptions(database, 40)
    drift = add_exceptions(database, 25, kind="drift", start=100)
    add_exceptions(database, 5, kind="drift", status="resolved", start=200)
    page_filter = QueueFilter(kind="drift", status="unresolved")
    with database.session() as session:
        page = exception_queue(session, "drift", "unresolved", None, 1, 1000)
        assert matching_count(session, page_filter) == page.total == 25
    with database.write() as session:
        result = bulk_triage(session, "acknowledge", Selection(matching=page_filter, confirmed=25),
                             audit(people["alice"]), templates=templates, now=NOW)
    assert sorted(result.exception_ids) == sorted(r["exception"].id for r in page.rows) == drift
    with database.session() as session:
        counts = dict(session.execute(select(AuditException.kind, func.count())
                                      .where(AuditException.status == "acknowledged")
                                      .group_by(AuditException.kind)).all())
    assert counts == {"drift": 25}
    [summary] = entries(database, "exceptions_bulk_acknowledge")
    assert summary.detail["selection"] == {"matching": {"kind": "drift", "status": "unresolved", "assignee_id": None,
                                                        "unassigned": False}}


def test_everything_unassigned_leaves_the_assigned_alone(database, templates, people):
    """The queue's "unassigned" view (assignee=none) and its bulk action select the same rows."""
    nobody = add_exceptions(database, 7, kind="drift")
    owned = add_exceptions(database, 4, kind="drift", start=100, assignee_id=people["alice"].user_id)
    unassigned = QueueFilter(kind="drift", status="unresolved", unassigned=True)
    with database.session() as session:
        page = exception_queue(session, "drift", "unresolved", None, 1, 1000, unassigned=True)
        assert matching_count(session, unassigned) == page.total == 7
    with database.write() as session:
        result = bulk_triage(session, "acknowledge", Selection(matching=unassigned, confirmed=7),
                             audit(people["alice"]), templates=templates, now=NOW)
    assert sorted(result.exception_ids) == nobody
    with database.session() as session:
        statuses = dict(session.execute(select(AuditException.id, AuditException.status)
                                        .where(AuditException.id.in_(nobody + owned))).all())
    assert {statuses[i] for i in nobody} == {"acknowledged"} and {statuses[i] for i in owned} == {"open"}


def test_a_changed_match_count_refuses_everything(database, templates, people):
    add_exceptions(database, 10)
    before = state_of(database)
    with database.write() as session, pytest.raises(Conflict, match="now matches 10 exceptions, not the 9"):
        bulk_triage(session, "acknowledge", Selection(matching=QueueFilter(), confirmed=9), audit(people["alice"]),
                    templates=templates, now=NOW)
    assert state_of(database) == before


@pytest.mark.parametrize("case", ["resolved", "unknown", "empty", "too_many", "assignee", "note", "no_confirm",
                                  "no_comment"])
def test_bad_requests_store_nothing(database, templates, people, case):
    ids = add_exceptions(database, 5)
    resolved = add_exceptions(database, 1, status="resolved", start=50)
    kwargs = {"action": "acknowledge", "selection": Selection(ids=tuple(ids))}
    expected = InvalidInput
    if case == "resolved":
        kwargs["selection"], expected = Selection(ids=tuple(ids + resolved)), Conflict
    elif case == "unknown":
        kwargs["selection"] = Selection(ids=(*ids, 999_999))
    elif case == "empty":
        kwargs["selection"] = Selection()
    elif case == "too_many":
        kwargs["selection"] = Selection(ids=tuple(range(1, MAX_SELECTED + 2)))
    elif case == "assignee":
        kwargs |= {"action": "assign", "assignee_id": people["audrey"].user_id}
    elif case == "note":
        kwargs["note"] = "x" * 2001
    elif case == "no_confirm":
        kwargs["selection"] = Selection(matching=QueueFilter())
    elif case == "no_comment":
        kwargs |= {"action": "comment", "note": "   "}
    before = state_of(database)
    with database.write() as session, pytest.raises(expected) as refused:
        bulk_triage(session, actor=audit(people["alice"]), templates=templates, now=NOW, **kwargs)
    assert state_of(database) == before
    if case == "resolved":
        assert str(resolved[0]) in refused.value.message
    if case == "unknown":
        assert refused.value.fields[0].message == "no exceptions with ids 999999"


def test_auditors_may_not(database, templates, people):
    ids = add_exceptions(database, 3)
    before = state_of(database)
    with database.write() as session, pytest.raises(Forbidden):
        bulk_triage(session, "acknowledge", Selection(ids=tuple(ids)), audit(people["audrey"]), templates=templates)
    with database.write() as session, pytest.raises(Forbidden):
        bulk_triage(session, "comment", Selection(ids=tuple(ids)), Actor(None, None, "test"), note="x",
                    templates=templates)
    assert state_of(database) == before
