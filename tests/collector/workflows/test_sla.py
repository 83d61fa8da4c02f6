"""SLA breaches: found once per task, recorded as events and audit entries, delivered by email and webhook."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import Actor, verify_chain
from collector.access.users import set_email
from collector.models import AuditException, AuditLogEntry, Notification, WorkflowEvent, WorkflowTask
from collector.notify import deliver_due
from collector.workflows.loading import SHIPPED_DIR, load_templates
from collector.workflows.service import complete_task, open_exception_workflow
from collector.workflows.sla import breach_job, list_breaches
from tests.collector.notify.conftest import receiver, smtp_server  # noqa: F401 - fixtures
from tests.collector.test_cli import run_cli  # noqa: F401 - the fixture
from tests.collector.reconcile.fleet import NOW


@pytest.fixture
def sla_config(config, receiver, smtp_server):  # noqa: F811 - fixtures
    from tests.collector.notify.conftest import HOOK_SECRET

    return replace(config, smtp_host="127.0.0.1", smtp_port=smtp_server[1], smtp_starttls=False,
                   mail_from="stocktake@example.org", webhook_urls=(("ops", receiver.url),),
                   webhook_secrets=(("ops", HOOK_SECRET),), notify_timeout_s=5,
                   workflow_sla_webhooks="ops").validate()


def _exception(database, key="sla:1", kind="drift") -> int:
    with database.write() as session:
        exception = AuditException(kind=kind, status="open", open_key=key, summary="register says alice", evidence={})
        session.add(exception)
        session.flush()
        return exception.id


def _emails(database, people, **addresses):
    with database.write() as session:
        for name, address in addresses.items():
            set_email(session, name, address, Actor(None, None, "test"))


def test_a_breach_is_recorded_and_notified_once_by_email_and_signed_webhook(database, sla_config, templates, people,
                                                                            receiver, smtp_server):  # noqa: F811
    _emails(database, people, alice="alice@example.org", root="root@example.org", audrey="audrey@example.org")
    exception_id = _exception(database)
    with database.write() as session:
        wf = open_exception_workflow(session, templates, exception_id, NOW).id
    with database.session() as session:
        task = session.scalars(select(WorkflowTask).where(WorkflowTask.instance_id == wf)).one()
        assert (task.task, task.role, task.due_at) == ("triage", "operator", NOW + timedelta(hours=24))
    assert breach_job(database, sla_config, NOW + timedelta(hours=23, minutes=59)) == 0
    assert breach_job(database, sla_config, NOW + timedelta(hours=25)) == 1
    assert breach_job(database, sla_config, NOW + timedelta(hours=26)) == 0  # once per task
    with database.session() as session:
        events = session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "sla_breached")).all()
        assert [(e.instance_id, e.task, e.actor) for e in events] == [(wf, "triage", "stocktake")]
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)
                              .where(AuditLogEntry.action == "workflow_sla_breached")) == 1
        assert verify_chain(session).ok
        # operators and admins who have an address; bob has none, audrey (auditor) may not act
        assert sorted(session.scalars(select(Notification.recipient))) == ["alice@example.org", "ops",
                                                                          "root@example.org"]
    result = deliver_due(database, sla_config, NOW + timedelta(hours=26))
    assert (result.sent, result.failed) == (3, 0)
    sink = smtp_server[0]
    assert sorted(m["To"] for m in sink.messages) == ["alice@example.org", "root@example.org"]
    assert sink.messages[0]["Subject"].startswith(f"SLA breached: workflow {wf} (exception_resolution)")
    assert receiver.bad_signatures == 0
    assert [(b["data"]["event"], b["data"]["workflow"], b["data"]["task"]) for b in receiver.received] == [
        ("sla_breached", wf, "triage")]


def test_done_tasks_and_closed_workflows_do_not_breach(database, sla_config, templates, people, clock):
    alice = people["alice"]
    first, second = _exception(database), _exception(database, "sla:2")
    with database.write() as session:
        done = open_exception_workflow(session, templates, first, NOW).id
        waiting = open_exception_workflow(session, templates, second, NOW).id
    with database.write() as session:  # drift is auto-approved: Execution has no SLA
        complete_task(session, templates, done, "triage", alice, {"plan": "call bob"}, now=NOW + timedelta(hours=1))
    assert breach_job(database, sla_config, NOW + timedelta(days=5)) == 1
    with database.session() as session:
        items, total = list_breaches(session)
        assert total == 1 and items[0]["workflow"] == waiting and items[0]["completed_at"] is None
        rows = session.scalars(select(WorkflowTask).where(WorkflowTask.instance_id == done)
                               .order_by(WorkflowTask.id)).all()
        assert [(r.task, r.completed_by, r.due_at is None) for r in rows] == [("triage", "alice", False),
                                                                             ("fix", None, True)]
    with database.write() as session:
        complete_task(session, templates, waiting, "triage", alice, {"plan": "late"}, now=NOW + timedelta(days=6))
    with database.session() as session:
        assert list_breaches(session, open_only=True) == ([], 0)
        assert list_breaches(session)[0][0]["completed_by"] == "alice"


def test_breaches_through_the_api_and_the_cli(client, database, config, templates, people, run_cli):  # noqa: F811
    from collector.access.api_tokens import create_api_token

    exception_id = _exception(database)
    with database.write() as session:
        wf = open_exception_workflow(session, templates, exception_id, NOW).id
        token = create_api_token(session, "audrey", "auditor").token
    assert "1 new breaches" in run_cli("workflow", "sla-check").stdout  # NOW is long past: due a day later
    listed = run_cli("workflow", "breaches", "--open").stdout
    assert f"workflow {wf:<7} exception_resolution   triage" in listed and "1 breaches" in listed
    headers = {"Authorization": f"Bearer {token}"}
    page = client.get("/api/v1/workflows/breaches?open=true", headers=headers).get_json()
    assert page["total"] == 1 and page["items"][0]["workflow"] == wf and page["items"][0]["role"] == "operator"
    bad = client.get("/api/v1/workflows/breaches?open=maybe", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["fields"][0]["field"] == "open"
    assert json.loads(run_cli("workflow", "breaches", "--json").stdout)["total"] == 1


@pytest.mark.parametrize("where, value, reason", [
    ("lane", "soon", "sla_hours 'soon' is not a number of hours"),
    ("task", "0", "sla_hours '0' must be from 0.01 to 8760 hours"),
    ("task", "nan", "must be from 0.01 to 8760 hours"),
])
def test_a_bad_sla_is_refused_with_file_and_line(tmp_path, where, value, reason):
    for suffix in (".bpmn", ".dmn"):
        shutil.copy(SHIPPED_DIR / f"exception_resolution{suffix}", tmp_path / f"exception_resolution{suffix}")
    path = tmp_path / "exception_resolution.bpmn"
    text = path.read_text()
    if where == "lane":
        text = text.replace('name="sla_hours" value="48"', f'name="sla_hours" value="{value}"')
    else:
        text = text.replace('<camunda:property name="check" value="exception_resolved"/>',
                            f'<camunda:property name="check" value="exception_resolved"/>'
                            f'<camunda:property name="sla_hours" value="{value}"/>')
    path.write_text(text)
    loaded = load_templates([tmp_path])
    assert loaded.get("exception_resolution") is None
    [error] = loaded.errors
    line = next(i for i, l in enumerate(text.splitlines(), 1) if f'value="{value}"' in l)
    assert error.file == str(path) and reason in error.reason
    # the line of the lane or task element that carries the property, just above it
    assert error.line is not None and 0 < line - error.line <= 4
