"""/api/v1/sam report routes: read by auditors and up, empty with a note before any run,
files downloaded with their SHA-256 in the audit log."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.collector.sam.factories_reports import HOSTILE, seed_sam

READ_ROUTES = ("/api/v1/sam/products", "/api/v1/sam/positions", "/api/v1/sam/reclaim", "/api/v1/sam/renewals")


@pytest.fixture
def seeded(database):
    return seed_sam(database)


def _read(client, token, path):
    response = client.get(path, headers=token)
    data = response.data
    response.close()
    return response, data


@pytest.mark.parametrize("role", ["auditor", "operator", "admin"])
def test_every_role_reads(client, make_token, seeded, role):
    token = make_token(role)
    for path in (*READ_ROUTES, f"/api/v1/sam/products/{seeded.products['office']}",
                 f"/api/v1/sam/positions/{seeded.products['office']}/evidence"):
        response = client.get(path, headers=token)
        assert response.status_code == 200, (path, response.get_json())


def test_no_credential_is_refused(client, seeded):
    for path in (*READ_ROUTES, "/api/v1/sam/elp", "/api/v1/sam/audit-pack"):
        assert client.get(path).status_code == 401


def test_positions_filtered_with_money_as_text(client, make_token, seeded):
    token = make_token("auditor")
    body = client.get("/api/v1/sam/positions?status=short", headers=token).get_json()
    assert body["run"]["id"] == seeded.run_id and body["note"] is None
    (office,) = body["items"]
    assert office == {"product_id": seeded.products["office"], "metric": "named_user", "entitled": 2, "consumed": 3,
                      "allocated": 0, "balance": -1, "status": "short", "unit_cost": "250.00", "currency": "EUR",
                      "shortfall_cost": "250.00", "surplus_cost": "0.00", "publisher": "Microsoft",
                      "product": "Office", "edition": "Professional Plus",
                      "explanation": "2 named-user licences; users alice (2 devices, counted once), bob, carol"}
    adobe = client.get("/api/v1/sam/positions?publisher=Adobe", headers=token).get_json()["items"]
    assert [p["product"] for p in adobe] == ["Acrobat"]
    bad = client.get("/api/v1/sam/positions?status=broke", headers=token)
    assert bad.status_code == 422 and bad.get_json()["fields"][0]["field"] == "status"


def test_products_product_and_evidence(client, make_token, seeded):
    token = make_token("auditor")
    page = client.get("/api/v1/sam/products?per_page=2&page=1", headers=token).get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (5, 3, 2)
    free = client.get("/api/v1/sam/products?licensable=false", headers=token).get_json()["items"]
    assert [(p["name"], p["installs"], p["devices"]) for p in free] == [("Firefox", 4, 4)]
    assert client.get("/api/v1/sam/products?licensable=maybe", headers=token).status_code == 422
    product = client.get(f"/api/v1/sam/products/{seeded.products['office']}", headers=token).get_json()
    assert product["versions"] == [{"version": "16.0.1", "installs": 3, "devices": 3},
                                   {"version": "15.0.4", "installs": 1, "devices": 1}]
    assert [(h["entitled"], h["consumed"]) for h in product["history"]] == [(2, 2), (2, 3)]
    assert product["positions"][0]["status"] == "short"
    assert client.get("/api/v1/sam/products/99999", headers=token).status_code == 404
    evidence = client.get(f"/api/v1/sam/positions/{seeded.products['hostile']}/evidence", headers=token).get_json()
    assert evidence["total"] == 1 and evidence["items"][0]["user"] == HOSTILE
    assert evidence["items"][0]["report_id"] == 41 and evidence["items"][0]["first_seen_at"].startswith("2026-05-15")


def test_reclaim_and_renewals(client, make_token, seeded):
    token = make_token("auditor")
    reclaim = client.get("/api/v1/sam/reclaim?sort=days_unused&order=desc", headers=token).get_json()
    # host-4 was never seen running (no days count): the most unused.
    assert [(c["device"], c["freed_cost"]) for c in reclaim["items"]] == [("host-4", "250.00"), ("host-3", "300.00")]
    ascending = client.get("/api/v1/sam/reclaim?sort=days_unused&order=asc", headers=token).get_json()
    assert [c["device"] for c in ascending["items"]] == ["host-3", "host-4"]
    assert client.get("/api/v1/sam/reclaim?sort=colour", headers=token).status_code == 422
    renewals = client.get("/api/v1/sam/renewals", headers=token).get_json()["items"]
    assert [(r["product"], r["bucket"], r["days_left"]) for r in renewals] == [
        ("SQL Server", "expired", -10), ("Office", "30 days", 20)]


def test_before_any_run_lists_are_empty_with_a_note(client, make_token, database):
    seed_sam(database, with_runs=False)
    token = make_token("auditor")
    for path in ("/api/v1/sam/positions", "/api/v1/sam/reclaim", "/api/v1/sam/positions/1/evidence"):
        response = client.get(path, headers=token)
        body = response.get_json()
        assert response.status_code == 200 and body["items"] == [] and body["run"] is None, path
        assert body["note"].startswith("no position run yet"), path
    assert client.get("/api/v1/sam/products", headers=token).get_json()["total"] == 5
    product = client.get("/api/v1/sam/products/1", headers=token).get_json()
    assert product["run"] is None and product["positions"] == [] and product["history"] == []
    response, data = _read(client, token, "/api/v1/sam/elp?format=csv")
    assert response.status_code == 200 and data.decode("utf-8-sig").startswith("Record,Publisher,")


def _exports(database):
    from collector.models import AuditLogEntry

    with database.session() as session:
        return session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export")
                               .order_by(AuditLogEntry.id)).all()


def test_elp_and_audit_pack_downloads(client, make_token, seeded, database):
    token = make_token("auditor")
    response, xlsx = _read(client, token, "/api/v1/sam/elp?publisher=Adobe&format=xlsx")
    assert response.status_code == 200 and "stocktake-elp-adobe-" in response.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx)).sheetnames == ["Positions", "Evidence"]
    response, pack = _read(client, token, "/api/v1/sam/audit-pack?publisher=Adobe")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(pack)).namelist()
    bad, _ = _read(client, token, "/api/v1/sam/elp?format=docx")
    assert bad.status_code == 422
    elp_entry, pack_entry = _exports(database)
    assert elp_entry.target == "sam-elp.xlsx" and elp_entry.detail["sha256"] == hashlib.sha256(xlsx).hexdigest()
    assert elp_entry.actor.startswith("token:auditor-")
    assert pack_entry.detail["sha256"] == hashlib.sha256(pack).hexdigest()
