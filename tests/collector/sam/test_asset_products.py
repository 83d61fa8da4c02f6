"""One machine's products: its raw titles as normalised, with what is not a product counted by reason."""

from __future__ import annotations

from sqlalchemy import select

from collector.models import Asset
from collector.sam.asset_products import asset_products
from collector.sam.normalise import normalise
from tests.collector.sam.fleet import LIBREOFFICE, add_device, add_title, build_titles


def _asset(session, hostname: str) -> int:
    return session.scalar(select(Asset.id).where(Asset.hostname == hostname))


def test_a_machines_packages_are_its_products_licensable_first(database):
    with database.write() as session:
        build_titles(session)
        normalise(session)
        late = add_title(session, "Brand New Tool", "1.0", "New Co")  # arrives after the run
        add_device(session, 4, [late])
    with database.session() as session:
        debian = asset_products(session, _asset(session, "h1"))
        windows = asset_products(session, _asset(session, "h2"))
        fresh = asset_products(session, _asset(session, "h4"))
    assert debian.titles == len(LIBREOFFICE) + 1
    assert [(p.name, p.titles, p.versions) for p in debian.products] == [("LibreOffice", len(LIBREOFFICE), ("7",))]
    assert debian.uncovered == 1 and debian.not_normalised == 0  # Acme Widget Studio
    assert [(p.publisher, p.name, p.edition, p.licensable) for p in windows.products][:2] == [
        ("Microsoft", "Office", "Professional Plus", True), ("Oracle", "Java SE", "JRE", True)]
    assert windows.uncovered == 2  # Acme, Rare Tool
    assert (fresh.titles, fresh.not_normalised, fresh.products) == (1, 1, [])


def test_the_api_answers_the_products_and_404_for_an_unknown_asset(client, database, make_token):
    with database.write() as session:
        build_titles(session)
        normalise(session)
        asset_id = _asset(session, "h2")
    body = client.get(f"/api/v1/sam/assets/{asset_id}/products", headers=make_token("auditor")).get_json()
    assert body["titles"] == 4 and body["uncovered"] == 2
    assert {(p["name"], p["edition"]) for p in body["products"]} == {("Office", "Professional Plus"), ("Java SE", "JRE")}
    assert client.get("/api/v1/sam/assets/999999/products", headers=make_token("auditor")).status_code == 404
    assert client.get(f"/api/v1/sam/assets/{asset_id}/products").status_code == 401
