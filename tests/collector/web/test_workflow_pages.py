"""Workflow pages through the Flask test client: list, start with the first form, act, refuse, read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.collector.web.conftest import PASSWORD, csrf_from

REQUEST = {"user": "newhire", "department": "Sales", "location": "HQ 2nd floor", "need_by": "2026-12-01",
           "cost": "1200"}


@pytest.fixture
def approver(database, users):
    """A second operator, so an operator's request has someone else to approve it."""
    from collector.access.users import create_user

    with database.write() as session:
        return create_user(session, "olga", "operator", PASSWORD).id


def _count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _start(client, token, ci_id, **values):
    return client.post("/workflows", data={"csrf_token": token, "template": "ham_deployment", "ci_id": str(ci_id),
                                           **REQUEST, **values})


def test_start_page_shows_the_first_form_and_a_bad_form_stores_nothing(client, login, users, fleet, database):
    from collector.models import AuditLogEntry, WorkflowInstance

    token = login("operator")
    page = client.get(f"/workflows/new?template=ham_deployment&ci_id={fleet.ci_id}").get_data(as_text=True)
    assert 'name="need_by"' in page and 'type="date"' in page and "Request: who, where, by when, cost" in page
    before = _count(database, WorkflowInstance), _count(database, AuditLogEntry)
    refused = _start(client, token, fleet.ci_id, cost="1,200", need_by="2026-02-30")
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="start-cost-error">must be a whole number<', html)
    assert re.search(r'id="start-need_by-error">must be a date, YYYY-MM-DD<', html)
    assert 'value="newhire"' in html and 'value="1,200"' in html and 'value="HQ 2nd floor"' in html
    assert (_count(database, WorkflowInstance), _count(database, AuditLogEntry)) == before


def test_operator_starts_another_approves_and_the_auditor_only_reads(client, login, users, approver, fleet,
                                                                   database):
    from collector.models import WorkflowInstance

    token = login("operator")
    started = _start(client, token, fleet.ci_id)
    assert started.status_code == 303, started.get_data(as_text=True)
    wf = int(started.headers["Location"].split("/workflows/")[1].split("?")[0])
    page = client.get(f"/workflows/{wf}").get_data(as_text=True)
    assert "Approve the cost" in page and "nobody approves their own request" in page.lower()
    assert 'class="lane current" data-lane="Authorization"' in page
    assert 'data-id="approve_cost"' in page and re.search(r'class="node task userTask ready" data-id="approve_cost"',
                                                          page)
    # The requester may not approve: the form is not offered, and a forged post is refused with nothing stored.
    refused = client.post(f"/workflows/{wf}/tasks/approve_cost", data={"csrf_token": token, "decision": "approve"})
    assert refused.status_code == 403 and "nobody approves their own request" in refused.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    token = _login_as(client, "olga")
    mine = client.get("/workflows/mine").get_data(as_text=True)
    # Hers: the approval, and the triage of the fleet's two exceptions (workflows Stocktake opened: any
    # operator's): the drift, and the unmanaged asset its first report raised (opened by the trigger).
    assert f"/workflows/{wf}#task-approve_cost" in mine and re.search(r'id="my-task-count">3<', mine)
    assert f"/workflows/{fleet.workflow_id}#task-triage" in mine
    rejected = client.post(f"/workflows/{wf}/tasks/approve_cost", data={"csrf_token": token, "decision": "reject"})
    assert rejected.status_code == 422
    assert re.search(r'id="approve_cost-reason-error">is required to reject<', rejected.get_data(as_text=True))
    approved = client.post(f"/workflows/{wf}/tasks/approve_cost",
                           data={"csrf_token": token, "decision": "approve", "version": "2"})
    assert approved.status_code == 303
    stale = client.post(f"/workflows/{wf}/tasks/deploy", data={"csrf_token": token, "version": "2"})
    assert stale.status_code == 409 and "changed meanwhile" in stale.get_data(as_text=True)
    with database.session() as session:
        instance = session.get(WorkflowInstance, wf)
        assert (instance.stage, instance.version) == ("Execution", 3)
    client.post("/logout", data={"csrf_token": token})
    login("auditor")
    page = client.get(f"/workflows/{wf}").get_data(as_text=True)
    assert "Deploy: assign the CI to the user" in page and "olga" in page
    assert not re.search(r'<form method="post" action="/workflows', page)
    listed = client.get(f"/workflows?status=running&stage=Execution&ci_id={fleet.ci_id}").get_data(as_text=True)
    assert f'href="/workflows/{wf}"' in listed
    assert f'href="/workflows/{wf}"' not in client.get("/workflows?stage=Closure").get_data(as_text=True)


def _login_as(client, username: str) -> str:
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 303
    return csrf_from(client.get("/").get_data(as_text=True))


def test_kpi_page_draws_a_trend_per_weekly_series(client, login, users, fleet, database):
    login("auditor")
    page = client.get("/kpis").get_data(as_text=True)
    assert "CI records complete" in page
    assert page.count('<figure class="chart trend"') >= 3  # opened, closed, open per kind
    assert "Audit exceptions: open" in page and "drift: " in page
    # The report's files, each one's hash in the audit log.
    from collector.models import AuditLogEntry

    for fmt, magic in (("csv", "\ufeff".encode()), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        assert f'href="/exports/kpis.{fmt}"' in page
        response = client.get(f"/exports/kpis.{fmt}")
        body = response.data
        response.close()  # the file's spool
        assert response.status_code == 200 and body.startswith(magic), (fmt, body[:40])
    with database.session() as session:
        audited = session.scalars(select(AuditLogEntry.target).where(AuditLogEntry.action == "export")).all()
    assert sorted(audited) == ["kpis.csv", "kpis.pdf", "kpis.xlsx"]


def _step(client, token, wf, task, **data):
    return client.post(f"/workflows/{wf}/tasks/{task}", data={"csrf_token": token, **data})


def test_admin_overrides_a_failing_validation_with_a_reason_and_comments_are_kept(client, login, users, fleet,
                                                                                  database):
    from collector.models import WorkflowEvent, WorkflowInstance

    token = login("admin")
    started = _start(client, token, fleet.ci_id, cost="100")  # below 500: approved by the policy itself
    wf = int(started.headers["Location"].split("/workflows/")[1].split("?")[0])
    assert _step(client, token, wf, "deploy").status_code == 303
    assert _step(client, token, wf, "document", handover="desk 2.14", delivered_on="2026-11-25").status_code == 303
    page = client.get(f"/workflows/{wf}").get_data(as_text=True)
    assert 'class="evidence failing" id="evidence-validate"' in page and "Override and complete" in page
    blank = _step(client, token, wf, "validate", override="1", override_reason="  ")
    assert blank.status_code == 422 and "must be 1-2000 characters" in blank.get_data(as_text=True)
    done = _step(client, token, wf, "validate", override="1", override_reason="agent offline; checked by phone")
    assert done.status_code == 303
    commented = client.post(f"/workflows/{wf}/comments", data={"csrf_token": token, "body": "<b>handed over</b>"})
    assert commented.status_code == 303
    empty = client.post(f"/workflows/{wf}/comments", data={"csrf_token": token, "body": " "})
    assert empty.status_code == 422
    page = client.get(f"/workflows/{wf}").get_data(as_text=True)
    assert "Reason: agent offline; checked by phone" in page and "&lt;b&gt;handed over&lt;/b&gt;" in page
    with database.session() as session:
        assert session.get(WorkflowInstance, wf).stage == "Closure"
        kinds = session.scalars(select(WorkflowEvent.kind).where(WorkflowEvent.instance_id == wf)).all()
    assert kinds.count("override") == 1 and kinds.count("comment") == 1


def test_operator_sees_no_override_and_links_lead_from_asset_and_exception(client, login, users, fleet):
    token = login("operator")
    asset = client.get(f"/assets/{fleet.asset_id}").get_data(as_text=True)
    assert f'href="/workflows?ci_id={fleet.ci_id}"' in asset and f'href="/workflows/new?ci_id={fleet.ci_id}"' in asset
    exception = client.get(f"/exceptions/{fleet.exception_id}").get_data(as_text=True)
    assert f'href="/workflows?exception_id={fleet.exception_id}"' in exception
    assert f"exception_id={fleet.exception_id}" in exception and "template=exception_resolution" in exception
    listed = client.get(f"/workflows?exception_id={fleet.exception_id}").get_data(as_text=True)
    assert f'href="/workflows/{fleet.workflow_id}"' in listed
    assert client.get("/workflows?sort=sideways").status_code == 422
    assert client.get("/workflows?ci_id=abc").status_code == 422
    wf = int(_start(client, token, fleet.ci_id, cost="100").headers["Location"].split("/workflows/")[1].split("?")[0])
    _step(client, token, wf, "deploy")
    _step(client, token, wf, "document", handover="desk", delivered_on="2026-11-25")
    page = client.get(f"/workflows/{wf}").get_data(as_text=True)
    assert "Override and complete" not in page and 'name="override_reason"' not in page
    forged = _step(client, token, wf, "validate", override="1", override_reason="trust me")
    assert forged.status_code == 403 and "only an admin may override" in forged.get_data(as_text=True)
