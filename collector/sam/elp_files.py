"""The ELP as a file: CSV (one table, header first), XLSX (Positions and Evidence sheets) or PDF.

Built on the shared export writers of collector/reports/ (spreadsheet-safe cells, XLSX dates,
the PDF table with its embedded font) with what an ELP adds: the CSV starts with its header so
any CSV reader takes it as it is (the scope and as-of time are columns), the XLSX has two
filterable sheets whose headers repeat on printed pages, the PDF numbers its pages "X of Y".
Rows stream from the database (write-only XLSX, page-by-page PDF): 5,000 devices of evidence
take seconds.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from collector.reports.cells import spreadsheet_cell
from collector.reports.exports import Export
from collector.reports.files import MEDIA_TYPES
from collector.reports.pdf_file import BOLD, FONT, MARGIN, register_fonts, PdfTable
from collector.reports.xlsx_file import xlsx_cell, set_column_widths, styled_cell
from collector.sam.elp import EVIDENCE_HEADERS, POSITION_HEADERS, ElpFile, ElpReport

__all__ = ["CSV_HEADERS", "csv_table", "write"]

CSV_HEADERS = ("Record", *POSITION_HEADERS, *EVIDENCE_HEADERS[4:], "Scope", "As of")
_EVIDENCE_ONLY = len(EVIDENCE_HEADERS) - 4
_MONEY = "#,##0.00"
_PIECE = 64 * 1024


def write(report: ElpReport, fmt: str, target: BinaryIO) -> ElpFile:
    start = target.tell()
    rows = {"csv": _write_csv, "xlsx": _write_xlsx, "pdf": _write_pdf}[fmt](report, target)
    end = target.tell()
    target.seek(start)
    digest = hashlib.file_digest(target, "sha256").hexdigest()
    target.seek(end)
    return ElpFile(f"{report.file_stem}.{fmt}", MEDIA_TYPES[fmt], digest, end - start, rows)


# --- CSV -----------------------------------------------------------------------------------

def _csv_value(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else value.isoformat()
    return spreadsheet_cell(value)


def csv_table(headers: Iterable[str], rows: Iterable[tuple], target: BinaryIO) -> int:
    """A plain CSV (UTF-8 with a byte order mark, header first, CRLF); returns the data rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers)
    count = 0
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
        count += 1
        if buffer.tell() >= _PIECE:
            target.write(buffer.getvalue().encode("utf-8"))
            buffer.seek(0)
            buffer.truncate()
    target.write(buffer.getvalue().encode("utf-8"))
    return count


def _csv_rows(report: ElpReport) -> Iterator[tuple]:
    tail = (report.scope, report.as_of)
    blank = (None,) * _EVIDENCE_ONLY
    for row in report.positions.rows():
        yield ("position", *row, *blank, *tail)
    for row in report.evidence.rows():
        yield ("evidence", *row[:4], *(None,) * (len(POSITION_HEADERS) - 4), *row[4:], *tail)
    for currency, shortfall, surplus in report.totals.money_rows() or [("", Decimal(0), Decimal(0))]:
        yield ("total", report.scope, None, None, None, None, None, None, None, None, None, shortfall, surplus,
               currency or None, _totals_words(report), *(None,) * 5, report.totals.units, *(None,) * 4, *tail)


def _totals_words(report: ElpReport) -> str:
    totals = report.totals
    return f"{totals.words()}; {totals.evidence_rows} evidence rows, {totals.units} units"


def _write_csv(report: ElpReport, target: BinaryIO) -> int:
    return csv_table(CSV_HEADERS, _csv_rows(report), target)


# --- XLSX ----------------------------------------------------------------------------------

def _xlsx_value(sheet, value: object) -> object:
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = _MONEY
        return cell
    return xlsx_cell(sheet, value)


def _sheet(workbook: Workbook, title: str, export: Export, provenance: list[tuple[str, str]]):
    """A sheet with the provenance rows (if any), then the bold header, frozen and printed on every page."""
    sheet = workbook.create_sheet(title)
    header_row = len(provenance) + (2 if provenance else 1)
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    set_column_widths(sheet, export)
    bold = Font(bold=True)
    for label, value in provenance:
        sheet.append([styled_cell(sheet, label, bold), spreadsheet_cell(value)])
    if provenance:
        sheet.append([])
    sheet.append([styled_cell(sheet, header, bold) for header in export.headers])
    return sheet, header_row


def _table(sheet, header_row: int, columns: int, rows: Iterable[tuple]) -> int:
    count = 0
    for row in rows:
        sheet.append([_xlsx_value(sheet, v) for v in row])
        count += 1
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{header_row + max(count, 1)}"
    return count


def _write_xlsx(report: ElpReport, target: BinaryIO) -> int:
    workbook = Workbook(write_only=True)
    positions, header = _sheet(workbook, "Positions", report.positions, report.positions.provenance())
    count = _table(positions, header, len(POSITION_HEADERS), report.positions.rows())
    evidence, header = _sheet(workbook, "Evidence", report.evidence, [])
    count += _table(evidence, header, len(EVIDENCE_HEADERS), report.evidence.rows())
    bold = Font(bold=True)
    positions.append([])
    for currency, shortfall, surplus in report.totals.money_rows():
        positions.append([styled_cell(positions, "Total", bold), *[None] * 9, _xlsx_value(positions, shortfall),
                          _xlsx_value(positions, surplus), currency, _totals_words(report)])
    evidence.append([styled_cell(evidence, "Total", bold), *[None] * 8, report.totals.units,
                     f"{report.totals.evidence_rows} evidence rows"])
    workbook.save(target)
    return count


# --- PDF -----------------------------------------------------------------------------------

_PAGES_FORM = "elp-page-count"


class _ElpTable(PdfTable):
    """The shared PDF table, with sections (positions, then evidence) and "page X of Y" footers:
    Y is a form drawn once the last page is known and referenced from every footer."""

    def __init__(self, canvas: Canvas, export: Export, scope: str) -> None:
        super().__init__(canvas, export)
        self.scope = scope

    def footer(self) -> None:
        text = (f"Stocktake Effective License Position · {self.scope} · generated "
                f"{self.export.generated_at:%Y-%m-%d %H:%M UTC} by {self.export.generated_by} · page {self.page} of ")
        self.canvas.setFont(FONT, 6.5)
        self.canvas.drawString(MARGIN, MARGIN - 12, text)
        self.canvas.saveState()
        self.canvas.translate(MARGIN + stringWidth(text, FONT, 6.5), MARGIN - 12)
        self.canvas.doForm(_PAGES_FORM)
        self.canvas.restoreState()

    def section(self, export: Export, title: str) -> None:
        """Start ``export``'s table on a new page under a heading."""
        self.footer()
        self.canvas.showPage()
        self.page += 1
        self.export = export
        weights = export.widths or (1,) * len(export.headers)
        self.columns = [(self.width - 2 * MARGIN) * w / sum(weights) for w in weights]
        self.y = self.height - MARGIN
        self.canvas.setFont(BOLD, 11)
        self.canvas.drawString(MARGIN, self.y - 11, title)
        self.y -= 18
        self.header()

    def finish(self) -> None:
        self.footer()
        self.canvas.beginForm(_PAGES_FORM)
        self.canvas.setFont(FONT, 6.5)
        self.canvas.drawString(0, 0, str(self.page))
        self.canvas.endForm()


def _pdf_rows(table: _ElpTable, rows: Iterable[tuple], columns: int) -> int:
    count = 0
    for values in rows:
        table.row([f"{v:.2f}" if isinstance(v, Decimal) else v for v in values])
        count += 1
    if count == 0:
        table.row(["(no rows)"] + [""] * (columns - 1))
    return count


def _write_pdf(report: ElpReport, target: BinaryIO) -> int:
    register_fonts()
    canvas = Canvas(target, pagesize=landscape(A4), pageCompression=1)
    canvas.setTitle(f"Stocktake Effective License Position: {report.scope}")
    canvas.setAuthor(report.positions.generated_by)
    table = _ElpTable(canvas, report.positions, report.scope)
    table.provenance()
    table.header()
    count = _pdf_rows(table, report.positions.rows(), len(POSITION_HEADERS))
    for currency, shortfall, surplus in report.totals.money_rows():
        table.row(("Total", "", "", "", "", "", "", "", "", "", f"{shortfall:.2f}", f"{surplus:.2f}", currency, ""))
    table.section(report.evidence, f"Evidence: {report.scope}")
    count += _pdf_rows(table, report.evidence.rows(), len(EVIDENCE_HEADERS))
    table.row(("Total", "", "", "", f"{report.totals.evidence_rows} evidence rows", "", "", "", "",
               report.totals.units, "", "", "", ""))
    table.finish()
    canvas.save()
    return count

