"""Automatic triggers with real reconciliation runs: exceptions open or join workflows, schedules start them once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collector.facts import FactSource, facts_changed, reconcile_all
from collector.models import (AuditException, ConfigurationItem, WorkflowEvent, WorkflowInstance,
                              WorkflowTriggerMark)
from collector.workflows.loading import templates_for
from collector.workflows.triggers import run_scheduled_triggers, trigger_warnings
from tests.collector.reconcile.fleet import NOW, _Builder
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture


def _instances(database, template="exception_resolution") -> list[WorkflowInstance]:
    with database.session() as session:
        return list(session.scalars(select(WorkflowInstance).where(WorkflowInstance.template == template)
                                    .order_by(WorkflowInstance.id)))


@pytest.fixture
def drift_fleet(database) -> dict:
    """Two laptops whose register names a different user than their agents report (two drift exceptions)."""
    ids = {}
    with database.write() as session:
        builder = _Builder(session, 5)
        for n in range(2):
            serial = builder.serial()
            ids[n] = builder.ci(f"LT-DRIFT-{n}", serial=serial, hostname=f"lt-drift-{n}", assigned_user="alice")
            builder.asset(f"lt-drift-{n}", serial=serial, primary_user="bob")
    return ids


def test_every_exception_a_run_opens_opens_one_workflow_and_later_runs_add_none(database, config, drift_fleet,
                                                                                people):
    reconcile_all(database, config, NOW)
    with database.session() as session:
        exceptions = session.scalars(select(AuditException).where(AuditException.open_key.is_not(None))
                                     .order_by(AuditException.id)).all()
        assert [e.kind for e in exceptions] == ["drift", "drift"]
    first = _instances(database)
    assert [(i.exception_id, i.ci_id, i.initiator_id, i.stage) for i in first] == [
        (e.id, e.ci_id, None, "Initiation") for e in exceptions]
    reconcile_all(database, config, NOW + timedelta(hours=1))
    assert [i.id for i in _instances(database)] == [i.id for i in first]
    with database.session() as session:
        marks = session.scalars(select(WorkflowTriggerMark.subject).order_by(WorkflowTriggerMark.instance_id)).all()
        assert marks == [f"exception:{e.id}" for e in exceptions]


def test_a_reopened_exception_joins_the_running_workflow_of_its_ci_and_kind(database, config, drift_fleet, people):
    reconcile_all(database, config, NOW)
    [wf, _other] = _instances(database)
    ci_id = wf.ci_id
    with database.write() as session:  # fixed: the run resolves the exception, the workflow waits for validation
        session.get(ConfigurationItem, ci_id).assigned_user = "bob"
    reconcile_all(database, config, NOW + timedelta(hours=1))
    with database.write() as session:  # and wrong again: a new drift exception for the same CI
        session.get(ConfigurationItem, ci_id).assigned_user = "carol"
    reconcile_all(database, config, NOW + timedelta(hours=2))
    with database.session() as session:
        drifts = session.scalars(select(AuditException).where(AuditException.ci_id == ci_id)
                                 .order_by(AuditException.id)).all()
        assert [(e.kind, e.status) for e in drifts] == [("drift", "resolved"), ("drift", "open")]
        joined = session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "exception_joined")).one()
        assert (joined.instance_id, joined.detail["exception_id"], joined.actor) == (wf.id, drifts[1].id, "stocktake")
    assert len(_instances(database)) == 2


def test_triggers_follow_the_configuration(database, config, drift_fleet, people, caplog):
    off = replace(config, workflow_triggers={"exception": ""})
    reconcile_all(database, off, NOW)
    assert _instances(database) == []
    missing = replace(config, workflow_triggers={"warranty_ending": "no_such_template"})
    assert trigger_warnings(missing, templates_for(missing)) == [
        "workflow trigger 'warranty_ending' names template 'no_such_template', which is not loaded; the trigger is off"]
    # a warning, not a crash; the default renewal trigger runs and finds no subscription to renew
    assert {k: (r.started, r.joined) for k, r in run_scheduled_triggers(database, missing, NOW).items()} == {
        "subscription_renewal": (0, 0)}


def test_an_unmanaged_device_starts_its_own_trigger(database, config, people):
    with database.write() as session:
        device = _Builder(session, 9).device("printer-7", found_by=["arp"], mac="00:1b:a9:00:00:07", ip="10.0.0.7")
    only_devices = replace(config, workflow_triggers={"exception": "", "unmanaged_device": "exception_resolution"})
    reconcile_all(database, only_devices, NOW)
    [wf] = _instances(database)
    with database.session() as session:
        exception = session.get(AuditException, wf.exception_id)
        assert (exception.kind, exception.subject_type, exception.subject_id) == ("unmanaged", "device", device)
        mark = session.get(WorkflowTriggerMark, wf.id)
        assert (mark.trigger, mark.subject) == ("unmanaged_device", f"device:{device}")
    reconcile_all(database, only_devices, NOW + timedelta(hours=1))
    assert len(_instances(database)) == 1


def test_an_agent_seen_for_the_first_time_starts_a_workflow_about_its_ci_once(database, config, laptop, people):
    first_seen = replace(config, workflow_triggers={"exception": "", "agent_first_seen": "ham_deployment"})
    facts_changed(database, first_seen, NOW, asset_ids=[laptop["asset_id"]], source=FactSource.INVENTORY)
    [wf] = _instances(database, "ham_deployment")
    assert wf.ci_id == laptop["ci_id"]
    facts_changed(database, first_seen, NOW + timedelta(minutes=5), asset_ids=[laptop["asset_id"]],
                  source=FactSource.INVENTORY)
    assert len(_instances(database, "ham_deployment")) == 1


def test_schedules_start_one_workflow_per_subject_and_trigger(database, config, people, run_cli,  # noqa: F811
                                                              tmp_path):
    with database.write() as session:
        builder = _Builder(session, 3)
        ending = builder.ci("LT-WARRANTY", serial=builder.serial())
        later = builder.ci("LT-LATER", serial=builder.serial())
        retired = builder.ci("LT-RETIRED", serial=builder.serial(), status="retired")
        for ci_id, days in ((ending, 20), (later, 90), (retired, 5)):
            session.get(ConfigurationItem, ci_id).warranty_end = (NOW + timedelta(days=days)).date()
        stale = builder.ci("LT-STALE", serial=builder.serial())  # nobody changed it for 400 days
    scheduled = replace(config, workflow_triggers={"warranty_ending": "ham_deployment",
                                                   "stale_record": "ham_deployment"})
    # the warranty CIs were just changed (updated_at is the real clock): only LT-STALE is stale
    results = run_scheduled_triggers(database, scheduled, NOW + timedelta(days=40))
    assert (results["warranty_ending"].started, results["stale_record"].started) == (0, 1)  # 20 days: ended by then
    results = run_scheduled_triggers(database, scheduled, NOW)
    assert (results["warranty_ending"].started, results["warranty_ending"].skipped) == (1, 0)
    assert (results["stale_record"].started, results["stale_record"].skipped) == (0, 1)
    with database.session() as session:
        marks = dict(session.execute(select(WorkflowTriggerMark.subject, WorkflowTriggerMark.trigger)).all())
    assert marks == {f"ci:{ending}": "warranty_ending", f"ci:{stale}": "stale_record"}
    assert sorted(i.ci_id for i in _instances(database, "ham_deployment")) == sorted([ending, stale])
    again = run_scheduled_triggers(database, scheduled, NOW + timedelta(days=1))
    assert (again["warranty_ending"].started, again["warranty_ending"].skipped) == (0, 1)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkflowInstance)) == 2
    config_file = tmp_path / "triggers.toml"
    config_file.write_text('[workflow_triggers]\nwarranty_ending = "ham_deployment"\nsubscription_renewal = "x"\n')
    shown = run_cli("--config", str(config_file), "workflow", "triggers", "--run")
    assert "exception              -> exception_resolution" in shown.stdout
    assert "warranty_ending: 0 started, 1 skipped" in shown.stdout
    assert "names template 'x', which is not loaded" in shown.stderr
