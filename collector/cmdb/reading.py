"""CSV and XLSX bytes to a header and numbered rows of raw cell values.

CSV must be UTF-8 (a byte-order mark is fine: Excel's "CSV UTF-8" writes one). Any other
encoding is refused with the line, row and column of the first byte that does not decode:
guessing between cp1252, latin-1 and MacRoman silently corrupts names and serials. The
delimiter is whichever of ``,`` ``;`` or tab the header line uses most (Excel in many
European locales writes ``;``).

XLSX is read with openpyxl in read-only mode (rows stream from the sheet XML) from the first
worksheet. Formula cells come back as ``Formula`` and error cells (``#REF!``) as
``CellError`` so that validation can refuse them by row and column. Before openpyxl sees the
file, the ZIP directory's uncompressed sizes are checked so that a small file cannot inflate
to gigabytes. openpyxl parses through defusedxml (a collector dependency): an entity
declaration (billion laughs, external entities) is refused before anything is expanded or
fetched. The rows are parsed while they are read, so a sheet that is malformed or hostile
half-way through is named as a file problem there too, never raised.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import ParseError

from collector.cmdb.report import RowIssue
from collector.errors import PayloadTooLarge

__all__ = [
    "CSV_TYPES",
    "CellError",
    "Formula",
    "ImportLimits",
    "Sheet",
    "XLSX_TYPE",
    "column_letter",
    "guess_format",
    "read_sheet",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPES = ("text/csv", "application/csv", "text/plain")
_BOM = b"\xef\xbb\xbf"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls, and password-protected .xlsx


@dataclass(frozen=True)
class ImportLimits:
    """Caps on one import: file bytes, data rows, and bytes inside an XLSX once unzipped."""

    max_bytes: int = 16 * 1024 * 1024
    max_rows: int = 100_000

    @property
    def max_unpacked_bytes(self) -> int:
        # Sheet XML compresses about 10:1; more than 16:1 overall is not a register.
        return 16 * self.max_bytes


@dataclass(frozen=True)
class Formula:
    text: str


@dataclass(frozen=True)
class CellError:
    code: str


@dataclass
class Sheet:
    """The header row and every non-blank row after it, numbered as a spreadsheet shows them."""

    headers: list[str] = field(default_factory=list)
    header_row: int = 1
    rows: list[tuple[int, list]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)  # file-level: the rows could not be read


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def guess_format(filename: str | None, content_type: str | None) -> str | None:
    """"csv" or "xlsx" from a file name's extension or a media type; None when neither says."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content_type == XLSX_TYPE:
        return "xlsx"
    if name.endswith(".csv") or content_type in CSV_TYPES:
        return "csv"
    return None


def read_sheet(data: bytes, fmt: str, limits: ImportLimits) -> Sheet:
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(f"the file is {len(data)} bytes; the limit is {limits.max_bytes}")
    if fmt == "xlsx":
        return _read_xlsx(data, limits)
    if fmt == "csv":
        return _read_csv(data, limits)
    raise ValueError(f"unknown format {fmt!r}")


def _is_blank(values: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _collect(records, limits: ImportLimits) -> Sheet:
    """Header = first non-blank record; blank records after it are skipped but keep their numbers."""
    sheet = Sheet()
    for number, values in records:
        if _is_blank(values):
            continue
        if not sheet.headers:
            sheet.headers = _header_cells(values)
            sheet.header_row = number
            continue
        if len(sheet.rows) >= limits.max_rows:
            raise PayloadTooLarge(f"the file has more than {limits.max_rows} rows; split it into several imports")
        sheet.rows.append((number, values))
    if not sheet.headers:
        sheet.issues.append(RowIssue(None, None, "the file is empty: no header row"))
    return sheet


def _header_cells(values: list) -> list[str]:
    headers = ["" if v is None else str(v).strip() for v in values]
    while headers and not headers[-1]:
        headers.pop()
    return headers


# --- CSV --------------------------------------------------------------------------------

def _read_csv(data: bytes, limits: ImportLimits) -> Sheet:
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Sheet(issues=[_encoding_issue(data, exc)])
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return Sheet(issues=[RowIssue(None, None, f"NUL byte on line {line}: this is not a text CSV file")])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        return _collect(enumerate(reader, start=1), limits)
    except csv.Error as exc:
        return Sheet(issues=[RowIssue(None, None, f"line {reader.line_num}: {exc}")])


def _delimiter(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _encoding_issue(data: bytes, exc: UnicodeDecodeError) -> RowIssue:
    """Name the first undecodable byte by line and byte offset, and the row and column it sits in."""
    prefix = data[: exc.start]
    line = prefix.count(b"\n") + 1
    offset = exc.start - (prefix.rfind(b"\n") + 1) + 1
    message = (f"the file is not UTF-8: byte 0x{data[exc.start]:02X} on line {line} (byte {offset} of the line) "
               "does not decode; save the file as UTF-8 (in Excel: \"CSV UTF-8\") and import it again")
    row, column = _locate(prefix.decode("utf-8"))
    return RowIssue(row, column, message)


def _locate(text_before: str) -> tuple[int | None, str | None]:
    # A sentinel where the bad byte was lands in the record and field that byte belongs to.
    try:
        records = list(csv.reader(io.StringIO(text_before + "\x01", newline=""), delimiter=_delimiter(text_before)))
    except csv.Error:
        return None, None
    row, index = len(records), len(records[-1]) - 1
    headers = _header_cells(records[0]) if row > 1 else []
    return row, (headers[index] if index < len(headers) and headers[index] else column_letter(index))


# --- XLSX -------------------------------------------------------------------------------

def _read_xlsx(data: bytes, limits: ImportLimits) -> Sheet:
    problem = _xlsx_container_problem(data, limits)
    if problem:
        return Sheet(issues=[RowIssue(None, None, problem)])
    from openpyxl import load_workbook

    from defusedxml import DefusedXmlException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, its own errors... for a broken package
        cause = _xml_error(exc)  # openpyxl wraps an XML error in a ValueError of its own
        message = (_xml_problem(cause) if cause is not None
                   else f"not a readable XLSX workbook ({type(exc).__name__}: {exc})")
        return Sheet(issues=[RowIssue(None, None, message)])
    try:
        if not workbook.worksheets:
            return Sheet(issues=[RowIssue(None, None, "the workbook has no worksheet")])
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # trust the rows, not the <dimension> tag some writers get wrong
        return _collect(_xlsx_records(sheet), limits)
    except (ParseError, DefusedXmlException) as exc:  # the rows stream: a bad tag surfaces mid-read
        return Sheet(issues=[RowIssue(None, None, _xml_problem(exc))])
    finally:
        workbook.close()


def _xml_error(exc: BaseException | None) -> Exception | None:
    from defusedxml import DefusedXmlException

    for _ in range(8):  # a cause chain is short; never follow a cycle
        if exc is None or isinstance(exc, (ParseError, DefusedXmlException)):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _xml_problem(exc: Exception) -> str:
    """Name what is wrong with the workbook's XML in words the person who exported it can act on."""
    from defusedxml import EntitiesForbidden, ExternalReferenceForbidden

    if isinstance(exc, ParseError):
        return f"the workbook's XML is malformed ({exc}); open the file in Excel or LibreOffice and save it again"
    if isinstance(exc, EntitiesForbidden):
        external = f" (external: {exc.sysid})" if exc.sysid else ""
        return (f"the workbook's XML declares the entity '{exc.name}'{external}; entities are refused (they are how "
                "XML bombs and reads of the server's files work) and spreadsheet programs never write them")
    if isinstance(exc, ExternalReferenceForbidden):
        return f"the workbook's XML refers to the external resource {exc.sysid!r}; refused"
    return f"the workbook's XML was refused: {exc}"


def _xlsx_container_problem(data: bytes, limits: ImportLimits) -> str | None:
    if data.startswith(_OLE_MAGIC):
        return "this is an Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx without a password"
    if not data.startswith(_ZIP_MAGIC):
        return "not an XLSX workbook (an .xlsx file is a ZIP archive); send .xlsx or CSV"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as exc:
        return f"not a readable XLSX workbook: {exc}"
    if unpacked > limits.max_unpacked_bytes:
        raise PayloadTooLarge(f"the workbook unpacks to {unpacked} bytes; the limit is {limits.max_unpacked_bytes}")
    return None


def _xlsx_records(sheet):
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        number = next((c.row for c in cells if getattr(c, "row", None)), number)
        yield number, [_xlsx_value(cell) for cell in cells]


def _xlsx_value(cell):
    if cell.data_type == "f":
        return Formula(str(cell.value))
    if cell.data_type == "e":
        return CellError(str(cell.value))
    value = cell.value
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    return value
