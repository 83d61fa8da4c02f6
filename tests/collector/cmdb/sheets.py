"""Building test files: XLSX workbooks from rows, and the (row, column) of a report's errors."""

from __future__ import annotations

import io


def xlsx_bytes(rows: list[list]) -> bytes:
    """A workbook with one sheet holding ``rows``; a str starting with "=" becomes a formula cell."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def issues(report) -> list[tuple]:
    return [(issue.row, issue.column) for issue in report.errors]
