"""Workflows in a real browser (Debian chromium through Playwright) against a live server.

New-hire provisioning from request to closure: an operator requests from the asset's page
(a bad form first: errors beside the fields, values kept, nothing stored), the approver the
DMN policy routes to approves, execution and documentation, validation waits for the agent's
next inventory report (sent through the real API) and a reconciliation run started from the
web, closure. The diagram marks the stage; the auditor sees no control. Then a rejection, the
reason shown to the initiator, and a resubmission below the auto-approval threshold.
One browser and one server for the module.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from tests.collector.web.conftest import CHROMIUM, PASSWORD

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
NEED_BY = (date.today() + timedelta(days=14)).isoformat()


@dataclass(frozen=True)
class Laptop:
    ci_id: int
    asset_id: int
    agent: object
    report: dict


@pytest.fixture
def olga(database, users):
    """A second operator: the approver an operator's 1,200 request is routed to."""
    from collector.access.users import create_user

    with database.write() as session:
        return create_user(session, "olga", "operator", PASSWORD).id


def _send(client, agent, report) -> None:
    body = gzip.compress(json.dumps(report).encode())
    response = client.post("/api/v1/inventory", data=body, content_type="application/json",
                           headers={**agent.headers, "Content-Encoding": "gzip"})
    assert response.status_code in (200, 201), response.get_data(as_text=True)


@pytest.fixture
def laptop(client, database, make_agent, reports) -> Laptop:
    """An in-stock CI in the register and the agent on that machine, whose report (through the API)
    reconciliation matches to it; its user so far is alice."""
    from collector.models import Asset
    from collector.models.cmdb import ConfigurationItem

    agent = make_agent("lt-new-1")
    report = reports.report(agent.agent_id, software_count=3, host_seed=42)
    host = report["host"]
    with database.write() as session:
        ci = ConfigurationItem(asset_tag="LT-NEW-1", name="New-hire laptop", serial=host["serial"],
                               vendor=host["vendor"], model=host["model"], hostname=host["hostname"],
                               status="in_stock", ci_class="computer")
        session.add(ci)
        session.flush()
        ci_id = ci.id
    _send(client, agent, report)
    with database.session() as session:
        asset_id = session.scalar(select(Asset.id))
    return Laptop(ci_id, asset_id, agent, report)


def _instances(database) -> int:
    from collector.models import WorkflowInstance

    with database.session() as session:
        return session.scalar(select(func.count()).select_from(WorkflowInstance))


def _field(page, label: str):
    """The form control labelled ``label`` (a required field's label goes on with "(required)")."""
    return page.get_by_label(re.compile("^" + re.escape(label)))


def _complete(page, task_name: str) -> None:
    page.get_by_role("button", name=f"Complete: {task_name}").click()


def _request(page, cost: str) -> None:
    _field(page, "New user (login name)").fill("newhire")
    _field(page, "Department").fill("Sales")
    _field(page, "Location").fill("HQ 2nd floor")
    _field(page, "Needed by").fill(NEED_BY)
    _field(page, "Cost").fill(cost)
    page.get_by_role("button", name="Start").click()


def _start_from_asset(page, laptop: Laptop) -> None:
    page.goto(f"/assets/{laptop.asset_id}")
    page.locator("#ci-workflows").get_by_role("link", name="Start a workflow").click()
    page.get_by_label("Template", exact=True).select_option("ham_deployment")
    page.get_by_role("button", name="Show its first form").click()


def _on_time(page) -> tuple[str, str]:
    """The KPI page's on-time provisioning figures: (delivered, on time) overall."""
    page.goto("/kpis")
    rows = dict(r.split("\t", 1) for r in page.locator("section[aria-labelledby=kpi-more-h] tbody tr").all_inner_texts())
    return (rows.get("on time provisioning · overall · delivered", "0"),
            rows.get("on time provisioning · overall · on time", "0"))


def _assert_fits(page) -> None:
    """Nothing pushes the page sideways (wide tables and the diagram scroll in their own box),
    and no cell is squeezed into a letter-per-line column."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url
    squeezed = page.evaluate("""[...document.querySelectorAll('main th, main td, main dd, main label, main button')]
        .filter(e => e.innerText.trim().length > 3 && e.getBoundingClientRect().width > 0
                     && e.getBoundingClientRect().width < 28).map(e => e.innerText)""")
    assert squeezed == [], (page.url, squeezed)


def test_new_hire_provisioning_end_to_end(open_as, users, olga, laptop, client, database, shots):
    from collector.models import WorkflowInstance
    from collector.models.cmdb import ConfigurationItem

    operator = open_as("operator", LAPTOP)
    assert _on_time(operator) == ("0", "0")
    _start_from_asset(operator, laptop)
    # A bad form: refused beside the field, everything typed still there, nothing stored.
    _request(operator, "1,200")
    assert operator.locator("#start-cost-error").inner_text() == "must be a whole number"
    assert _field(operator, "New user (login name)").input_value() == "newhire"
    assert _field(operator, "Needed by").input_value() == NEED_BY
    assert _field(operator, "Cost").input_value() == "1,200"
    assert _instances(database) == 0
    _field(operator, "Cost").fill("1200")
    operator.get_by_role("button", name="Start").click()
    assert operator.get_by_role("status").inner_text() == "Workflow started."
    assert operator.locator("#workflow-stage").inner_text() == "Authorization"
    assert operator.locator("#task-approve_cost .waiting").inner_text() == "Nobody approves their own request."
    workflow_url = operator.url.split("?")[0]

    # The DMN table routes 1,200 for a computer to an operator: olga, not the requester.
    approver = open_as("olga", LAPTOP)
    assert approver.locator("#my-task-count").inner_text() == "1"
    approver.get_by_role("link", name=re.compile("My tasks")).click()
    approver.get_by_role("link", name="Approve the cost").click()
    _field(approver, "Decision").select_option("approve")
    _complete(approver, "Approve the cost")
    assert approver.locator("#workflow-stage").inner_text() == "Execution"

    operator.goto(workflow_url)
    _complete(operator, "Deploy: assign the CI to the user")
    _field(operator, "Handover record (who received what, where)").fill("given to newhire at desk 2.14")
    _field(operator, "Delivered on").fill(date.today().isoformat())
    _complete(operator, "Document the handover")
    assert operator.locator("#workflow-stage").inner_text() == "Validation"
    assert operator.locator(".lane.current").get_attribute("data-lane") == "Validation"
    assert operator.locator("svg.bpmn .ready").get_attribute("data-id") == "validate"
    assert operator.locator("svg.bpmn .done[data-id=deploy]").count() == 1
    # The stylesheet colours the current lane (served locally, allowed by the CSP).
    fills = operator.evaluate(
        "[...document.querySelectorAll('svg.bpmn .lane rect')].map(r => getComputedStyle(r).fill)")
    assert len(set(fills)) == 2
    # The agent still reports alice: the evidence says so, and validation refuses to pass.
    assert "shows user alice, not newhire" in operator.locator("#evidence-validate").inner_text()
    _complete(operator, "Validate: the user shows in the agent's report")
    assert operator.locator("#workflow-error").inner_text().startswith("validation fails: ")
    assert operator.locator("#workflow-stage").inner_text() == "Validation"
    shots.take(operator, "workflow-validation-1280.png", full_page=True)

    # The agent's next report names the new user; a reconciliation run from the web matches it.
    _send(client, laptop.agent, {**laptop.report, "report_id": str(uuid.uuid4()),
                                 "collected_at": datetime.now(timezone.utc).isoformat(),
                                 "users": {"logged_in": ["newhire"], "primary": "newhire"}})
    operator.get_by_role("link", name="Reconciliation").click()
    operator.get_by_role("button", name="Run a full reconciliation now").click()
    assert re.match(r"Reconciliation run #\d+ finished: 1 subject checked, 1 matched to a CI, 0 not matched; ",
                    operator.get_by_role("status").inner_text())
    operator.goto(workflow_url)
    assert operator.locator("#evidence-validate").inner_text().startswith("Evidence now: passes.")
    _complete(operator, "Validate: the user shows in the agent's report")
    _complete(operator, "Close")
    assert operator.locator("#workflow-status").inner_text() == "closed"
    history = operator.locator(".history-table").inner_text()
    assert "approved: Approve the cost" in history and "olga" in history
    change = operator.locator("tr.cmdb_change table.change").inner_text()
    assert re.search(r"status\s+in_stock\s+deployed", change) and re.search(r"assigned user\s+—\s+newhire", change)
    assert "agent on" in operator.locator("tr.task_completed .evidence.passed").inner_text()
    with database.session() as session:
        instance = session.scalars(select(WorkflowInstance)).one()
        assert (instance.status, instance.need_by.isoformat()) == ("closed", NEED_BY)
        ci = session.get(ConfigurationItem, laptop.ci_id)
        assert (ci.status, ci.assigned_user) == ("deployed", "newhire")

    # The auditor reads all of it and is offered nothing; a forged post is refused.
    auditor = open_as("auditor", PHONE)
    auditor.goto(workflow_url)
    assert auditor.locator("svg.bpmn").count() == 1 and "Approve the cost" in auditor.locator("main").inner_text()
    assert auditor.locator("main form").count() == 0 and auditor.locator("main button").count() == 0
    token = auditor.locator(".whoami input[name=csrf_token]").get_attribute("value")
    forged = auditor.request.post(f"{workflow_url}/comments", form={"csrf_token": token, "body": "x"},
                                  max_redirects=0)
    assert forged.status == 403
    # Delivered before its need-by date: the on-time provisioning KPI moves.
    assert _on_time(auditor) == ("1", "1")
    for path in (workflow_url, "/workflows", "/kpis", "/workflows/mine"):
        auditor.goto(path)
        _assert_fits(auditor)
    auditor.goto(workflow_url)
    shots.take(auditor, "workflow-closed-390.png", full_page=True)


def test_rejection_returns_to_the_initiator_who_resubmits(open_as, users, laptop, database, shots):
    from collector.models import WorkflowEvent

    operator = open_as("operator", PHONE)
    _start_from_asset(operator, laptop)
    _request(operator, "6000")
    workflow_url = operator.url.split("?")[0]
    assert "for admin" in operator.locator("#task-approve_cost").inner_text()
    _assert_fits(operator)

    admin = open_as("admin", LAPTOP)
    admin.goto(workflow_url)
    _field(admin, "Decision").select_option("reject")
    _complete(admin, "Approve the cost")
    # No reason: refused beside the reason field, the decision still chosen, nothing stored.
    assert admin.locator("#approve_cost-reason-error").inner_text() == "is required to reject"
    assert _field(admin, "Decision").input_value() == "reject"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkflowEvent)
                              .where(WorkflowEvent.kind == "rejected")) == 0
    _field(admin, "Reason (required to reject)").fill("use a refurbished one")
    _complete(admin, "Approve the cost")
    assert admin.locator("#workflow-stage").inner_text() == "Initiation"

    operator.goto(workflow_url)
    assert "Reason: use a refurbished one" in operator.locator("tr.rejected").inner_text()
    assert operator.locator(".lane.current").get_attribute("data-lane") == "Initiation"
    _field(operator, "Cost").fill("300")
    _complete(operator, "Revise and resubmit")
    # Below 500 the policy approves by itself: straight on to execution.
    assert operator.locator("#workflow-stage").inner_text() == "Execution"
    assert "resubmitted: Revise and resubmit" in operator.locator(".history-table").inner_text()
    _assert_fits(operator)
    shots.take(operator, "workflow-resubmitted-390.png", full_page=True)

