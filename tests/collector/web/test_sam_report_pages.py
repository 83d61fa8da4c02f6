"""The software pages (overview, catalogue, product, positions, reclaim, renewals) and their
downloads, read by an auditor: every page renders, links where it should, escapes what agents
sent, and says plainly when no position run exists yet."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from tests.collector.sam.factories_reports import seed_sam

PAGES = ("/sam/", "/sam/products", "/sam/positions", "/sam/reclaim", "/sam/renewals")


@pytest.fixture
def seeded(database):
    return seed_sam(database)


def _get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:500])
    assert "<script" not in response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_every_page_renders_for_an_auditor_with_escaped_names(client, users, login, seeded):
    login("auditor")
    for path in (*PAGES, f"/sam/products/{seeded.products['hostile']}", f"/sam/products/{seeded.products['office']}"):
        html = _get(client, path)
        assert 'href="/sam/entitlements"' in html and 'href="/sam/titles"' in html
    positions = _get(client, "/sam/positions")
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in positions
    dashboard = _get(client, "/")
    assert 'href="/sam/"' in dashboard and ">Software<" in dashboard


def test_overview_figures(client, users, login, seeded):
    login("auditor")
    html = _get(client, "/sam/")
    assert re.search(r'id="sam-short"><a href="/sam/positions\?status=short">1<', html)
    assert "250.00 EUR" in html.split('id="sam-shortfall"')[1][:60]
    assert "4,000.00 EUR" in html.split('id="sam-surplus"')[1][:60]
    assert "550.00 EUR" in html.split('id="sam-reclaim"')[1][:120]
    # Office ends in 20 days (due), SQL Server ended 10 days ago (expired).
    assert re.search(r'id="sam-renewals"><a href="/sam/renewals">1</a> <small>and 1 expired', html)


def test_positions_page_colours_status_charts_and_links_exports(client, users, login, seeded):
    login("auditor")
    html = _get(client, "/sam/positions")
    assert re.search(r'<tr class="status-short"><td>Microsoft</td><td><a href="/sam/products/\d+">'
                     r'Office Professional Plus', html)
    assert 'class="status-surplus"' in html and 'class="status-ok"' in html
    assert "<svg" in html and "Office Professional Plus (named user): entitled 2, consumed 3" in html
    for fmt in ("csv", "xlsx", "pdf"):
        assert f'href="/sam/elp.{fmt}?publisher=Microsoft"' in html
    assert 'href="/sam/audit-pack.zip?publisher=Adobe"' in html
    short = _get(client, "/sam/positions?status=short")
    assert "Office" in short and "SQL Server" not in short
    assert client.get("/sam/positions?status=bogus").status_code == 422


def test_product_page_versions_who_has_it_history_and_evidence(client, users, login, seeded):
    login("auditor")
    html = _get(client, f"/sam/products/{seeded.products['office']}")
    assert 'id="product-installs">4 on 4 devices' in html
    assert f'href="/assets/{seeded.assets["host-1"]}">host-1</a>' in html
    assert "LT-1001" in html  # the CI reconciliation matched to host-1
    assert "named user: entitled and consumed per run" in html  # the history chart (2 finished runs)
    assert "alice: 2 devices, counted once" in html
    only_old = _get(client, f"/sam/products/{seeded.products['office']}?version=15.0.4")
    assert "1 install<" in only_old and "host-4" in only_old
    assert client.get("/sam/products/999999").status_code == 404


def test_reclaim_sorts_and_renewals_group_by_days_left(client, users, login, seeded):
    login("auditor")
    html = _get(client, "/sam/reclaim")
    assert html.index("host-3") < html.index("host-4")  # 300 EUR before 250 EUR
    ascending = _get(client, "/sam/reclaim?sort=freed_cost")
    assert ascending.index("host-4") < ascending.index("host-3")
    renewals = _get(client, "/sam/renewals")
    expired, due = renewals.split("Ending within 30 days")
    assert "SQL Server" in expired and "Office" in due.split("Ending within 60 days")[0]


def test_pages_before_any_run_say_so(client, users, login, database):
    seed_sam(database, with_runs=False)
    login("auditor")
    for path in ("/sam/", "/sam/positions", "/sam/reclaim"):
        assert 'id="sam-no-run">no position run yet' in _get(client, path)
    assert "0 subscriptions" in _get(client, "/sam/renewals")


def test_downloads_are_audited_with_their_hash(client, users, login, seeded, database):
    from collector.models import AuditLogEntry

    login("auditor")
    response = client.get("/sam/elp.pdf?publisher=Microsoft")
    pdf = response.data
    response.close()  # the file's spool
    assert response.status_code == 200 and pdf.startswith(b"%PDF")
    response = client.get("/sam/audit-pack.zip")
    pack = response.data
    response.close()
    assert response.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(pack)).namelist()
    assert "manifest.json" in names and "elp.xlsx" in names
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export")
                                  .order_by(AuditLogEntry.id)).all()
    assert [e.target for e in entries] == ["sam-elp.pdf", "sam-audit-pack.zip"]
    assert entries[0].detail["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert entries[0].detail["filters"] == {"publisher": "Microsoft", "run": str(seeded.run_id)}
    assert entries[0].actor == "auditor"
    assert entries[1].detail["sha256"] == hashlib.sha256(pack).hexdigest()


def test_pages_need_a_sign_in(client, seeded):
    response = client.get("/sam/positions")
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def _position_runs(database) -> int:
    from collector.models import SamPositionRun

    with database.session() as session:
        return len(session.scalars(select(SamPositionRun.id)).all())


def test_auditors_cannot_compute_positions(client, users, login, seeded, database):
    before = _position_runs(database)
    token = login("auditor")
    assert "Compute the licence positions now" not in _get(client, "/sam/positions")
    assert client.post("/sam/positions/run", data={"csrf_token": token}).status_code == 403
    assert _position_runs(database) == before


def test_operators_compute_positions_from_the_page_with_an_audit_entry(client, users, login, seeded, database):
    from collector.models import AuditLogEntry

    before = _position_runs(database)
    token = login("operator")
    assert client.post("/sam/positions/run", data={}).status_code in (400, 403)  # no CSRF token: refused
    assert _position_runs(database) == before
    assert "Compute the licence positions now" in _get(client, "/sam/positions")
    response = client.post("/sam/positions/run", data={"csrf_token": token})
    assert response.status_code == 303 and "notice=positions_ran" in response.headers["Location"]
    assert _position_runs(database) == before + 1
    with database.session() as session:
        entry = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "sam_positions_run")).one()
    assert entry.actor == "operator" and entry.target.startswith("sam_position_run:")
    assert "Licence positions computed." in _get(client, "/sam/positions?notice=positions_ran")
