"""Exporting: the importer reads the export back unchanged, and formulas are neutralised."""

import csv
import io
from pathlib import Path

import pytest

from collector.cmdb.exporting import EXPORT_HEADERS, export_csv, export_xlsx, neutralise

SAMPLE = Path(__file__).resolve().parents[3] / "scripts" / "sample-cmdb.csv"


def _csv(database) -> str:
    with database.session() as session:
        return "".join(export_csv(session))


def _xlsx(database) -> bytes:
    buffer = io.BytesIO()
    with database.session() as session:
        export_xlsx(session, buffer)
    return buffer.getvalue()


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [[cell.value for cell in row] for row in workbook.worksheets[0].iter_rows()]
    finally:
        workbook.close()


@pytest.fixture
def sample(run_import):
    report = run_import(SAMPLE.read_bytes())
    assert report.ok, report.errors
    return report


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_changes_nothing(database, sample, run_import, cmdb_state, fmt):
    before = cmdb_state()
    exported = _csv(database).encode("utf-8") if fmt == "csv" else _xlsx(database)
    report = run_import(exported, fmt)
    assert (report.ok, report.rows, report.created, report.updated, report.unchanged) == (True, 32, 0, 0, 32), report.errors
    assert cmdb_state() == before


def test_round_trip_into_an_empty_cmdb_rebuilds_the_same_register(database, sample, run_import, cmdb_state):
    from sqlalchemy import delete

    from collector.models.cmdb import CiMac, CiRelationship, ConfigurationItem

    exported = _csv(database)
    with database.write() as session:
        for model in (CiRelationship, CiMac, ConfigurationItem):
            session.execute(delete(model))
    report = run_import(exported)
    assert (report.ok, report.created) == (True, 32)
    assert _csv(database) == exported


def test_csv_export_has_the_import_headers_and_values(database, sample):
    text = _csv(database)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert list(rows[0]) == EXPORT_HEADERS
    server = rows[0]
    assert {k: server[k] for k in ("Asset Tag", "Class", "Status", "MAC Addresses", "Cost", "Purchase Date",
                                   "Connected To", "Runs On")} == {
        "Asset Tag": "SRV-0001", "Class": "server", "Status": "deployed",
        "MAC Addresses": "b0:7b:25:1a:00:01; b0:7b:25:1a:00:02", "Cost": "14250.00", "Purchase Date": "2022-03-14",
        "Connected To": "SW-0001:Te1/0/1", "Runs On": ""}
    assert rows[3]["Runs On"] == "SRV-0001"


def test_xlsx_export_types_dates_and_amounts(database, sample):
    from datetime import datetime
    from decimal import Decimal

    rows = _xlsx_rows(_xlsx(database))
    assert rows[0] == EXPORT_HEADERS
    server = dict(zip(EXPORT_HEADERS, rows[1]))
    assert server["Purchase Date"] == datetime(2022, 3, 14)
    assert Decimal(str(server["Cost"])) == Decimal("14250")
    assert server.get("Notes") is None  # read-only rows end at the last non-empty cell


DANGEROUS = {
    "name": '=HYPERLINK("http://evil.example/","click")',
    "model": "+cmd|' /C calc'!A0",
    "vendor": "@SUM(A1)",
    "location": "-2+3",
    "department": "'=already escaped",
    "notes": "\tTabbed",
}


@pytest.fixture
def dangerous_ci(database):
    from collector.models.cmdb import ConfigurationItem

    with database.write() as session:
        session.add(ConfigurationItem(asset_tag="EVIL-1", **DANGEROUS))


def test_csv_export_neutralises_formulas(database, dangerous_ci):
    row = next(csv.DictReader(io.StringIO(_csv(database)[1:], newline="")))
    assert row["Name"] == "'" + DANGEROUS["name"]
    assert row["Model"] == "'+cmd|' /C calc'!A0"
    assert row["Vendor"] == "'@SUM(A1)"
    assert row["Location"] == "'-2+3"
    assert row["Department"] == "''=already escaped"
    assert row["Notes"] == "'\tTabbed"


def test_xlsx_export_writes_no_formula_cell(database, dangerous_ci):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(_xlsx(database)), read_only=True)
    try:
        cells = list(workbook.worksheets[0].iter_rows(min_row=2))[0]
        assert {cell.data_type for cell in cells if cell.value is not None} == {"s"}
        assert cells[EXPORT_HEADERS.index("Name")].value == "'" + DANGEROUS["name"]
    finally:
        workbook.close()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_neutralised_values_import_back_as_stored(database, dangerous_ci, run_import, cmdb_state, fmt):
    before = cmdb_state()
    exported = _csv(database).encode("utf-8") if fmt == "csv" else _xlsx(database)
    report = run_import(exported, fmt, dry_run=True)
    assert (report.ok, report.unchanged) == (True, 1), (report.errors, report.preview)
    assert cmdb_state() == before


@pytest.mark.parametrize("value, expected", [
    ("plain", "plain"), ("-", "'-"), ("'", "'"), ("", ""), (None, None), (5, 5), ("'x", "'x"), ("''@x", "'''@x"),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_export_streams_in_chunks(database, run_import):
    rows = "".join(f"LT-{n:04d},laptop\n" for n in range(1200))
    assert run_import("Asset Tag,Class\n" + rows).created == 1200
    with database.session() as session:
        pieces = list(export_csv(session))
    assert len(pieces) == 1 + 3  # the header, then one piece per 500 CIs
    assert sum(piece.count("\n") for piece in pieces) == 1201
