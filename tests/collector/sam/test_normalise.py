"""Normalising stored titles: products, the LibreOffice fold, admin rules, re-normalising, only new titles."""

import pytest
from sqlalchemy import func, select

from collector.access.audit_log import Actor
from collector.errors import Conflict, InvalidInput
from collector.models import AssetSoftware, AuditLogEntry, SamAdminRule, SamProduct, SamSoftwareProduct, SamSuiteComponent
from collector.sam.admin_rules import add_rule, delete_rule, move_rule, parse_rule_text
from collector.sam.normalise import normalise
from collector.sam.titles import uncovered_titles
from tests.collector.sam.fleet import LIBREOFFICE, add_title, build_titles

ADMIN = Actor(None, "admin", "test")


def _mapping(session, software_id):
    row = session.get(SamSoftwareProduct, software_id)
    product = session.get(SamProduct, row.product_id) if row.product_id else None
    return row, product


def test_titles_normalise_to_products_and_the_libreoffice_packages_fold_into_one_install(database):
    with database.write() as session:
        ids = build_titles(session)
        result = normalise(session)
    assert (result.titles, result.covered, result.uncovered) == (35, 32, 3)
    with database.session() as session:
        row, product = _mapping(session, ids["office"])
        assert (product.publisher, product.name, product.edition, row.major_version, row.rule_id) == (
            "Microsoft", "Office", "Professional Plus", "2019", "ms-office-perpetual")
        row, product = _mapping(session, ids["java"])
        assert (product.name, product.edition, row.major_version, product.licensable) == ("Java SE", "JRE", "8", True)
        lo = {_mapping(session, ids[name])[0].product_id for name in LIBREOFFICE}
        assert len(lo) == 1
        installs = session.scalar(select(func.count(func.distinct(AssetSoftware.asset_id)))
                                  .join(SamSoftwareProduct, SamSoftwareProduct.software_id == AssetSoftware.software_id)
                                  .where(SamSoftwareProduct.product_id == lo.pop()))
        assert installs == 1  # one device with 30 libreoffice-* packages: one install of one product
        office = session.scalar(select(SamProduct.id).where(SamProduct.name == "Office",
                                                            SamProduct.edition == "Professional Plus"))
        word = session.scalar(select(SamProduct.id).where(SamProduct.name == "Word"))
        assert session.get(SamSuiteComponent, (office, word)) is not None


def test_a_second_run_with_nothing_new_does_nothing_and_new_titles_alone_are_mapped(database):
    with database.write() as session:
        build_titles(session)
        first = normalise(session)
    with database.write() as session:
        again = normalise(session)
    assert again.titles == 0 and again.ruleset == first.ruleset
    with database.write() as session:
        new = add_title(session, "Zoom Workplace", "6.0.11", "Zoom Video Communications, Inc.")
        result = normalise(session)
    assert (result.titles, result.covered) == (1, 1)
    with database.session() as session:
        assert _mapping(session, new)[1].name == "Zoom Workplace"


def test_an_admin_rule_overrides_the_shipped_ones_and_changing_rules_renormalises(database):
    with database.write() as session:
        ids = build_titles(session)
        normalise(session)
        add_rule(session, {"id": "acme-widget", "name_regex": "^Acme Widget", "publisher": "Acme", "product": "Widget Studio"}, ADMIN)
        add_rule(session, {"id": "java-override", "name_regex": "^Java 8 Update", "publisher": "Oracle",
                           "product": "Java SE", "edition": "Legacy"}, ADMIN)
        result = normalise(session)
    assert result.titles == 35  # a new ruleset: every stored title redone
    with database.session() as session:
        assert _mapping(session, ids["acme"])[1].name == "Widget Studio"
        assert _mapping(session, ids["acme2"])[0].rule_id == "acme-widget"
        assert _mapping(session, ids["java"])[1].edition == "Legacy"
        actions = session.scalars(select(AuditLogEntry.action)).all()
        assert actions.count("sam_rule_added") == 2
    with database.write() as session:
        delete_rule(session, "java-override", ADMIN)
        normalise(session)
    with database.session() as session:
        assert _mapping(session, ids["java"])[1].edition == "JRE"
        assert "sam_rule_deleted" in session.scalars(select(AuditLogEntry.action)).all()


def test_moving_an_admin_rule_changes_which_wins(database):
    with database.write() as session:
        ids = build_titles(session)
        add_rule(session, {"id": "first", "name": "Rare Tool", "publisher": "Rare", "product": "One"}, ADMIN)
        add_rule(session, {"id": "second", "name": "rare tool", "publisher": "Rare", "product": "Two"}, ADMIN)
        normalise(session)
        assert _mapping(session, ids["rare"])[1].name == "One"
        move_rule(session, "second", -1, ADMIN)
        normalise(session)
        assert _mapping(session, ids["rare"])[1].name == "Two"


@pytest.mark.parametrize("definition,field", [
    ({"id": "x", "name_regex": "^(", "publisher": "A", "product": "B"}, "name_regex"),
    ({"id": "x", "name": "A", "publisher": "A"}, "product"),
    ({"id": "Bad Id!", "name": "A", "publisher": "A", "product": "B"}, "id"),
    ({"id": "x", "name": "A", "name_regex": "A", "publisher": "A", "product": "B"}, "name"),
    ({"id": "x", "name": "A", "publisher": "A", "product": "B", "when": "now"}, "when"),
    ({"id": "ms-office-perpetual", "name": "A", "publisher": "A", "product": "B"}, "id"),
])
def test_a_bad_admin_rule_is_refused_precisely_and_nothing_is_stored(database, definition, field):
    with database.write() as session:
        with pytest.raises(InvalidInput) as caught:
            add_rule(session, definition, ADMIN)
    assert field in [f.field for f in caught.value.fields]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SamAdminRule)) == 0
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)) == 0


def test_a_duplicate_admin_rule_id_is_a_conflict(database):
    with database.write() as session:
        add_rule(session, {"id": "dup", "name": "A", "publisher": "A", "product": "B"}, ADMIN)
    with database.write() as session, pytest.raises(Conflict):
        add_rule(session, {"id": "dup", "name": "B", "publisher": "A", "product": "B"}, ADMIN)


def test_rule_text_is_json_or_toml():
    assert parse_rule_text('{"id": "a", "name": "X"}') == {"id": "a", "name": "X"}
    assert parse_rule_text('id = "a"\nname = "X"\n') == {"id": "a", "name": "X"}
    assert parse_rule_text('[[rule]]\nid = "a"\nname = "X"\n') == {"id": "a", "name": "X"}
    with pytest.raises(InvalidInput):
        parse_rule_text("id = ")


def test_uncovered_titles_are_listed_with_install_counts_largest_first(database):
    with database.write() as session:
        build_titles(session)
        normalise(session)
    with database.session() as session:
        items, total = uncovered_titles(session)
        assert total == 2
        assert [(i["name"], i["installs"], i["titles"]) for i in items] == [("Acme Widget Studio", 3, 2), ("Rare Tool", 1, 1)]
        assert uncovered_titles(session, search="RARE")[1] == 1
        assert uncovered_titles(session, page=2, per_page=1)[0][0]["name"] == "Rare Tool"


def test_full_redoes_every_title(database):
    with database.write() as session:
        build_titles(session)
        normalise(session)
        assert normalise(session, full=True).titles == 35
