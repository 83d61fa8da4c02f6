"""Entitlement import: all rows or none, every problem by row and column, CSV and XLSX."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from collector.errors import Forbidden
from collector.models import AuditLogEntry
from collector.models.sam import SamEntitlement
from collector.sam.entitlement_import import COLUMNS, import_entitlements
from collector.sam.entitlements import Editor
from tests.collector.sam.entitlement_factories import add_products, admin_editor

SAMPLE = Path(__file__).resolve().parents[3] / "config" / "sample-entitlements.csv"
HEADER = "publisher,product,edition,metric,quantity,term,start_date,end_date,unit_cost\n"
GOOD_ROW = "Microsoft,Office,Standard,device,{n},perpetual,2024-01-01,,100.00\n"


@pytest.fixture
def products(database):
    return add_products(database)


def _import(database, data: bytes, fmt: str = "csv", dry_run: bool = False):
    with database.write() as session:
        return import_entitlements(session, data, fmt, admin_editor(), dry_run=dry_run, filename=f"file.{fmt}")


def _stored(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(SamEntitlement))


def test_the_sample_file_imports_under_one_batch_with_its_hash_audited(database, products):
    data = SAMPLE.read_bytes()
    report = _import(database, data)
    assert report.ok, report.errors
    assert report.rows == report.created == 6 == _stored(database)
    with database.session() as session:
        batches = set(session.scalars(select(SamEntitlement.import_batch)))
        assert batches == {report.batch}
        sql = session.scalars(select(SamEntitlement).where(SamEntitlement.metric == "processor_core")).one()
        assert (sql.core_factor, sql.min_cores_per_vm, sql.downgrade_rights) == (1, 4, True)
        java = session.scalars(select(SamEntitlement).where(SamEntitlement.po_number == "PO-2026-0032")).one()
        assert (java.term, java.end_date) == ("subscription", date(2027, 1, 31))
        entry = session.scalars(select(AuditLogEntry)).one()
        assert entry.action == "sam_entitlements_imported" and entry.target == f"import {report.batch}"
        assert entry.detail["sha256"] == hashlib.sha256(data).hexdigest() and entry.detail["rows"] == 6
        assert entry.detail["role"] == "admin" and entry.detail["filename"] == "file.csv"


def test_one_bad_row_in_fifty_stores_nothing_and_names_row_and_column(database, products):
    rows = [GOOD_ROW.format(n=n) for n in range(1, 51)]
    rows[29] = "Microsoft,Office,Standard,device,-3,perpetual,2024-05-01,2024-01-01,100.00\n"
    report = _import(database, (HEADER + "".join(rows)).encode())
    assert not report.ok and report.rows == 50 and report.batch is None
    assert [issue.as_dict() for issue in report.errors] == [
        {"row": 31, "column": "quantity", "message": "cannot be negative (-3)"},
        {"row": 31, "column": "end_date", "message": "a perpetual licence has no end date (use term subscription)"},
        {"row": 31, "column": "end_date", "message": "end before start: 2024-01-01 is before the start date 2024-05-01"},
    ]
    assert _stored(database) == 0
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditLogEntry)) == 0


def test_unknown_products_and_metrics_are_named_by_row_and_file_header(database, products):
    data = ("Publisher;Product;Edition;Metric;Quantity\n"
            "Microsoft;Ofice;Standard;device;5\n"
            "Microsoft;SQL Server;Enterprise;device;ten\n"
            "Adobe;Acrobat;Pro;per_seat;1\n").encode()
    report = _import(database, data)
    found = {(issue.row, issue.column): issue.message for issue in report.errors}
    assert found[(2, "Product")].startswith("no product named 'Ofice' in the catalogue; close matches: Microsoft Office")
    assert found[(3, "Metric")].startswith("a metric that does not fit the product: Microsoft SQL Server Enterprise")
    assert found[(3, "Quantity")] == "not a whole number: 'ten'"
    assert found[(4, "Metric")].startswith("unknown metric 'per_seat'")
    assert len(found) == 4 and _stored(database) == 0


def test_header_problems(database, products):
    report = _import(database, b"publisher,product,colour,product\nMicrosoft,Office,red,Office\n")
    assert [issue.as_dict() for issue in report.errors] == [
        {"row": 1, "column": "colour", "message": f"unknown column; the columns are {', '.join(COLUMNS)}"},
        {"row": 1, "column": "product", "message": "the column appears twice"},
        {"row": 1, "column": "metric", "message": "required column missing"},
    ]
    assert _import(database, HEADER.encode()).errors[0].message == "the file has a header but no rows"
    assert _import(database, b"").errors[0].message == "the file is empty: no header row"
    assert _import(database, b"publisher,product\n\xff\n").errors[0].message.startswith("the file is not UTF-8")


def test_a_dry_run_checks_and_stores_nothing(database, products):
    report = _import(database, SAMPLE.read_bytes(), dry_run=True)
    assert report.ok and report.created == 6 and report.batch is None
    assert report.as_dict()["imported"] is False
    assert _stored(database) == 0


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_native_numbers_dates_and_booleans(database, products):
    data = _xlsx([["publisher", "product", "edition", "metric", "quantity", "term", "start_date", "end_date",
                   "downgrade_rights", "unit_cost"],
                  ["Oracle", "Java SE", None, "named_user", 25, "subscription", date(2026, 2, 1), date(2027, 1, 31),
                   False, 180.5],
                  ["Microsoft", "Office", "Professional Plus", "device", 50.0, "perpetual", None, None, True, 439]])
    report = _import(database, data, "xlsx")
    assert report.ok, report.errors
    with database.session() as session:
        stored = session.scalars(select(SamEntitlement).order_by(SamEntitlement.id)).all()
        assert [(e.quantity, e.end_date, e.downgrade_rights, str(e.unit_cost)) for e in stored] == [
            (25, date(2027, 1, 31), False, "180.50"), (50, None, True, "439.00")]


def test_xlsx_formulas_and_fractions_are_refused_by_cell(database, products):
    data = _xlsx([["publisher", "product", "edition", "metric", "quantity", "vendor"],
                  ["Microsoft", "Office", "Standard", "device", 2.5, "=1+1"]])
    report = _import(database, data, "xlsx")
    assert [(i.row, i.column) for i in report.errors] == [(2, "quantity"), (2, "vendor")]
    assert report.errors[1].message.startswith("formula not allowed")
    assert _stored(database) == 0


def test_only_admins_import(database, products):
    from collector.access.audit_log import Actor

    with pytest.raises(Forbidden), database.write() as session:
        import_entitlements(session, SAMPLE.read_bytes(), "csv", Editor(Actor(None, "op", "test"), "operator"))
    assert _stored(database) == 0


def test_the_sample_file_imports_on_a_fresh_install_against_the_shipped_catalogue(database):
    """No normalisation has run yet: the shipped catalogue's products (editions included) are
    there for the first import, so the sample names exactly what the catalogue calls its products."""
    from collector.models.sam import SamProduct

    result = _import(database, SAMPLE.read_bytes())
    assert len(result.entitlement_ids) == _stored(database) == len(SAMPLE.read_text().splitlines()) - 1
    with database.session() as session:
        named = set(session.execute(select(SamProduct.publisher, SamProduct.name, SamProduct.edition)
                                    .join(SamEntitlement, SamEntitlement.product_id == SamProduct.id)).all())
    assert ("Microsoft", "Office", "Professional Plus") in named and ("Adobe", "Acrobat", "") in named
