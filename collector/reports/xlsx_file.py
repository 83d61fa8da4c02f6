"""An export as XLSX through openpyxl's write-only workbook.

Write-only mode streams each row to a temporary file as it is added, so memory stays flat
at 100,000 rows. The data sheet is a plain table: the bold header on row 1, frozen, filtered
(autofilter) and repeated on every printed page, columns sized from the first rows' content,
ids and counts as numbers, times as real spreadsheet dates in UTC (Excel cannot label a zone;
the headers say "(UTC)"). The provenance is a second sheet, "About": report, as-of, scope,
generator, totals, and the audit entry and SHA-256 of the data, sealed before the file is
saved. The workbook's creator names Stocktake and the user.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from collector.reports.cells import spreadsheet_cell
from collector.reports.columns import measure, peek
from collector.reports.exports import Export, producer
from collector.reports.sealing import HASHED, RECOMPUTE, DataDigest, Seal, Sealed

__all__ = ["set_column_widths", "styled_cell", "write_xlsx", "xlsx_cell"]

_SHEET_CHARS = 150  # the width the relative column widths share, in characters
_FORMATS = {datetime: "yyyy-mm-dd hh:mm:ss", date: "yyyy-mm-dd"}
_MIN_CHARS, _MAX_CHARS = 6, 60


def write_xlsx(export: Export, target: BinaryIO, seal: Seal) -> int:
    """Write the workbook to ``target``; returns the number of data rows."""
    digest = DataDigest(export.headers, export.count_by)
    sample, rows = peek(export.rows())
    workbook = Workbook(write_only=True)
    _properties(workbook, export)
    sheet = workbook.create_sheet(_sheet_title(export.title))
    _table_setup(sheet, export, sample)
    bold = Font(bold=True)
    sheet.append([styled_cell(sheet, header, bold) for header in export.headers])
    for row in rows:
        digest.add(row)
        sheet.append([xlsx_cell(sheet, v) if isinstance(v, (date, Decimal)) else cell
                      for v, cell in zip(row, digest.values)])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(export.headers))}{digest.rows + 1}"
    _about(workbook, export, digest, seal(digest))
    workbook.save(target)
    return digest.rows


def _sheet_title(title: str) -> str:
    return "".join(ch for ch in title.title() if ch not in "[]:*?/\\")[:31]


def _properties(workbook: Workbook, export: Export) -> None:
    props = workbook.properties
    props.creator = f"{producer()} for {export.generated_by}"
    props.lastModifiedBy = export.generated_by
    props.title = f"Stocktake {export.title}"
    props.subject = f"{export.title}: {export.scope}"
    props.description = f"Export {export.export_id}, as of {export.generated_at:%Y-%m-%d %H:%M:%S} UTC"
    props.created = props.modified = export.generated_at.astimezone(timezone.utc).replace(tzinfo=None)


def _table_setup(sheet, export: Export, sample: list[tuple]) -> None:
    """Freeze, print titles, page set-up and widths: write-only sheets take these before the first row."""
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape" if len(export.headers) > 6 else "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    # Bold headers are a little wider than their characters; dates are shown as 19 characters.
    sizes = measure(export.headers, sample, _chars, lambda text: len(text) * 1.1)
    for index, size in enumerate(sizes, start=1):
        width = min(max(size.most, size.least, _MIN_CHARS), _MAX_CHARS) + 2
        sheet.column_dimensions[get_column_letter(index)].width = round(width, 1)


def _chars(text: str) -> float:
    return 19 if len(text) == 19 and text[4] == "-" and text[10] == " " else len(text)


def _about(workbook: Workbook, export: Export, digest: DataDigest, sealed: Sealed) -> None:
    sheet = workbook.create_sheet("About")
    sheet.column_dimensions["A"].width = 26
    sheet.column_dimensions["B"].width = 100
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    lines = [*export.provenance(), *digest.total_lines(),
             ("Audit log entry", sealed.entry_id), ("SHA-256 of the data", sealed.data_sha256),
             ("What is hashed", HASHED), ("To recompute from the CSV", RECOMPUTE),
             ("Data sheet", f"{_sheet_title(export.title)}: header on row 1, {digest.rows} data rows")]
    for label, value in lines:
        cell = WriteOnlyCell(sheet, value=spreadsheet_cell(value))
        cell.alignment = wrap
        sheet.append([styled_cell(sheet, label, bold), cell])


def styled_cell(sheet, value: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=spreadsheet_cell(value))
    cell.font = font
    return cell


def set_column_widths(sheet, export: Export) -> None:
    """Widths from the export's relative hints (the ELP's sheets, collector/sam/elp_files.py)."""
    weights = export.widths or tuple(max(len(h), 8) for h in export.headers)
    total = sum(weights)
    for index, (weight, header) in enumerate(zip(weights, export.headers), start=1):
        width = max(len(header) + 2, round(_SHEET_CHARS * weight / total), 10)
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 80)


def xlsx_cell(sheet, value: object) -> object:
    """Dates as dates (number format set), amounts as numbers, everything else as spreadsheet_cell makes it."""
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = "#,##0.00"
        return cell
    if not isinstance(value, date):
        return spreadsheet_cell(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = _FORMATS[datetime if isinstance(value, datetime) else date]
    return cell
