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


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(body: str, doctype: str = "") -> str:
    """Hand-written worksheet XML. The <dimension> tag makes openpyxl trust it and parse the
    rows only while they are read, which is where a broken sheet used to escape as a traceback."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<worksheet xmlns="{_MAIN_NS}">'
            f'<dimension ref="A1:A9"/><sheetData>{body}</sheetData></worksheet>')


def with_sheet_xml(xml: str) -> bytes:
    """A valid workbook whose first worksheet is replaced by ``xml``."""
    import zipfile

    source, out = io.BytesIO(xlsx_bytes([["Asset Tag"], ["LT-1"]])), io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, xml if item.filename == "xl/worksheets/sheet1.xml" else src.read(item))
    return out.getvalue()


HEADER_ROW = f'<row r="1">{text_cell("A1", "Asset Tag")}</row>'
# Nine nested levels of ten: 10^9 "a"s from one short cell if a parser expanded them.
_LAUGHS = ('<!DOCTYPE worksheet [<!ENTITY l0 "aaaaaaaaaa">'
           + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)) + "]>")
HOSTILE_SHEETS = {
    "unclosed_row": sheet_xml(HEADER_ROW + f'<row r="2">{text_cell("A2", "LT-1")}<row r="3">'
                              f'{text_cell("A3", "LT-2")}</row>'),
    "billion_laughs": sheet_xml(HEADER_ROW + f'<row r="2">{text_cell("A2", "&l9;")}</row>', _LAUGHS),
    "external_entity": sheet_xml(HEADER_ROW + f'<row r="2">{text_cell("A2", "&x;")}</row>',
                                 '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'),
}
