"""--preset snipeit: Snipe-IT's Custom Asset Report and asset list export, stored field by field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.collector.cmdb.foreign_exports import (
    SNIPEIT_REPORT_HEADERS,
    snipeit_list,
    snipeit_report,
    with_row,
)
from tests.collector.cmdb.sheets import issues, xlsx_bytes

FIELDS = ("asset_tag", "name", "ci_class", "status", "serial", "vendor", "model", "assigned_user", "department",
          "location", "cost", "purchase_date", "po_number", "supplier", "warranty_end", "notes", "ip", "attributes")


@pytest.fixture
def stored(database):
    """Every CI by asset tag: its fields and its sorted MACs."""
    from collector.models.cmdb import CiMac, ConfigurationItem

    def read() -> dict[str, dict]:
        with database.session() as session:
            macs: dict[int, list[str]] = {}
            for ci_id, mac in session.execute(select(CiMac.ci_id, CiMac.mac).order_by(CiMac.mac)):
                macs.setdefault(ci_id, []).append(mac)
            return {ci.asset_tag or ci.serial: {**{name: getattr(ci, name) for name in FIELDS},
                                                "macs": macs.get(ci.id, [])}
                    for ci in session.scalars(select(ConfigurationItem))}

    return read


def _column(name: str) -> int:
    return SNIPEIT_REPORT_HEADERS.index(name)


def test_the_custom_asset_report_is_stored_field_by_field(run_import, stored):
    export = snipeit_report(200)
    report = run_import(export.data, preset="snipeit")
    assert report.ok, report.errors
    assert (report.rows, report.created, report.updated, report.unchanged) == (200, 200, 0, 0)
    cis = stored()
    assert len(cis) == 200
    for number, expected in export.expected.items():
        ci = cis[expected["asset_tag"]]
        for name, value in expected.items():
            assert ci[name] == value, (number, name, ci[name], value)
    # Every status label and category of the generated file was seen, and each maps as expected.
    assert {ci["status"] for ci in cis.values()} == {"in_stock", "deployed", "retired", "in_repair"}
    assert {ci["ci_class"] for ci in cis.values()} == {"computer", "server", "phone", "peripheral",
                                                       "network_device", "other"}


def test_report_columns_say_where_each_header_went(run_import):
    report = run_import(snipeit_report(14).data, preset="snipeit", dry_run=True)
    assert report.columns["Asset Name"] == "name"
    assert report.columns["Checked Out"] == "assigned_user"
    assert report.columns["Warranty Expires"] == "warranty_end"
    assert report.columns["MAC Address"] == "macs"
    assert {header for header, name in report.columns.items() if name == "attribute"} == {
        "Company", "Model No.", "EOL", "Warranty", "Fully Depreciated", "Type", "Last Audit", "URL", "RAM", "CPU",
        "IMEI"}
    for volatile in ("Current Value", "Diff", "Created at", "Updated at"):
        assert volatile not in report.columns


def test_an_unknown_category_is_stored_as_other_with_a_warning_naming_row_and_column(run_import):
    export = snipeit_report(21)
    report = run_import(export.data, preset="snipeit")
    warned = {(w.row, w.column): w.message for w in report.warnings if w.column == "Category"}
    assert set(warned) == {(row, "Category") for row in export.warned_rows}
    assert all(message == "no class for 'Label Printers'; stored as other (add the spelling under [classes] in a "
                          "mapping to choose)" for message in warned.values())


def test_reimporting_the_same_report_changes_nothing(run_import, cmdb_state):
    export = snipeit_report(200)
    assert run_import(export.data, preset="snipeit").ok
    before = cmdb_state()
    again = run_import(export.data, preset="snipeit")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 200)
    assert again.batch is not None
    assert cmdb_state() == before


def test_bad_rows_are_each_named_and_nothing_is_stored(run_import, cmdb_state):
    text = snipeit_report(40).text
    text = with_row(text, 5, {_column("Status"): "Frobnicated"})
    text = with_row(text, 9, {_column("Asset Tag"): "A-10002"})  # row 4's tag
    text = with_row(text, 12, {_column("Purchased"): "31/02/2024"})
    text = with_row(text, 15, {_column("Asset Tag"): "", _column("Serial"): ""})
    text = with_row(text, 18, {_column("Cost"): "12,34,5"})
    text = with_row(text, 21, {_column("Notes"): "=cmd|' /C calc'!A0"})  # not escaped by Snipe-IT: refused
    report = run_import(text, preset="snipeit")
    assert issues(report) == [(5, "Status"), (9, "Asset Tag"), (12, "Purchased"), (15, "Asset Tag"), (18, "Cost"),
                              (21, "Notes")]
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages[(5, "Status")].startswith("unknown status 'Frobnicated'; use one of ordered, in_stock")
    assert messages[(9, "Asset Tag")] == "duplicate asset tag 'A-10002' (also on row 4)"
    assert messages[(12, "Purchased")] == "not a date: '31/02/2024'; write YYYY-MM-DD (or set date_format in the mapping)"
    assert messages[(15, "Asset Tag")] == "needs an asset tag or a usable serial number"
    assert messages[(18, "Cost")].startswith("not an amount: '12,34,5'")
    assert messages[(21, "Notes")].startswith("formula not allowed")
    assert cmdb_state() == ([], [], [])


def test_a_bad_file_changes_nothing_already_stored(run_import, cmdb_state):
    export = snipeit_report(30)
    assert run_import(export.data, preset="snipeit").ok
    before = cmdb_state()
    text = with_row(export.text.replace("Example Ltd", "Example Group"), 7, {_column("Status"): "Frobnicated"})
    report = run_import(text, preset="snipeit")
    assert issues(report) == [(7, "Status")]
    assert cmdb_state() == before


def test_the_xlsx_report_stores_the_same_cis(run_import, stored):
    import csv
    import io

    export = snipeit_report(35)
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    report = run_import(xlsx_bytes(rows), "xlsx", preset="snipeit")
    assert report.ok, report.errors
    cis = stored()
    for expected in export.expected.values():
        ci = cis[expected["asset_tag"]]
        assert {name: ci[name] for name in expected} == expected


def test_the_asset_list_export_with_plain_status_labels(run_import, stored):
    export = snipeit_list(30)
    report = run_import(export.data, preset="snipeit")
    assert report.ok, report.errors
    cis = stored()
    for expected in export.expected.values():
        ci = cis[expected["asset_tag"]]
        assert {name: ci[name] for name in expected} == expected
    assert cis["L-000"]["purchase_date"].isoformat() == "2024-02-29"


def test_a_site_mapping_is_laid_over_the_preset(run_import, stored):
    from collector.cmdb.mapping import parse_mapping

    site = parse_mapping({"statuses": {"Pending": "ordered"}, "classes": {"Label Printers": "printer"},
                          "columns": {"RAM": "ignore"}})
    assert run_import(snipeit_report(21).data, preset="snipeit", mapping=site).ok
    cis = stored()
    assert cis["A-10002"]["status"] == "ordered"  # "Pending (pending)"
    assert cis["A-10006"]["ci_class"] == "printer"
    assert "RAM" not in cis["A-10000"]["attributes"]
    assert cis["A-10000"]["attributes"]["CPU"] == "Intel Core i7-1365U"


def test_amounts_as_snipe_it_writes_them(run_import, stored):
    from collector.cmdb.cells import _ungrouped

    assert _ungrouped("1,234.56") == "1234.56"
    assert _ungrouped("1.234,56") == "1234.56"
    assert _ungrouped("1 234,56 €") == "1234.56"
    assert _ungrouped("12,50") == "12.50"
    assert _ungrouped("1,234,567") == "1234567"
    text = "Asset Tag,Purchase Cost\nA-1,\"1,299.00\"\nA-2,\"2.499,90\"\nA-3,\"$10,000.00\"\n"
    assert run_import(text, preset="snipeit").ok
    assert [stored()[tag]["cost"] for tag in ("A-1", "A-2", "A-3")] == [Decimal("1299.00"), Decimal("2499.90"),
                                                                          Decimal("10000.00")]
