"""SAM workflows on the web pages: started with no CI, a mistyped product named beside its field,
the licence key never on a page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.collector.workflows.conftest import FIREFOX
from tests.collector.workflows.helpers import agent_report

REQUEST = {"template": "sam_acquisition", "publisher": "Mozilla", "product": "Firefox", "quantity": "5",
           "metric": "device", "cost": "100", "vendor": "Mozilla", "term_start": "2026-12-01",
           "term_end": "2027-11-30"}
KEY = "WEB-KEY-7777-8888-9999"


def test_a_sam_acquisition_on_the_web_pages(client, login, users, database, reports, make_agent):
    from collector.models import WorkflowInstance
    from tests.collector.reconcile.fleet import NOW

    agent = make_agent("host-00001")
    agent_report(database, reports, {"agent_id": agent.agent_id, "seed": 1}, NOW, [FIREFOX])
    token = login("operator")
    typo = client.post("/workflows", data={"csrf_token": token, **REQUEST, "product": "Firefx"})
    html = typo.get_data(as_text=True)
    assert typo.status_code == 422
    assert re.search(r"id=\"start-product-error\">no agent reports a product named (&#39;|')Firefx(&#39;|'); "
                     r"close matches: Firefox<", html), html
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkflowInstance)) == 0
    started = client.post("/workflows", data={"csrf_token": token, **REQUEST})
    assert started.status_code == 303, started.get_data(as_text=True)
    wf = int(started.headers["Location"].split("/workflows/")[1].split("?")[0])
    for task, data in (("purchase", {"po_number": "PO-1", "contract_id": "C-1"}), ("register", {"license_key": KEY})):
        done = client.post(f"/workflows/{wf}/tasks/{task}", data={"csrf_token": token, **data})
        assert done.status_code == 303, done.get_data(as_text=True)
    page = client.get(f"/workflows/{wf}").get_data(as_text=True)
    assert "Validate: the entitlement record is complete" in page and KEY not in page
