"""The Effective License Position file: CSV parsed, XLSX opened with openpyxl, PDF text read
back with pdftotext, and each file's SHA-256 in the audit log."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import time
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from collector.access.audit_log import Actor
from collector.sam.elp import build_elp, export_elp, write_elp
from tests.collector.sam.factories_reports import AS_OF, HOSTILE, many_evidence, seed_sam

ACTOR = Actor(None, "auditor-1", "test")


@pytest.fixture
def seeded(database):
    return seed_sam(database)


def _export(database, fmt: str, publisher: str | None = None) -> tuple[bytes, object]:
    target = io.BytesIO()
    with database.write() as session:
        written = export_elp(session, publisher=publisher, fmt=fmt, actor=ACTOR, target=target)
    return target.getvalue(), written


def _audit(database):
    from collector.models import AuditLogEntry

    with database.session() as session:
        return session.scalars(select(AuditLogEntry).where(AuditLogEntry.action == "export")
                               .order_by(AuditLogEntry.id)).all()


def test_csv_header_first_positions_evidence_totals(database, seeded):
    data, written = _export(database, "csv", "Microsoft")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0])[:6] == ["Record", "Publisher", "Product", "Edition", "Metric", "Entitled"]
    positions = [r for r in rows if r["Record"] == "position"]
    assert [(r["Product"], r["Entitled"], r["Consumed"], r["Balance"], r["Status"], r["Shortfall cost"],
             r["Surplus cost"]) for r in positions] == [
        ("Office", "2", "3", "-1", "short", "250.00", "0.00"),
        ("SQL Server", "8", "4", "4", "surplus", "0.00", "4000.00")]
    assert positions[0]["Explanation"].startswith("2 named-user licences; users alice (2 devices")
    assert positions[1]["Explanation"] == "cores: 8; core factor: 0.5; minimum per vm: 4"
    assert {r["Scope"] for r in rows} == {"Microsoft"} and {r["As of"] for r in rows} == {"2026-12-01T06:00:00Z"}
    evidence = [r for r in rows if r["Record"] == "evidence"]
    assert [(r["Product"], r["Device"], r["User"], r["Version"], r["Units"]) for r in evidence] == [
        ("Office", "host-1", "alice", "16.0.1", "1"), ("Office", "host-3", "bob", "16.0.1", "1"),
        ("Office", "host-4", "carol", "15.0.4", "1"), ("SQL Server", "host-2", "alice", "16.0", "4")]
    assert evidence[3]["Reason"] == "8 cores × 0.5, minimum 4 per VM → 4" and evidence[0]["Report id"] == "41"
    assert evidence[0]["First seen"] == "2026-05-15T06:00:00Z" and evidence[0]["CI id"] == str(seeded.ci_id)
    (total,) = [r for r in rows if r["Record"] == "total"]
    assert (total["Shortfall cost"], total["Surplus cost"], total["Units"]) == ("250.00", "4000.00", "7")
    assert "4 evidence rows" in total["Explanation"]
    assert written.rows == len(rows) and "Adobe" not in data.decode()
    (entry,) = _audit(database)
    assert entry.target == "sam-elp.csv" and entry.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry.detail["filters"] == {"publisher": "Microsoft", "run": str(seeded.run_id)}
    assert entry.actor == "auditor-1" and entry.detail["bytes"] == len(data)


def test_csv_neutralises_formulas(database, seeded):
    with database.write() as session:
        from collector.models.sam import SamConsumption

        row = session.scalars(select(SamConsumption).where(SamConsumption.device == "host-4")).one()
        row.user = "=HYPERLINK(\"http://x\")"
    data, _ = _export(database, "csv")
    assert "'=HYPERLINK" in data.decode() and HOSTILE in data.decode()


def test_xlsx_two_sheets_real_dates_numbers_filters(database, seeded):
    data, written = _export(database, "xlsx")
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Positions", "Evidence"]
    sheet = book["Positions"]
    header_row = next(r for r in range(1, 20) if sheet.cell(r, 1).value == "Publisher")
    assert sheet.freeze_panes == f"A{header_row + 1}" and sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.auto_filter.ref == f"A{header_row}:N{header_row + 4}"
    provenance = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(1, header_row - 1)}
    assert provenance["Scope"] == "all publishers" and provenance["As of"].startswith("2026-12-01 06:00:00 UTC")
    office = [sheet.cell(header_row + 3, c).value for c in range(1, 15)]
    assert office[:9] == ["Microsoft", "Office", "Professional Plus", "named_user", 2, 3, 0, -1, "short"]
    assert office[10] == 250.0 and sheet.cell(header_row + 3, 11).number_format == "#,##0.00"
    assert sheet.column_dimensions["N"].width > sheet.column_dimensions["E"].width
    evidence = book["Evidence"]
    assert evidence.freeze_panes == "A2" and evidence.auto_filter.ref == "A1:N8"
    first = [evidence.cell(2, c).value for c in range(1, 15)]
    assert first[4] == "host-1" and first[9] == 1 and isinstance(first[11], datetime)
    assert first[11] == datetime(2026, 5, 15, 6, 0)
    assert (evidence.cell(9, 1).value, evidence.cell(9, 10).value) == ("Total", 10)  # units of 7 rows
    assert written.rows == 4 + 7
    assert _audit(database)[0].detail["sha256"] == hashlib.sha256(data).hexdigest()


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "elp.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext")
def test_pdf_landscape_pages_numbered_x_of_y(database, seeded, tmp_path):
    many_evidence(database, seeded, 400)
    data, written = _export(database, "pdf", "Microsoft")
    assert data.startswith(b"%PDF") and b"/MediaBox [ 0 0 841.8898 595.2756 ]" in data  # A4 landscape
    text = _pdf_text(data, tmp_path)
    pages = text.split("\f")[:-1]
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        assert f"page {number} of {len(pages)}" in page
    assert "Scope:" in pages[0] and "Microsoft" in pages[0] and "As of:" in pages[0]
    assert "Evidence: Microsoft" in text and "bulk-00399" in text and "404 evidence rows" in text
    assert written.rows == 2 + 404
    assert _audit(database)[0].detail["sha256"] == hashlib.sha256(data).hexdigest()


def test_no_run_yet_gives_an_empty_report_that_says_so(database):
    seed_sam(database, with_runs=False)
    data, written = _export(database, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["Record"] for r in rows] == ["total"]
    with database.session() as session:
        report = build_elp(session, None, "me")
    assert report.run_id is None and "no position run yet" in report.positions.notes["As of"]


def test_five_thousand_devices_of_evidence_in_every_format(database, seeded):
    many_evidence(database, seeded, 5000)
    started = time.perf_counter()
    with database.session() as session:
        report = build_elp(session, "Microsoft", "bench", AS_OF)
        for fmt in ("csv", "xlsx", "pdf"):
            target = io.BytesIO()
            assert write_elp(report, fmt, target).rows >= 5004
    assert time.perf_counter() - started < 30
