"""HAM retirement and disposal end to end: approval, data-wipe evidence, "retired" then
"disposed", validated by the machine having stopped reporting; the disposal lead time from events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from collector.errors import Conflict, Forbidden, InvalidInput
from collector.models import ConfigurationItem, WorkflowEvent
from collector.reconcile.service import run_full
from tests.collector.workflows.helpers import (act, agent_reports, ci_row, cmdb_changes, event_kinds, evidence_of,
                                               ready, snapshot, start)

WIPE = {"wipe_method": "nist_800_88_purge", "wipe_certificate": "WC-2026-118", "wiped_by": "bob",
        "wiped_on": "2026-11-22"}
DISPOSAL = {"disposal_vendor": "GreenRecycle SA", "disposal_certificate": "GR-99812", "disposed_on": "2026-11-29"}


@pytest.fixture
def deployed(database, laptop) -> dict:
    with database.write() as session:
        ci = session.get(ConfigurationItem, laptop["ci_id"])
        ci.status, ci.assigned_user = "deployed", "olduser"
    return laptop


def _approved(database, templates, people, ci_id, clock) -> int:
    wf = start(database, templates, "ham_retirement", people["alice"], clock(), ci_id=ci_id)
    act(database, templates, wf, "request", people["alice"], {"reason": "five years old, battery swollen"}, clock())
    act(database, templates, wf, "approve_retirement", people["root"], {"decision": "approve"}, clock())
    return wf


def test_retirement_to_disposal_validated_by_silence(database, config, templates, people, deployed, clock):
    alice, bob = people["alice"], people["bob"]
    run_full(database, config, clock())
    wf = start(database, templates, "ham_retirement", alice, clock(), ci_id=deployed["ci_id"])
    act(database, templates, wf, "request", alice, {"reason": "five years old, battery swollen"}, clock())
    with pytest.raises(Forbidden, match="needs the admin role"):
        act(database, templates, wf, "approve_retirement", bob, {"decision": "approve"}, clock())
    approved_at = clock()
    act(database, templates, wf, "approve_retirement", people["root"], {"decision": "approve"}, approved_at)
    act(database, templates, wf, "wipe", bob, WIPE, clock())
    assert (ci_row(database, deployed["ci_id"])["status"], ci_row(database, deployed["ci_id"])["assigned_user"]) == (
        "retired", None)
    with pytest.raises(Conflict, match=r"task 'validate' \(Validation\) is not ready"):
        act(database, templates, wf, "validate", bob, now=clock())
    disposed_at = clock()
    act(database, templates, wf, "dispose", bob, DISPOSAL, disposed_at)
    assert [(c["task"], c["before"], c["after"]) for c in cmdb_changes(database, wf)] == [
        ("wipe", {"status": "deployed", "assigned_user": "olduser"}, {"status": "retired", "assigned_user": None}),
        ("dispose", {"status": "retired"}, {"status": "disposed"})]
    act(database, templates, wf, "document", bob, {"record": "certificates in the asset binder"}, clock())
    act(database, templates, wf, "validate", bob, now=clock())
    evidence = evidence_of(database, wf)["evidence"]
    assert evidence.startswith("stopped reporting: last seen 2026-11-20T12:00:00+00:00 (lt-new-1), before the "
                               "retirement at ")
    act(database, templates, wf, "close", alice, now=clock())
    # Disposal lead time from the events alone: the tasks carrying kpi properties.
    kpi_tasks = {task: info["properties"]["kpi"] for task, info in templates.get("ham_retirement").tasks.items()
                 if "kpi" in info["properties"]}
    assert kpi_tasks == {"approve_retirement": "retirement_approved", "dispose": "disposed"}
    with database.session() as session:
        marks = dict(session.execute(select(WorkflowEvent.task, WorkflowEvent.at).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task.in_(kpi_tasks),
            WorkflowEvent.kind.in_(("approved", "task_completed")))).all())
        wiped = session.scalars(select(WorkflowEvent.detail).where(
            WorkflowEvent.instance_id == wf, WorkflowEvent.task == "wipe",
            WorkflowEvent.kind == "task_completed")).one()
    assert marks["dispose"] - marks["approve_retirement"] == disposed_at - approved_at
    assert wiped["fields"] == WIPE


def test_a_machine_still_reporting_after_retirement_fails_validation(database, config, templates, people, deployed,
                                                                   clock):
    bob, root = people["bob"], people["root"]
    run_full(database, config, clock())
    wf = _approved(database, templates, people, deployed["ci_id"], clock)
    act(database, templates, wf, "wipe", bob, WIPE, clock())
    act(database, templates, wf, "dispose", bob, DISPOSAL, clock())
    act(database, templates, wf, "document", bob, {"record": "filed"}, clock())
    agent_reports(database, deployed["asset_id"], "olduser", clock())  # it was never wiped, evidently
    before = snapshot(database, wf)
    with pytest.raises(Conflict, match=r"validation fails: still reporting: agent on lt-new-1 reported at .*, after "
                                       r"the retirement at "):
        act(database, templates, wf, "validate", bob, now=clock())
    with pytest.raises(Forbidden, match="only an admin may override"):
        act(database, templates, wf, "validate", bob, now=clock(), override_reason="it is in the shredder queue")
    assert snapshot(database, wf) == before
    act(database, templates, wf, "validate", root, now=clock(),
        override_reason="agent reinstalled on a spare by mistake")
    assert event_kinds(database, wf)[-3:] == ["override", "task_completed", "stage_entered"]


def test_rejection_returns_to_the_initiator(database, templates, people, deployed, clock):
    alice, root = people["alice"], people["root"]
    wf = start(database, templates, "ham_retirement", alice, clock(), ci_id=deployed["ci_id"])
    act(database, templates, wf, "request", alice, {"reason": "slow"}, clock())
    act(database, templates, wf, "approve_retirement", root, {"decision": "reject", "reason": "upgrade the RAM"},
        clock())
    assert ready(database, wf) == ["resubmit"]
    act(database, templates, wf, "resubmit", alice, {"reason": "slow, and the RAM is soldered"}, clock())
    assert ready(database, wf) == ["approve_retirement"]
    assert ci_row(database, deployed["ci_id"])["status"] == "deployed"


def test_illegal_moves_and_bad_input_change_nothing(database, templates, people, deployed, clock):
    bob, audrey = people["bob"], people["audrey"]
    wf = _approved(database, templates, people, deployed["ci_id"], clock)
    before, row = snapshot(database, wf), ci_row(database, deployed["ci_id"])
    with pytest.raises(Conflict, match=r"task 'dispose' \(Execution\) is not ready: .* \(ready: wipe\)"):
        act(database, templates, wf, "dispose", bob, DISPOSAL, clock())
    with pytest.raises(Forbidden, match="auditors"):
        act(database, templates, wf, "wipe", audrey, WIPE, clock())
    with pytest.raises(InvalidInput) as refused:
        act(database, templates, wf, "wipe", bob, {**WIPE, "wipe_method": "shred", "wiped_on": "yesterday",
                                                   "wipe_certificate": ""}, clock())
    assert sorted((f.field, f.message) for f in refused.value.fields) == [
        ("wipe_certificate", "is required"),
        ("wipe_method", "must be one of nist_800_88_clear, nist_800_88_purge, nist_800_88_destroy"),
        ("wiped_on", "must be a date, YYYY-MM-DD")]
    assert snapshot(database, wf) == before and ci_row(database, deployed["ci_id"]) == row
    with database.write() as session:  # disposed of meanwhile, outside this workflow
        session.get(ConfigurationItem, deployed["ci_id"]).status = "disposed"
    with pytest.raises(Conflict, match=f"CI {deployed['ci_id']} is already disposed"):
        act(database, templates, wf, "wipe", bob, WIPE, clock())
    assert snapshot(database, wf) == before
