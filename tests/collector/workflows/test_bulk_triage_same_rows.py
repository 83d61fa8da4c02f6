"""Bulk acknowledge writes the rows the single-row action writes, row for row, for a mixed batch.

The bulk path runs the workflow engine once per group of instances in the same place and copies
the result (collector/workflows/step_groups.py); these tests compare everything that copy
writes (state, tasks, events, audit entries, exception columns) with the engine run on each
instance alone, for exceptions with and without a workflow, of kinds that take different paths,
with and without a CI, opened earlier, assigned and commented before.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update

from collector.models import (AuditException, AuditLogEntry, ConfigurationItem, WorkflowEvent, WorkflowInstance,
                              WorkflowTask)
from collector.workflows import engine
from collector.workflows.bulk_triage import Selection, bulk_triage
from collector.workflows.service import open_exception_workflows
from collector.workflows.specs import load_workflow
from collector.workflows.step_groups import CopyShapes, mentioned_names, shape_of, transplant
from collector.workflows.triage import acknowledge_exception, assign_exception, comment_on_exception
from tests.collector.reconcile.fleet import NOW, _Builder
from tests.factories import add_exceptions

OPENED = NOW - timedelta(hours=5)  # workflows opened before the acknowledgement: their own ready stamps
SUBJECT_KEYS = ("exception_id", "ci_id", "asset_tag", "ci_class", "warranty_end")


def _scenario(database, templates, people, start: int, label: str) -> list[int]:
    """Twelve open exceptions: no workflow / opened by a run / opened, assigned and commented; kinds
    missing (straight to Execution) and duplicate (to an admin's approval); some about a CI."""
    ids = (add_exceptions(database, 4, kind="missing", start=start)
           + add_exceptions(database, 4, kind="duplicate", start=start + 100)
           + add_exceptions(database, 4, kind="unmanaged", start=start + 200))
    with database.write() as session:
        builder = _Builder(session, start)
        for n, exception_id in enumerate(ids[::3]):
            ci_id = builder.ci(f"{label}-{n}", serial=builder.serial(), ci_class=("computer", "server")[n % 2])
            session.execute(update(AuditException).where(AuditException.id == exception_id).values(ci_id=ci_id))
        session.execute(update(ConfigurationItem).where(ConfigurationItem.asset_tag == f"{label}-1")
                        .values(warranty_end=date(2027, 3, 1)))
        open_exception_workflows(session, templates, ids[1::2], OPENED)
    with database.write() as session:
        for exception_id in ids[3::4]:
            assign_exception(session, exception_id, people["bob"].user_id, people["alice"].audit,
                             now=OPENED + timedelta(minutes=1), templates=templates)
            comment_on_exception(session, exception_id, "seen it", people["alice"].audit,
                                 now=OPENED + timedelta(minutes=2), templates=templates)
    return ids


def _subject(session, exception_id: int) -> dict:
    exception = session.get(AuditException, exception_id)
    values = {"exception_id": exception_id}
    if exception.ci_id is not None:
        ci = session.get(ConfigurationItem, exception.ci_id)
        values.update(ci_id=ci.id, asset_tag=ci.asset_tag)
    return values


def _normal(value, own: dict):
    """``value`` with this exception's own subject values (and only those) named, not valued."""
    if isinstance(value, dict):
        return {k: (f"<{k}>" if k in own and v == own[k] else _normal(v, own)) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v, own) for v in value]
    return value


def _state(state: dict, own: dict) -> list:
    """The state with task ids as tree positions and the engine's wall-clock stamps left out."""
    order, stack = [], [state["root"]]
    while stack:
        order.append(stack.pop())
        stack.extend(reversed(state["tasks"][order[-1]]["children"]))
    index = {task_id: n for n, task_id in enumerate(order)}
    assert len(order) == len(state["tasks"]) == len(set(state["tasks"]))
    tasks = [{**{k: v for k, v in state["tasks"][t].items() if k not in ("id", "last_state_change")},
              "parent": index.get(state["tasks"][t]["parent"]),
              "children": [index[c] for c in state["tasks"][t]["children"]]} for t in order]
    rest = {k: v for k, v in state.items() if k not in ("tasks", "root", "last_task")}
    return [_normal(tasks, own), index.get(state["last_task"]), rest]


def _rows(session, exception_id: int) -> dict:
    own = _subject(session, exception_id)
    exception = session.get(AuditException, exception_id)
    [instance] = session.scalars(select(WorkflowInstance).where(WorkflowInstance.exception_id == exception_id))
    own["workflow"] = instance.id
    events = session.execute(select(WorkflowEvent).where(WorkflowEvent.instance_id == instance.id)
                             .order_by(WorkflowEvent.id)).scalars()
    tasks = session.execute(select(WorkflowTask).where(WorkflowTask.instance_id == instance.id)
                            .order_by(WorkflowTask.task, WorkflowTask.id)).scalars()
    audit = session.scalars(select(AuditLogEntry).where(AuditLogEntry.target.in_(
        [f"exception {exception_id}", f"workflow {instance.id}"])).order_by(AuditLogEntry.id))
    return {
        "exception": (exception.kind, exception.status, exception.acknowledged_at, exception.acknowledged_by_id,
                      exception.assignee_id, exception.updated_at),
        "instance": (instance.template, instance.template_hash, instance.status, instance.stage, instance.version,
                     instance.initiator_id, instance.created_at, instance.closed_at, instance.ci_id == own.get("ci_id")),
        "state": _state(instance.state, own),
        "tasks": [(t.task, t.name, t.stage, t.role, t.approval, t.ready_at, t.due_at, t.owner_id, t.completed_at,
                   t.completed_by_id, t.completed_by) for t in tasks],
        "events": [(e.at, e.actor_id, e.actor, e.actor_role, e.kind, e.stage, e.task, _normal(e.detail, own), e.note,
                    e.task_kpi, e.ready_at) for e in events],
        # The bulk path names its bulk id where the single action names the comment's event id.
        "audit": [(a.action, a.actor, a.actor_id, a.client, a.target.split()[0], _normal(
            {k: v for k, v in a.detail.items() if k not in ("bulk", "event_id")}, own)) for a in audit],
    }


def test_bulk_acknowledge_writes_the_single_actions_rows(database, templates, people):
    single = _scenario(database, templates, people, 0, "SGL")
    bulk = _scenario(database, templates, people, 1000, "BLK")
    alice = people["alice"]
    with database.write() as session:
        for exception_id in single:
            acknowledge_exception(session, exception_id, alice.audit, "ticket SD-7", now=NOW, templates=templates)
    with database.write() as session:
        result = bulk_triage(session, "acknowledge", Selection(ids=tuple(bulk)), alice.audit, note="ticket SD-7",
                             templates=templates, now=NOW)
    assert result.changed == len(bulk) == 12
    with database.session() as session:
        for one, many in zip(single, bulk, strict=True):
            expected, got = _rows(session, one), _rows(session, many)
            assert got == expected, (one, many)
        stages = {_rows(session, i)["instance"][3] for i in bulk}
        assert stages == {"Execution", "Authorization"}  # both paths taken, so groups differed


def test_a_copied_state_is_the_engines_own(database, templates, people):
    """transplant() against the engine run on the member itself: equal but for task ids and clocks."""
    ids = add_exceptions(database, 2, kind="missing")
    with database.write() as session:
        opened = open_exception_workflows(session, templates, ids, OPENED)
        first, second = (session.get(WorkflowInstance, opened[i]) for i in ids)
        mentioned = mentioned_names(session, first.template_hash)
        assert "exception_kind" in mentioned and "exception_id" not in mentioned
        shapes = [shape_of(i.state, mentioned) for i in (first, second)]
        assert shapes[0].key == shapes[1].key and shapes[0].values != shapes[1].values
        after = []
        for instance in (first, second):
            workflow = load_workflow(instance, session)
            [task] = [t for t in engine.ready_tasks(workflow) if t.task_spec.bpmn_id == "triage"]
            engine.run_task(workflow, task, {"plan": "p"})
            engine.mark_ready(workflow, NOW)
            after.append(engine.serialize(workflow))
        copied = transplant(shapes[0], after[0], shapes[1])
        own = {"exception_id": ids[1]}
        assert _state(copied, own) == _state(after[1], own)
        assert not set(copied["tasks"]) & set(after[0]["tasks"])  # no task id shared with the group's first
        kept = set(shapes[1].state["tasks"])  # its own tasks that the engine kept keep their ids
        assert set(copied["tasks"]) & kept == set(after[1]["tasks"]) & kept != set()


def test_kept_states_are_the_stored_ones(database, templates, people):
    """The states open_exception_workflows keeps for the step that follows (so a bulk acknowledge
    need not read them back) equal the ones read from the database, for every instance it opened
    and none it found running; with and without a CI (its warranty date in the seed)."""
    ids = add_exceptions(database, 3, kind="missing") + add_exceptions(database, 2, kind="duplicate", start=500)
    with database.write() as session:
        builder = _Builder(session, 900)
        ci_id = builder.ci("kept-0", serial=builder.serial(), ci_class="server")
        session.execute(update(ConfigurationItem).where(ConfigurationItem.id == ci_id)
                        .values(warranty_end=date(2027, 3, 1)))
        session.execute(update(AuditException).where(AuditException.id == ids[1]).values(ci_id=ci_id))
        earlier = open_exception_workflows(session, templates, ids[:1], OPENED)
    kept: dict[int, dict] = {}
    with database.write() as session:
        opened = open_exception_workflows(session, templates, ids, NOW, kept)
    assert set(kept) == {opened[i] for i in ids[1:]} and earlier[ids[0]] == opened[ids[0]]
    with database.session() as session:
        for instance_id, state in kept.items():
            assert session.get(WorkflowInstance, instance_id).state == state
    assert any(state["tasks"][state["root"]]["data"].get("warranty_end") == "2027-03-01" for state in kept.values())


def test_a_copys_shape_is_shape_of(database, templates, people):
    """CopyShapes (the group key of states opened just now) gives shape_of's own result for copies
    of the fresh state, and shape_of's for a state that is not one."""
    ids = add_exceptions(database, 2, kind="missing") + add_exceptions(database, 1, kind="duplicate", start=500)
    with database.write() as session:
        builder = _Builder(session, 950)
        ci_id = builder.ci("shape-0", serial=builder.serial(), ci_class="server")
        session.execute(update(AuditException).where(AuditException.id == ids[0]).values(ci_id=ci_id))
        kept: dict[int, dict] = {}
        opened = open_exception_workflows(session, templates, ids, NOW, kept)
        template = templates.get("exception_resolution")
        mentioned = mentioned_names(session, template.sha256)
        copies = CopyShapes(engine.fresh_state(template), mentioned)
        assert copies.parts is not None  # the shipped template's fresh state takes the short way
        shapes = []
        for exception_id in ids:
            state = kept[opened[exception_id]]
            fast, full = copies.shape(state), shape_of(state, mentioned)
            assert (fast.key, fast.order, fast.values, fast.state) == (full.key, full.order, full.values, full.state)
            shapes.append(fast)
        assert shapes[0].key != shapes[2].key and shapes[0].values != shapes[1].values  # kinds apart, subjects own
        moved = dict(kept[opened[ids[1]]])
        moved["tasks"] = {k: dict(v, data=dict(v["data"])) for k, v in moved["tasks"].items()}  # equal, not shared
        not_copy = copies.shape(moved)
        assert not_copy.key == shape_of(moved, mentioned).key == shapes[1].key
