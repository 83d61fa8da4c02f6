"""An export as XLSX through openpyxl's write-only workbook.

Write-only mode streams each row to a temporary file as it is added, so memory stays flat
at 100,000 rows. The provenance is the first rows of the sheet, above the header, and the
header row is frozen so it stays in view.
"""

from __future__ import annotations

from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from collector.reports.cells import spreadsheet_cell
from collector.reports.exports import Export

__all__ = ["write_xlsx"]


def write_xlsx(export: Export, target: BinaryIO) -> int:
    """Write the workbook to ``target``; returns the number of data rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(export.title[:31].title())
    provenance = export.provenance()
    sheet.freeze_panes = f"A{len(provenance) + 3}"
    bold = Font(bold=True)
    for label, value in provenance:
        sheet.append([_styled(sheet, label, bold), spreadsheet_cell(value)])
    sheet.append([])
    sheet.append([_styled(sheet, header, bold) for header in export.headers])
    rows = 0
    for row in export.rows():
        sheet.append([spreadsheet_cell(v) for v in row])
        rows += 1
    workbook.save(target)
    return rows


def _styled(sheet, value: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=spreadsheet_cell(value))
    cell.font = font
    return cell
