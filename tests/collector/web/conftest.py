"""Fixtures for the web UI: users of each role, a seeded fleet with hostile names, logins."""

from __future__ import annotations

import gzip
import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "operator", "auditor")

# What a hostile or broken agent could send: markup that would run if any page or export
# rendered it unescaped (it sets window.__xss or leaves an element with data-xss behind),
# and spreadsheet formulas at the start of a value.
POLYGLOT_HOST = "=hyperlink(\"http://x\")\"'><img src=x onerror=\"window.__xss=1\" data-xss=1><script>window.__xss=1</script>"
POLYGLOT_SOFTWARE = [
    "\"><svg/onload=window.__xss=1 data-xss=1>",
    "@sum(1+1)</textarea></title><script>window.__xss=1</script>",
    "+cmd|' /c calc'!a0<iframe src=javascript:window.__xss=1 data-xss=1>",
    "-2+3 <a href=javascript:window.__xss=1 data-xss=1>x</a>",
]


CHROMIUM = Path("/usr/bin/chromium")
DESKTOP = {"width": 1366, "height": 800}


@dataclass(frozen=True)
class Fleet:
    asset_id: int
    exception_id: int
    hostname: str
    ci_id: int
    workflow_id: int
    product_id: int = 0  # a software product with hostile names (the /sam/products/<id> page)


@pytest.fixture
def fast_passwords(monkeypatch):
    """Cheaper scrypt for tests that log in a lot (hashes carry their parameters, so all still verify)."""
    from collector.access import passwords

    monkeypatch.setattr(passwords, "N", 2**10)


@pytest.fixture
def users(database, fast_passwords):
    """One active user per role, all with ``PASSWORD``; returns {role: user id}."""
    from collector.access.users import create_user

    ids = {}
    with database.write() as session:
        for role in ROLES:
            ids[role] = create_user(session, role, role, PASSWORD).id
    return ids


@pytest.fixture
def fleet(client, database, make_agent, reports) -> Fleet:
    """An agent reports a machine with a hostile host name and software names through the real
    API; the register has a CI for it, reconciliation matched them and left a drift open, and a
    scanner found an unmanaged device behind a switch port."""
    from collector.models import Asset, Device
    from collector.models.cmdb import ConfigurationItem
    from collector.models.reconcile import AuditException, CiMatch
    from collector.models.sam import SamProduct
    from collector.workflows.loading import SHIPPED_DIR, load_templates
    from collector.workflows.service import open_exception_workflow

    agent = make_agent("polyglot")
    report = reports.report(agent.agent_id, software_count=5, host_seed=3)
    report["host"]["hostname"] = POLYGLOT_HOST
    report["software"] += [{"name": name, "version": "1.0", "source": "dpkg"} for name in POLYGLOT_SOFTWARE]
    response = client.post("/api/v1/inventory", data=gzip.compress(json.dumps(report).encode()),
                           content_type="application/json",
                           headers={**agent.headers, "Content-Encoding": "gzip"})
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    with database.write() as session:
        asset = session.query(Asset).one()
        ci = ConfigurationItem(asset_tag="LT-0001", name="Finance laptop", serial=asset.serial, hostname="fin-lt-1",
                               location="@HQ <b data-xss=1>floor 2</b>", status="deployed", ci_class="computer")
        session.add(ci)
        session.flush()
        # The ingest's incremental reconciliation found no CI yet; now the register has one.
        session.query(CiMatch).filter_by(subject_type="asset", subject_id=asset.id).delete()
        session.add(CiMatch(subject_type="asset", subject_id=asset.id, ci_id=ci.id, outcome="matched",
                            rule="vendor_serial", explanation=f"CI {ci.id} (LT-0001) by rule 1 (vendor_serial), "
                                                              f"serial {asset.serial}, host {asset.hostname}"))
        drift = AuditException(kind="drift", status="open", open_key=f"drift:{ci.id}", ci_id=ci.id,
                               subject_type="asset", subject_id=asset.id,
                               summary=f"hostname differs: register fin-lt-1, observed {asset.hostname}",
                               evidence={"attribute": "hostname", "register": "fin-lt-1", "observed": asset.hostname})
        session.add(drift)
        switch = Device(mac="00:11:22:33:44:55", ip="198.18.0.1", sys_name="core-sw-1", device_type="switch",
                        model="WS-C3560G-48TS-E", serial="FOC1408Z61U", firmware="<b data-xss=1>12.2(55)SE</b>",
                        found_by=["snmp"])
        session.add(switch)
        session.flush()
        session.add(Device(mac="00:11:22:33:44:66", ip="198.18.0.66", sys_name="<script>window.__xss=1</script>",
                           found_by=["arp"], switch_device_id=switch.id, switch_port="Gi1/0/7"))
        session.flush()
        # Stocktake opens the drift's resolution workflow (the exception's summary and the CI's
        # location carry the hostile text onto the workflow pages).
        workflow = open_exception_workflow(session, load_templates([SHIPPED_DIR]), drift.id)
        product = SamProduct(publisher=POLYGLOT_SOFTWARE[0], name=POLYGLOT_SOFTWARE[1], edition=POLYGLOT_SOFTWARE[2])
        session.add(product)
        session.flush()
        return Fleet(asset.id, drift.id, asset.hostname, ci.id, workflow.id, product.id)


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def login(client):
    """Log the test client in as a role's user (the users fixture must be in play)."""

    def log_in(role: str):
        page = client.get("/login")
        response = client.post("/login", data={"username": role, "password": PASSWORD,
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})
        assert response.status_code == 303, response.get_data(as_text=True)
        return csrf_from(client.get("/").get_data(as_text=True))

    return log_in


# --- the browser tests' live server and chromium (one of each per test module) ---------------

@pytest.fixture(scope="module")
def server(db_url, database, tmp_path_factory):
    """The app served by werkzeug on loopback, in this process, for the module's tests."""
    from werkzeug.serving import make_server

    from collector.app import create_app
    from collector.config import CollectorConfig

    app = create_app(CollectorConfig(data_dir=str(tmp_path_factory.mktemp("web-var")), database_url=db_url,
                                     log_format="text", log_level="WARNING", facts_batch_window_ms=0))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(10)
    app.extensions["stocktake"]["db"].dispose()


@pytest.fixture(scope="module")
def browser():
    # Chromium tests run in the SQLite pass: what a page shows is the same service code on either
    # database, and the PostgreSQL pass covers those services and views through the test client.
    # Running every browser test twice would take CI past its time budget.
    if os.environ.get("STOCKTAKE_TEST_DB") == "postgresql":
        pytest.skip("browser tests run in the SQLite pass (the PostgreSQL pass covers the same views without a browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Screenshots:
    """Saves pages for a person to review, only when ``STOCKTAKE_SCREENSHOTS`` names a folder.

    Nothing asserts on the images, and a full-page capture can take many seconds on a loaded
    2-core machine (one timed out at 30 s in CI), so the suite does not take them by default.
    """

    def __init__(self, folder: Path | None):
        self.folder = folder
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str, full_page: bool = False) -> None:
        if self.folder is not None:
            page.screenshot(path=self.folder / name, full_page=full_page)


@pytest.fixture(scope="session")
def shots() -> Screenshots:
    target = os.environ.get("STOCKTAKE_SCREENSHOTS")
    return Screenshots(Path(target) if target else None)


@pytest.fixture
def open_as(browser, server):
    """A fresh browser context signed in as ``username`` (None: signed out), at ``viewport``."""
    contexts = []

    def open_(username: str | None, viewport: dict | None = None):
        context = browser.new_context(base_url=server[1], accept_downloads=True, viewport=viewport or DESKTOP)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
        if username:
            page.goto("/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.keyboard.press("Enter")  # keyboard only: type, Enter submits
            page.wait_for_url(re.compile(r"/$"))
        return page

    yield open_
    for context in contexts:
        context.close()
