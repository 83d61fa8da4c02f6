"""Opening many exception workflows at once: what a reconciliation run that raised thousands of
exceptions needs (issue 11 benchmark: 5,000 in under 10 s).

One at a time, each opening was a handful of round trips (the exception, its CI, the running
check, the instance, two events, two audit entries each reading the chain's head): 5,000 took
minutes on PostgreSQL. Here the exceptions, their CIs and the running instances are read in
chunks, the fresh state is the template's first state copied (engine.first_state), and
instances, events and audit entries go in as multi-row inserts (COPY on PostgreSQL). The result is the same rows
:func:`collector.workflows.service.start_workflow` would write, with the same audit entries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from collector.db import insert_rows
from collector.models import AuditException, ConfigurationItem, WorkflowInstance, WorkflowTask
from collector.models.workflows import EventKind, InstanceStatus
from collector.workflows import engine
from collector.workflows.events import NewEvent, record_events
from collector.workflows.loading import Template
from collector.workflows.roles import SYSTEM
from collector.workflows.specs import ensure_spec

__all__ = ["CHUNK", "open_for_exceptions"]

CHUNK = 1000  # ids per IN (...) list: well under SQLite's bound-parameter limit


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _running(session: Session, ids: list[int]) -> dict[int, int]:
    """exception id -> its running workflow. The status is checked on the rows found: in the WHERE
    clause SQLite's planner picked the status index, which matches every running workflow, and a
    65,536-exception run spent most of its time re-reading them (one scan per batch of 200)."""
    found = {}
    running = InstanceStatus.RUNNING.value
    for chunk in _chunks(ids):
        for exception_id, instance_id, status in session.execute(
                select(WorkflowInstance.exception_id, WorkflowInstance.id, WorkflowInstance.status)
                .where(WorkflowInstance.exception_id.in_(chunk)).order_by(WorkflowInstance.id)):
            if status == running:
                found[exception_id] = instance_id
    return found


def _seeds(session: Session, ids: list[int], now: datetime) -> dict[int, dict]:
    """exception id -> the seed start_workflow would give it; resolved and unknown ids are left out."""
    seeds = {}
    for chunk in _chunks(ids):
        rows = session.execute(select(AuditException.id, AuditException.kind, ConfigurationItem.id,
                                      ConfigurationItem.ci_class, ConfigurationItem.asset_tag,
                                      ConfigurationItem.warranty_end)
                               .outerjoin(ConfigurationItem, ConfigurationItem.id == AuditException.ci_id)
                               .where(AuditException.id.in_(chunk), AuditException.status != "resolved")).all()
        for exception_id, kind, ci_id, ci_class, asset_tag, warranty_end in rows:
            seed = {"exception_id": exception_id, "exception_kind": kind}
            if ci_id is not None:
                seed.update(ci_id=ci_id, ci_class=ci_class, asset_tag=asset_tag,
                            warranty_end=warranty_end.isoformat() if warranty_end else None)
            seeds[exception_id] = {**seed, "started_on": now.date().isoformat()}
    return seeds


def open_for_exceptions(session: Session, template: Template, exception_ids: list[int],
                        now: datetime, states: dict[int, dict] | None = None) -> dict[int, int]:
    """exception id -> the id of its running workflow, opened now unless one was running already.

    ``states``, if given, gets instance id -> state for the instances opened now whose state is
    what reading it back from the database gives (engine.first_state_plain): a step that follows
    in the same transaction need not read 10,000 states back."""
    ids = sorted(set(exception_ids))
    result = _running(session, ids)
    seeds = _seeds(session, [i for i in ids if i not in result], now)
    if not seeds:
        return result
    ensure_spec(session, template, now)
    rows, stages = [], {}
    for exception_id, seed in seeds.items():
        state, stages[exception_id] = engine.first_state(template, seed, now)
        rows.append({"template": template.name, "template_hash": template.sha256, "ci_id": seed.get("ci_id"),
                     "exception_id": exception_id, "status": InstanceStatus.RUNNING.value,
                     "stage": stages[exception_id], "initiator_id": None, "need_by": None, "created_at": now,
                     "updated_at": now, "closed_at": None, "state": state, "version": 1})
    created = _insert_instances(session, rows)
    events = []
    for exception_id, instance_id in created:
        result[exception_id] = instance_id
        stage = stages[exception_id]
        events += [NewEvent(instance_id, template.name, stage, EventKind.STARTED.value,
                            {"subject": seeds[exception_id]}),
                   NewEvent(instance_id, template.name, stage, EventKind.STAGE_ENTERED.value)]
    record_events(session, events, SYSTEM, now)
    if states is not None and engine.first_state_plain(template):
        kept = {row["exception_id"]: row["state"] for row in rows if _plain_seed(seeds[row["exception_id"]])}
        states.update({instance_id: kept[e] for e, instance_id in created if e in kept})
    _open_tasks(session, template, [instance_id for _, instance_id in created], now)
    return result


def _plain_seed(seed: dict) -> bool:
    return all(value is None or type(value) in (str, int, bool) for value in seed.values())


def _insert_instances(session: Session, rows: list[dict]) -> list[tuple[int, int]]:
    """(exception id, new instance id) per row, in order. PostgreSQL: ids taken from the table's
    sequence (ascending, as the INSERT would give them) and the rows COPied; an INSERT … RETURNING
    of 10,000 states was seconds of the server's and of psycopg's time."""
    table = WorkflowInstance.__table__  # Core: the ORM's bulk path spends more time than the insert
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(insert(table).returning(table.c.exception_id, table.c.id,
                                                       sort_by_parameter_order=True), rows).all()
    ids = sorted(session.scalars(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                      "FROM generate_series(1, :count)"),
                                 {"table": table.name, "count": len(rows)}))
    insert_rows(session, table, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return [(row["exception_id"], i) for i, row in zip(ids, rows, strict=True)]


def _open_tasks(session: Session, template: Template, instance_ids: list[int], now: datetime) -> None:
    """The ``workflow_tasks`` rows :func:`collector.workflows.tasks.sync_tasks` would add. Every new
    instance is at the template's first tasks; their roles come from the template, not from the
    seed (a decision before the first task makes ``first_state`` run the engine per instance, and
    then this reads that instance's own state)."""
    if not instance_ids:
        return
    from collector.workflows.specs import load_workflow
    from collector.workflows.tasks import due_at, open_task_specs

    first = session.get(WorkflowInstance, instance_ids[0])
    ready = open_task_specs(load_workflow(first, session))
    insert_rows(session, WorkflowTask.__table__, [
        {"instance_id": instance_id, "task": task, "name": spec["name"], "stage": spec["stage"], "role": spec["role"],
         "approval": spec["approval"], "ready_at": now, "owner_id": None,
         "due_at": due_at(spec["properties"], spec["stage"], template.stage_sla, now)}
        for instance_id in instance_ids for task, spec in ready.items()])
