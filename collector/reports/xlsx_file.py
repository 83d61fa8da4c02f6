"""An export as XLSX through openpyxl's write-only workbook.

Write-only mode streams each row to a temporary file as it is added, so memory stays flat
at 100,000 rows. The provenance is the first rows of the sheet, above the header, and the
header row is frozen so it stays in view. Dates and times are real spreadsheet dates (UTC,
which Excel cannot label), so they sort and filter as dates; column widths follow the
export's relative widths, or the headers.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from collector.reports.cells import spreadsheet_cell
from collector.reports.exports import Export

__all__ = ["set_column_widths", "styled_cell", "write_xlsx", "xlsx_cell"]

_SHEET_CHARS = 150  # the width the relative column widths share, in characters
_FORMATS = {datetime: "yyyy-mm-dd hh:mm:ss", date: "yyyy-mm-dd"}


def write_xlsx(export: Export, target: BinaryIO) -> int:
    """Write the workbook to ``target``; returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(export.title[:31].title())
    provenance = export.provenance()
    sheet.freeze_panes = f"A{len(provenance) + 3}"
    set_column_widths(sheet, export)  # write-only sheets take column widths before the first row only
    bold = Font(bold=True)
    for label, value in provenance:
        sheet.append([styled_cell(sheet, label, bold), spreadsheet_cell(value)])
    sheet.append([])
    sheet.append([styled_cell(sheet, header, bold) for header in export.headers])
    rows = 0
    for row in export.rows():
        sheet.append([xlsx_cell(sheet, v) for v in row])
        rows += 1
    workbook.save(target)
    return rows


def styled_cell(sheet, value: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=spreadsheet_cell(value))
    cell.font = font
    return cell


def set_column_widths(sheet, export: Export) -> None:
    weights = export.widths or tuple(max(len(h), 8) for h in export.headers)
    total = sum(weights)
    for index, (weight, header) in enumerate(zip(weights, export.headers), start=1):
        width = max(len(header) + 2, round(_SHEET_CHARS * weight / total), 10)
        sheet.column_dimensions[get_column_letter(index)].width = min(width, 80)


def xlsx_cell(sheet, value: object) -> object:
    """Dates as dates (number format set), everything else as spreadsheet_cell makes it."""
    if not isinstance(value, date):
        return spreadsheet_cell(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = _FORMATS[datetime if isinstance(value, datetime) else date]
    return cell
