"""The web UI in a real browser: Playwright driving Debian's chromium against a live server.

One browser and one server per module; each test seeds its own data (the tables are emptied
after every test). Route lists come from Flask's URL map, so a route added later is covered
(and fails here until it has a role rule). Screenshots of the main pages go to
``STOCKTAKE_SCREENSHOTS`` for review when that names a folder.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import time

import pytest
from sqlalchemy import select

from tests.collector.web.conftest import CHROMIUM, POLYGLOT_SOFTWARE, ROLES

pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")

_MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
# Routes every signed-in role may post to: signing in and out, their own display time zone
# (it changes how pages read for that user, never a record) and keeping their own saved list
# filters (a person's view of a list, not data of the estate; collector/web/saved_filters.py).
_OPEN_TO_ALL = {"web.login_submit", "web.logout", "web.settings_time_zone", "web.saved_filter_create",
                "web.saved_filter_delete"}
_OWN_SETTINGS = {"web.settings"}
_SCREENSHOTS = {"web.assets", "web.asset", "web.devices", "web.reconciliation", "web.exceptions", "web.exception",
                "web.exports", "web.users", "web.workflows", "web.workflow", "web.kpis"}


def _rules(app, mutating: bool):
    for rule in app.url_map.iter_rules():
        if bool(rule.methods & _MUTATING) == mutating and (mutating or "GET" in rule.methods):
            yield rule


def _url(app, rule, fleet, users) -> str:
    values = {"asset_id": fleet.asset_id, "exception_id": fleet.exception_id, "user_id": users["operator"],
              "secret_id": 1, "agent_id": "00000000-0000-0000-0000-000000000000", "dataset": "assets", "fmt": "csv",
              "filename": "style.css", "reference": "LT-0001", "tag": "LT-0001", "device_id": 1, "ci_id": fleet.ci_id,
              "instance_id": fleet.workflow_id, "task_id": "triage",
              "product_id": fleet.product_id}
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: values.get(name, 1) for name in rule.arguments})


# Downloads, not pages (a browser saves them instead of showing them).
_FILES = ("web.export_file", "web.sam_elp_file", "web.sam_audit_pack_file")


def _pages(app, fleet, users):
    """Every GET page of the web UI (not files, not the login page itself)."""
    for rule in _rules(app, mutating=False):
        if rule.endpoint.startswith("web.") and rule.endpoint not in ("web.static", "web.login", *_FILES):
            yield rule.endpoint, _url(app, rule, fleet, users)


def _assert_inert(page) -> None:
    assert page.evaluate("window.__xss") is None, page.url
    assert page.locator("[data-xss]").count() == 0, page.url


def test_every_web_route_declares_a_role(server):
    from collector.web.security import RULES

    app, _ = server
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith("web.") and rule.endpoint not in RULES]
    assert missing == []


def test_each_role_logs_in_and_sees_what_it_may(open_as, users, fleet, server, shots):
    app, _ = server
    expected = {"admin": {"Users", "Agents", "Exports"}, "operator": {"Exports"}, "auditor": {"Exports"}}
    for role in ROLES:
        page = open_as(role)
        nav = set(page.locator("nav[aria-label=Main] a").all_inner_texts())
        assert expected[role] <= nav and ("Users" in nav) == (role == "admin")
        assert page.locator("h1").inner_text() == "Dashboard"
        # The stylesheet is served locally and applied (no CDN, nothing blocked by the CSP).
        assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") == "flex"
        assert page.locator(".whoami").inner_text().startswith(role)
        shots.take(page, f"dashboard-{role}.png")
        if role == "admin":
            for endpoint, url in _pages(app, fleet, users):
                page.goto(url)
                if endpoint in _SCREENSHOTS:
                    shots.take(page, f"{endpoint.removeprefix('web.')}.png")
            # Keyboard: the skip link is the first stop and moves focus to the content.
            page.goto("/assets")
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to content"


def test_admin_acknowledges_an_exception(open_as, users, fleet, database):
    from collector.models import AuditLogEntry, ExceptionComment, WorkflowEvent
    from collector.models.reconcile import AuditException

    page = open_as("admin")
    page.get_by_role("link", name="Exceptions").click()
    page.get_by_role("link", name=re.compile("hostname differs")).click()
    page.get_by_label("Assignee").select_option(label="operator (operator)")
    page.get_by_role("button", name="Assign").click()
    assert page.get_by_role("status").inner_text() == "Assignment saved."
    page.get_by_label("Add a comment").fill("Renamed by the user; checking with the service desk.")
    page.get_by_role("button", name="Comment").click()
    page.get_by_label("Note (optional)").fill("Register to be updated")
    page.get_by_role("button", name="Acknowledge").click()
    assert page.locator("#exception-status").inner_text() == "acknowledged"
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    assert "Register to be updated" in page.locator(".comments").inner_text()
    with database.session() as session:
        exception = session.get(AuditException, fleet.exception_id)
        assert exception.status == "acknowledged" and exception.open_key == f"drift:{fleet.ci_id}"
        assert exception.assignee_id == users["operator"] and exception.acknowledged_by_id == users["admin"]
        # the comments are the exception workflow's comments now (collector/workflows/triage_workflow.py)
        assert session.scalars(select(ExceptionComment)).all() == []
        assert len(session.scalars(select(WorkflowEvent).where(WorkflowEvent.kind == "comment")).all()) == 2
        actions = session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.actor == "admin")).all()
    assert {"exception_assigned", "exception_commented", "exception_acknowledged"} <= set(actions)
    page.goto("/exceptions?status=acknowledged")
    assert "hostname differs" in page.locator("table").inner_text()


def test_auditor_sees_no_mutating_controls_and_is_refused_every_mutating_route(open_as, users, fleet, server,
                                                                              database):
    from collector.models.reconcile import AuditException

    app, _ = server
    page = open_as("auditor")
    for endpoint, url in _pages(app, fleet, users):
        response = page.goto(url)
        assert response.status in (200, 403), (url, response.status)
        # Signing out and the person's own saved list filters (.personal) are theirs to change.
        forms = page.locator("form[method=post]:not(.whoami):not(.personal)")
        if endpoint not in _OWN_SETTINGS:
            assert forms.count() == 0, f"{url} shows a form that changes something"
        if response.status == 403:
            assert endpoint in ("web.agents", "web.users", "web.workflow_new", "web.sam_entitlement_new",
                                "web.sam_entitlement_edit", "web.sam_entitlement_import_page", "web.suppressions")
    token = page.locator(".whoami input[name=csrf_token]").get_attribute("value")
    checked = []
    for rule in _rules(app, mutating=True):
        if rule.endpoint in _OPEN_TO_ALL:
            continue
        method = sorted(rule.methods & _MUTATING)[0]
        url = _url(app, rule, fleet, users)
        response = page.request.fetch(url, method=method, form={"csrf_token": token}, max_redirects=0)
        if rule.endpoint.startswith("web."):
            assert response.status == 403, (url, response.status)
            checked.append(rule.endpoint)
        else:  # the API takes no session: a signed-in auditor gains nothing there
            assert response.status >= 400, (url, response.status)
    assert {"web.exception_acknowledge", "web.user_create", "web.reconciliation_run"} <= set(checked)
    with database.session() as session:
        assert session.get(AuditException, fleet.exception_id).status == "open"


def test_anonymous_visitors_are_sent_to_login_everywhere(open_as, users, fleet, server):
    app, _ = server
    page = open_as(None)
    pages = list(_pages(app, fleet, users))
    for rule in _rules(app, mutating=False):
        if rule.endpoint in _FILES:
            pages.append((rule.endpoint, _url(app, rule, fleet, users)))
    for _, url in pages:
        response = page.request.get(url, max_redirects=0)
        assert response.status == 303 and response.headers["location"].startswith("/login?next="), url
    page.goto("/exceptions")
    assert page.url.endswith("/login?next=/exceptions")


def test_hostile_names_render_inert_on_every_page(open_as, users, fleet, server):
    app, _ = server
    page = open_as("admin")
    for _, url in _pages(app, fleet, users):
        page.goto(url)
        _assert_inert(page)
    page.goto(f"/assets/{fleet.asset_id}")
    text = page.locator("main").inner_text()
    assert fleet.hostname in text and all(name in text for name in POLYGLOT_SOFTWARE)
    page.goto("/assets?q=" + "hyperlink")
    assert page.locator("tbody a").first.inner_text() == fleet.hostname
    page.goto("/devices")
    assert "<script>window.__xss=1</script>" in page.locator("table").inner_text()
    assert "Gi1/0/7" in page.locator("table").inner_text()
    switch_row = page.locator("tbody tr", has_text="198.18.0.1 ").first.inner_text()
    assert "WS-C3560G-48TS-E" in switch_row and "FOC1408Z61U" in switch_row and "<b data-xss=1>" in switch_row


def test_exports_download_open_and_are_recorded(open_as, users, fleet, server, database, tmp_path):
    from openpyxl import load_workbook

    from collector.models import AuditLogEntry

    page = open_as("auditor")
    page.goto("/exports")
    files, names = {}, set()
    for name in ("Asset register", "Reconciliation report", "Exception list"):
        for fmt in ("CSV", "XLSX", "PDF"):
            with page.expect_download() as download:
                page.get_by_role("link", name=f"{name} ({fmt})").click()
            target = tmp_path / download.value.suggested_filename
            names.add(target.name)
            download.value.save_as(target)
            files[(name, fmt)] = target.read_bytes()
    csv_text = files[("Asset register", "CSV")].decode("utf-8-sig")
    assert csv_text.startswith("Asset id,Host name,")  # the header first: provenance is in the sidecar
    assert "'" + fleet.hostname.replace('"', '""') in csv_text  # neutralised, never a formula
    workbook = load_workbook(io.BytesIO(files[("Asset register", "XLSX")]), read_only=True)
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for c in row
             if isinstance(c, str)]
    assert "'" + fleet.hostname in cells and "auditor (auditor)" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    exceptions = load_workbook(io.BytesIO(files[("Exception list", "XLSX")]), read_only=True)
    assert any("hostname differs" in str(c) for row in exceptions.active.iter_rows(values_only=True) for c in row)
    for (name, fmt), data in files.items():
        if fmt == "PDF":
            text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                                  check=True).stdout.decode()
            assert f"Stocktake {name.lower()}" in text and "auditor (auditor)" in text
    pdf_text = subprocess.run(["pdftotext", "-", "-"], input=files[("Asset register", "PDF")], capture_output=True,
                              check=True).stdout.decode()
    assert "hyperlink" in pdf_text
    # Every connection the exports used went back to the pool (a streamed CSV reads after the
    # request's own session is closed: a leak here left transactions open that block TRUNCATE).
    pool = server[0].extensions["stocktake"]["db"].engine.pool
    for _ in range(50):
        if pool.checkedout() == 0:
            break
        time.sleep(0.05)
    assert pool.checkedout() == 0
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export")).all()
        delivered = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export_file")).all()
    # CSV: one entry with the file's hash; XLSX and PDF: the sealing entry, then the file's.
    recorded = {e.detail["sha256"] for e in (*entries, *delivered) if "sha256" in e.detail}
    assert len(entries) == 9 and all(e.actor == "auditor" and e.detail["completed"] for e in entries)
    assert len(delivered) == 6 and {e.detail["export_entry"] for e in delivered} <= {e.id for e in entries}
    assert {hashlib.sha256(data).hexdigest() for data in files.values()} == recorded
    assert len(names) == 9  # report, filters and a unique id in every name
