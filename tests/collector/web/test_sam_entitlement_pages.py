"""Entitlement pages: admins record, change, delete and import; a refused form keeps what was
typed with each error beside its field; auditors and operators only read."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

from sqlalchemy import func, select

from collector.models import AuditLogEntry
from collector.models.sam import SamEntitlement
from tests.collector.sam.entitlement_factories import add_products

SAMPLE = Path(__file__).resolve().parents[3] / "config" / "sample-entitlements.csv"
FORM = {"publisher": "Oracle", "product": "Java SE", "edition": "", "metric": "named_user", "quantity": "25",
        "term": "subscription", "start_date": "2026-02-01", "end_date": "2027-01-31", "unit_cost": "180.00",
        "currency": "EUR", "po_number": "PO-2026-0032"}


def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(SamEntitlement))


def _error(page: str, field: str) -> str:
    found = re.search(rf'id="ent-{field}-error">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else ""


def test_a_refused_form_keeps_what_was_typed_and_names_each_field(client, login, users, database):
    add_products(database)
    token = login("admin")
    response = client.post("/sam/entitlements", data={**FORM, "csrf_token": token, "product": "Jav SE",
                                                      "quantity": "-3", "end_date": "2026-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error(page, "product").startswith("no product named 'Jav SE' in the catalogue; close matches: Oracle Java SE")
    assert _error(page, "quantity") == "cannot be negative (-3)"
    assert _error(page, "end_date") == "end before start: 2026-01-01 is before the start date 2026-02-01"
    assert 'value="Jav SE"' in page and 'value="PO-2026-0032"' in page and 'value="-3"' in page
    assert re.search(r'<option value="named_user" selected>', page)
    assert _count(database) == 0


def test_admin_records_edits_and_deletes(client, login, users, database):
    add_products(database)
    token = login("admin")
    created = client.post("/sam/entitlements", data={**FORM, "csrf_token": token})
    assert created.status_code == 303, created.get_data(as_text=True)
    listing = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Entitlement recorded." in listing and "Java SE" in listing and "2027-01-31" in listing
    with database.session() as session:
        entitlement_id = session.scalars(select(SamEntitlement.id)).one()
    edit = client.get(f"/sam/entitlements/{entitlement_id}/edit").get_data(as_text=True)
    assert 'value="Oracle"' in edit and 'value="25"' in edit and 'value="2027-01-31"' in edit
    saved = client.post(f"/sam/entitlements/{entitlement_id}/edit", data={**FORM, "quantity": "30", "csrf_token": token})
    assert saved.status_code == 303
    bad = client.post(f"/sam/entitlements/{entitlement_id}/edit", data={**FORM, "metric": "device",
                                                                        "csrf_token": token})
    assert bad.status_code == 422 and "does not fit the product" in _error(bad.get_data(as_text=True), "metric")
    deleted = client.post(f"/sam/entitlements/{entitlement_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303 and _count(database) == 0
    assert client.post("/sam/entitlements/1/delete", data={}).status_code == 400  # no CSRF token
    with database.session() as session:
        actions = session.scalars(select(AuditLogEntry.action).where(AuditLogEntry.action.like("sam_%"))
                                  .order_by(AuditLogEntry.id)).all()
        assert actions == ["sam_entitlement_created", "sam_entitlement_updated", "sam_entitlement_deleted"]


def test_list_filters_sorts_and_shows_days_left(client, login, users, database):
    add_products(database)
    token = login("admin")
    client.post("/sam/entitlements", data={**FORM, "csrf_token": token})
    client.post("/sam/entitlements", data={"publisher": "Microsoft", "product": "Office", "edition": "Standard",
                                           "metric": "device", "quantity": "40", "term": "perpetual",
                                           "csrf_token": token})
    everything = client.get("/sam/entitlements?sort=-quantity").get_data(as_text=True)
    assert everything.index("Office") < everything.index("Java SE")
    assert "2 entitlements" in everything
    only_java = client.get("/sam/entitlements?term=subscription").get_data(as_text=True)
    assert "1 entitlement<" in only_java and "Office" not in only_java.split("<tbody>")[1]
    assert client.get("/sam/entitlements?metric=seat").status_code == 422


def test_import_page_shows_errors_by_row_and_column_or_the_count(client, login, users, database):
    add_products(database)
    token = login("admin")
    bad = SAMPLE.read_bytes().replace(b"Ultimate,named_user,10", b"Ultimate,named_user,ten")
    response = client.post("/sam/entitlements/import", data={"csrf_token": token,
                                                             "file": (io.BytesIO(bad), "entitlements.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "nothing was imported" in page
    assert re.search(r"<td>4</td><td>quantity</td><td>not a whole number: (&#39;|')ten(&#39;|')</td>", page), page
    assert _count(database) == 0
    checked = client.post("/sam/entitlements/import", data={"csrf_token": token, "dry_run": "true",
                                                            "file": (io.BytesIO(SAMPLE.read_bytes()), "e.csv")},
                          content_type="multipart/form-data")
    assert "6 entitlements would be imported; nothing was stored" in checked.get_data(as_text=True)
    assert _count(database) == 0
    done = client.post("/sam/entitlements/import", data={"csrf_token": token,
                                                         "file": (io.BytesIO(SAMPLE.read_bytes()), "e.csv")},
                       content_type="multipart/form-data")
    assert done.status_code == 200 and "Imported 6 entitlements" in done.get_data(as_text=True)
    assert _count(database) == 6
    wrong = client.post("/sam/entitlements/import", data={"csrf_token": token, "file": (io.BytesIO(b"x"), "e.pdf")},
                        content_type="multipart/form-data")
    assert wrong.status_code == 422 and "Choose a .csv or .xlsx file." in wrong.get_data(as_text=True)


def test_auditors_and_operators_read_only(client, login, users, database):
    add_products(database)
    admin_token = login("admin")
    client.post("/sam/entitlements", data={**FORM, "csrf_token": admin_token})
    with database.session() as session:
        entitlement_id = session.scalars(select(SamEntitlement.id)).one()
    client.post("/logout", data={"csrf_token": admin_token})
    for role in ("auditor", "operator"):
        token = login(role)
        listing = client.get("/sam/entitlements")
        assert listing.status_code == 200 and "Java SE" in listing.get_data(as_text=True)
        assert 'method="post" action="/sam/entitlements/' not in listing.get_data(as_text=True)
        assert "Record an entitlement" not in listing.get_data(as_text=True)
        for url in ("/sam/entitlements/new", f"/sam/entitlements/{entitlement_id}/edit", "/sam/entitlements/import"):
            assert client.get(url).status_code == 403
        for url in ("/sam/entitlements", f"/sam/entitlements/{entitlement_id}/edit",
                    f"/sam/entitlements/{entitlement_id}/delete", "/sam/entitlements/import"):
            assert client.post(url, data={**FORM, "csrf_token": token}).status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert _count(database) == 1
