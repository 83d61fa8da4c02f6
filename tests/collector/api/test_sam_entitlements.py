"""/api/v1/sam/entitlements: admins write, auditors and operators read, errors name every field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collector.models import AuditLogEntry
from collector.models.sam import SamEntitlement
from tests.collector.sam.entitlement_factories import add_products

SAMPLE = Path(__file__).resolve().parents[3] / "config" / "sample-entitlements.csv"
OFFICE = {"publisher": "Microsoft", "product": "Office", "edition": "Professional Plus", "metric": "device",
          "quantity": 120, "unit_cost": "439.00"}
BASE = "/api/v1/sam/entitlements"


@pytest.fixture
def products(database):
    return add_products(database)


@pytest.fixture
def admin(make_token):
    return make_token("admin")


def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(SamEntitlement))


def test_create_read_update_delete(client, database, products, admin, make_token):
    created = client.post(BASE, json=OFFICE, headers=admin)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["product"] == {"id": products[("Microsoft", "Office", "Professional Plus")], "publisher": "Microsoft",
                               "name": "Office", "edition": "Professional Plus"}
    assert (body["quantity"], body["unit_cost"], body["currency"], body["days_left"]) == (120, "439", "EUR", None)
    entitlement_id = body["id"]
    for role in ("auditor", "operator"):
        headers = make_token(role)
        assert client.get(f"{BASE}/{entitlement_id}", headers=headers).get_json()["quantity"] == 120
        listed = client.get(BASE, headers=headers).get_json()
        assert listed["total"] == 1 and listed["items"][0]["id"] == entitlement_id
    changed = client.put(f"{BASE}/{entitlement_id}", json={"quantity": 100, "vendor": "SoftwareOne"}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["quantity"] == 100
    assert client.delete(f"{BASE}/{entitlement_id}", headers=admin).status_code == 204
    assert client.get(f"{BASE}/{entitlement_id}", headers=admin).status_code == 404
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).where(AuditLogEntry.action.startswith("sam_entitlement_"))
                                  .order_by(AuditLogEntry.id)).all()  # not the tokens' own creation
        assert [e.action for e in entries] == ["sam_entitlement_created", "sam_entitlement_updated",
                                               "sam_entitlement_deleted"]
        assert all(e.actor.startswith("token:admin-") and e.detail["role"] == "admin" for e in entries)


def test_bad_records_answer_422_naming_every_field(client, database, products, admin):
    response = client.post(BASE, json={**OFFICE, "product": "Ofice", "metric": "per_seat", "quantity": -1,
                                       "term": "subscription", "start_date": "2026-06-01",
                                       "end_date": "2026-01-01"}, headers=admin)
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.get_json()["fields"]}
    assert set(fields) == {"product", "metric", "quantity", "end_date"}
    assert fields["end_date"].startswith("end before start")
    misfit = client.post(BASE, json={**OFFICE, "metric": "processor_core"}, headers=admin)
    assert "does not fit the product" in misfit.get_json()["fields"][0]["message"]
    assert client.post(BASE, json={**OFFICE, "quantity": "lots"}, headers=admin).get_json()["fields"] == [
        {"field": "quantity", "message": "not a whole number: 'lots'"}]
    assert client.post(BASE, data="[1]", content_type="application/json", headers=admin).status_code in (400, 422)
    assert _count(database) == 0


def test_auditors_and_operators_may_not_write(client, database, products, admin, make_token):
    entitlement_id = client.post(BASE, json=OFFICE, headers=admin).get_json()["id"]
    for role in ("auditor", "operator"):
        headers = make_token(role)
        assert client.post(BASE, json=OFFICE, headers=headers).status_code == 403
        assert client.put(f"{BASE}/{entitlement_id}", json={"quantity": 1}, headers=headers).status_code == 403
        assert client.delete(f"{BASE}/{entitlement_id}", headers=headers).status_code == 403
        upload = {"file": (io.BytesIO(SAMPLE.read_bytes()), "e.csv")}
        assert client.post(f"{BASE}/import", data=upload, headers=headers).status_code == 403
        assert client.post(f"{BASE}/{entitlement_id}/allocations", json={"target_kind": "user", "target": "x"},
                           headers=headers).status_code == 403
    assert client.get(BASE).status_code == 401
    assert _count(database) == 1


def test_list_filters_and_bad_parameters(client, products, admin):
    client.post(BASE, json=OFFICE, headers=admin)
    client.post(BASE, json={"publisher": "Oracle", "product": "Java SE", "metric": "named_user", "quantity": 5,
                            "term": "subscription", "start_date": "2026-01-01", "end_date": "2027-01-31"},
                headers=admin)
    java = client.get(f"{BASE}?term=subscription&sort=end_date&order=desc", headers=admin).get_json()
    assert java["total"] == 1 and java["items"][0]["product"]["name"] == "Java SE"
    assert isinstance(java["items"][0]["days_left"], int)
    assert client.get(f"{BASE}?publisher=micro", headers=admin).get_json()["total"] == 1
    bad = client.get(f"{BASE}?metric=seat&sort=colour", headers=admin)
    assert bad.status_code == 422 and {f["field"] for f in bad.get_json()["fields"]} == {"metric", "sort"}


def test_import_dry_run_then_import(client, database, products, admin):
    data = SAMPLE.read_bytes()
    dry = client.post(f"{BASE}/import?dry_run=1", data={"file": (io.BytesIO(data), "sample.csv")}, headers=admin)
    assert dry.status_code == 200 and dry.get_json()["created"] == 6 and dry.get_json()["imported"] is False
    assert _count(database) == 0
    done = client.post(f"{BASE}/import", data={"file": (io.BytesIO(data), "sample.csv")}, headers=admin)
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["batch"] and len(done.get_json()["entitlement_ids"]) == 6 == _count(database)


def test_a_bad_import_answers_422_with_rows_and_columns(client, database, products, admin):
    data = SAMPLE.read_bytes().replace(b"Professional Plus,device,50", b"Professional Plus,device,-50")
    response = client.post(f"{BASE}/import", data={"file": (io.BytesIO(data), "sample.csv")}, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"row": 2, "column": "quantity", "message": "cannot be negative (-50)"}]
    assert _count(database) == 0
    raw = client.post(f"{BASE}/import", data=b"x", content_type="application/pdf", headers=admin)
    assert raw.status_code == 415
    assert client.post(f"{BASE}/import?dry_run=maybe", data=b"x", content_type="text/csv",
                       headers=admin).status_code == 422


def test_allocations(client, database, products, admin, make_token):
    entitlement_id = client.post(BASE, json={**OFFICE, "quantity": 2}, headers=admin).get_json()["id"]
    added = client.post(f"{BASE}/{entitlement_id}/allocations", json={"target_kind": "user", "target": "alice"},
                        headers=admin)
    assert added.status_code == 201 and added.get_json()["quantity"] == 1
    over = client.post(f"{BASE}/{entitlement_id}/allocations",
                       json={"target_kind": "department", "target": "Sales", "quantity": 2}, headers=admin)
    assert over.status_code == 422 and over.get_json()["fields"][0]["field"] == "quantity"
    listed = client.get(f"{BASE}/{entitlement_id}/allocations", headers=make_token("auditor")).get_json()
    assert [a["target"] for a in listed["items"]] == ["alice"]
    assert client.get(f"{BASE}/{entitlement_id}", headers=admin).get_json()["allocated"] == 1
    allocation_id = added.get_json()["id"]
    assert client.delete(f"{BASE}/{entitlement_id}/allocations/{allocation_id}", headers=admin).status_code == 204
    assert client.delete(f"{BASE}/{entitlement_id}/allocations/{allocation_id}", headers=admin).status_code == 404
    assert client.get(f"{BASE}/999999/allocations", headers=admin).status_code == 404


def test_xlsx_import_as_a_raw_body(client, database, products, admin):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Publisher", "Product", "Edition", "Metric", "Quantity", "Min cores per VM"])
    workbook.active.append(["Microsoft", "SQL Server", "Enterprise", "processor_core", 16, 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = client.post(f"{BASE}/import", data=buffer.getvalue(), content_type=xlsx, headers=admin)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["columns"]["Min cores per VM"] == "min_cores_per_vm"
    with database.session() as session:
        stored = session.scalars(select(SamEntitlement)).one()
        assert (stored.quantity, stored.min_cores_per_vm, stored.import_batch) == (16, 4, response.get_json()["batch"])
