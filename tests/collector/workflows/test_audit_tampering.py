"""100 random tamperings of workflow audit rows, each on a fresh copy of the log, all found by verify_chain.

The rows come from real workflows (started, approved, rejected, resubmitted, commented, a CMDB
change, closed) on the test database. The log's triggers refuse UPDATE and DELETE there, so
each tampering is done on a fresh copy of the rows in a database of its own (as someone with
the files or a superuser would), and the collector's own verification reads that copy.

Two changes a hash chain cannot show by itself are not counted as tampering here, as the
module says (collector/access/audit_log.py): dropping the newest rows, and appending rows with
correctly computed hashes at the end. Every append logs its id and hash elsewhere for those.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import Column, MetaData, Table, create_engine, delete, insert, select, update
from sqlalchemy.orm import Session

from collector.access.audit_log import _content, entry_hash, verify_chain
from collector.models import AuditException, AuditLogEntry
from collector.workflows.service import comment_on_workflow, complete_task, open_exception_workflow, start_workflow
from tests.collector.workflows.test_deployment import REQUEST

TABLE = AuditLogEntry.__table__
KINDS = ("changed", "deleted", "reordered", "inserted")
FIELDS = ("at", "actor", "actor_id", "action", "target", "detail", "client", "prev_hash", "row_hash")


@pytest.fixture
def workflow_log(database, templates, people, laptop, clock) -> list[dict]:
    """The audit rows of two real workflows, as plain dicts in id order."""
    alice, bob, root = people["alice"], people["bob"], people["root"]
    with database.write() as session:
        wf = start_workflow(session, templates, "ham_deployment", alice, ci_id=laptop["ci_id"], now=clock()).id
        exception = AuditException(kind="duplicate", status="open", open_key="t:dup", summary="two", evidence={})
        session.add(exception)
        session.flush()
        other = open_exception_workflow(session, templates, exception.id, clock()).id
    steps = [(wf, "request", alice, {**REQUEST, "cost": 6000}), (wf, "approve_cost", root,
                                                                  {"decision": "reject", "reason": "too dear"}),
             (wf, "resubmit", alice, {"cost": 1200}), (wf, "approve_cost", bob, {"decision": "approve"}),
             (wf, "deploy", bob, {}), (other, "triage", bob, {"plan": "merge them"})]
    for instance, task, actor, data in steps:
        with database.write() as session:
            complete_task(session, templates, instance, task, actor, data, now=clock())
    with database.write() as session:
        comment_on_workflow(session, other, alice, "waiting for the vendor", now=clock())
    with database.session() as session:
        rows = [dict(row._mapping) for row in session.execute(select(TABLE).order_by(TABLE.c.id))]
    assert sum(r["action"].startswith("workflow_") for r in rows) >= 15
    return rows


def _copy(rows: list[dict]):
    """The rows in a new database, in a table of the same name and columns without the unique
    index on prev_hash (someone forging rows drops that first)."""
    engine = create_engine("sqlite://")
    copy = Table(TABLE.name, MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key) for c in TABLE.c))
    copy.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(TABLE), rows)
    return engine


def _verify(engine):
    with Session(engine) as session:
        return verify_chain(session)


def _changed(rng: random.Random, rows: list[dict], connection) -> int:
    row = rng.choice(rows)
    field = rng.choice(FIELDS)
    value = row[field]
    if field == "at":
        value = value + timedelta(microseconds=rng.choice((-1, 1)) * rng.randint(1, 10**9))
    elif field == "actor_id":
        value = (value or 0) + rng.randint(1, 50)
    elif field == "detail":
        value = {**value, rng.choice(list(value) or ["note"]): rng.choice(["approved", 0, None, "x" * 3])}
        if value == row["detail"]:
            value["forged"] = True
    elif field in ("prev_hash", "row_hash"):
        value = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    else:
        value = (value or "") + rng.choice(("!", " ", "x", "0"))
    connection.execute(update(TABLE).where(TABLE.c.id == row["id"]).values({field: value}))
    return row["id"]


def _deleted(rng: random.Random, rows: list[dict], connection) -> int:
    row = rng.choice(rows[:-1])  # not the newest (see the module docstring)
    connection.execute(delete(TABLE).where(TABLE.c.id == row["id"]))
    return row["id"] + 1  # the gap shows at the row after it


def _reordered(rng: random.Random, rows: list[dict], connection) -> int:
    first, second = sorted(rng.sample(rows, 2), key=lambda r: r["id"])
    connection.execute(delete(TABLE).where(TABLE.c.id.in_((first["id"], second["id"]))))
    connection.execute(insert(TABLE), [{**second, "id": first["id"]}, {**first, "id": second["id"]}])
    return first["id"]


def _inserted(rng: random.Random, rows: list[dict], connection) -> int:
    """A forged row with a correct hash over its own content, put between two rows (ids shifted up)."""
    before = rng.choice(rows[:-1])
    position = before["id"] + 1
    later = connection.scalars(select(TABLE.c.id).where(TABLE.c.id >= position).order_by(TABLE.c.id.desc())).all()
    for row_id in later:
        connection.execute(update(TABLE).where(TABLE.c.id == row_id).values(id=row_id + 1))
    forged = {**before, "id": position, "action": "workflow_approved", "actor": "mallory", "actor_id": 99,
              "detail": {"decision": "approve"}, "prev_hash": before["row_hash"], "at": before["at"]}
    content = _content(position, forged["at"], forged["actor"], forged["actor_id"], forged["action"],
                       forged["target"], forged["detail"], forged["client"])
    forged["row_hash"] = entry_hash(before["row_hash"], content)
    connection.execute(insert(TABLE), [forged])
    return position + 1  # the forged row itself links; the next one no longer does


def _workflow_rows(rows: list[dict]) -> list[dict]:
    """The rows the workflows wrote (the users' creation before them is left alone); the newest row
    of the log stays last, so that ``rows[:-1]`` never includes the head."""
    workflow = [r for r in rows if r["action"].startswith("workflow_")]
    assert workflow[-1] is rows[-1]
    return workflow


TAMPER = {"changed": _changed, "deleted": _deleted, "reordered": _reordered, "inserted": _inserted}


def test_a_hundred_random_tamperings_are_all_detected(workflow_log):
    assert _verify(_copy(workflow_log)).ok  # the untouched copy verifies: the copy itself changes nothing
    rng = random.Random(20261206)
    missed, counts = [], dict.fromkeys(KINDS, 0)
    for case in range(100):
        kind = KINDS[case % len(KINDS)]
        engine = _copy(workflow_log)  # a fresh copy for every tampering
        with engine.begin() as connection:
            expected_bad = TAMPER[kind](rng, _workflow_rows(workflow_log), connection)
        report = _verify(engine)
        engine.dispose()
        counts[kind] += 1
        if report.ok or report.first_bad_id is None or report.first_bad_id > expected_bad:
            missed.append((case, kind, expected_bad, report))
    assert missed == []
    assert counts == {"changed": 25, "deleted": 25, "reordered": 25, "inserted": 25}
