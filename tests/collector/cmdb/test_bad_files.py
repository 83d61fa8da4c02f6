"""Bad register files: every problem named by row and column, and nothing stored.

Each test first imports one good CI, so "nothing stored" also means "nothing changed".
"""

import pytest

from collector.cmdb.reading import ImportLimits
from collector.errors import PayloadTooLarge
from tests.collector.cmdb.sheets import HOSTILE_SHEETS, issues, with_sheet_xml, xlsx_bytes

EXISTING = "Asset Tag,Serial Number,Location\nLT-0,PF3ABC00,Floor 0\n"


@pytest.fixture
def rejected(run_import, cmdb_state):
    """Import a bad file; assert it was refused and the CMDB is exactly as before. Returns the report."""
    run_import(EXISTING)
    before = cmdb_state()

    def run(data, fmt="csv", **options):
        report = run_import(data, fmt, **options)
        assert not report.ok
        assert (report.created, report.updated, report.batch, report.preview) == (0, 0, None, [])
        assert cmdb_state() == before
        return report

    return run


def test_unknown_and_missing_columns_are_named(rejected):
    report = rejected("Name,Colour,Serail Number\nlaptop,red,PF3ABC12\n")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (1, "Colour", 'unknown column; rename it to a known header, or map it to a field or to "ignore" in the mapping'),
        (1, "Serail Number", 'unknown column; rename it to a known header, or map it to a field or to "ignore" in the mapping'),
        (1, None, "missing column: a register needs an Asset Tag or a Serial Number column to know which CI each row is"),
    ]


def test_header_problems_and_row_problems_come_together(rejected):
    report = rejected("Asset Tag,Colour,,Purchase Date,Asset No,\nLT-1,red,x,2024-13-01,y,,z\n")
    assert issues(report) == [(1, "Colour"), (1, "C"), (1, "Asset No"), (2, "Purchase Date"), (2, "G")]
    assert report.errors[1].message == "column has no header"
    assert report.errors[2].message == "maps to asset_tag, like column 'Asset Tag'"
    assert report.errors[4].message == "value in a column without a header"


@pytest.mark.parametrize("value, message", [
    ("31/12/2024", "not a date: '31/12/2024'; write YYYY-MM-DD (or set date_format in the mapping)"),
    ("2024-02-30", "not a date: '2024-02-30'; write YYYY-MM-DD (or set date_format in the mapping)"),
    ("0224-01-01", "implausible year in '0224-01-01' (expected 1970-2100)"),
    ("soon", "not a date: 'soon'; write YYYY-MM-DD (or set date_format in the mapping)"),
])
def test_bad_dates(rejected, value, message):
    report = rejected(f"Asset Tag,Warranty End\nLT-1,2026-01-01\nLT-2,{value}\n")
    assert [(i.row, i.column, i.message) for i in report.errors] == [(3, "Warranty End", message)]


def test_an_excel_number_in_a_date_column_is_not_a_date(rejected):
    report = rejected(xlsx_bytes([["Asset Tag", "Purchase Date"], ["LT-1", 45123]]), "xlsx")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (2, "Purchase Date", "a number (45123), not a date; format the cell as a date or write YYYY-MM-DD")]


def test_non_utf8_bytes_name_the_line_row_and_column(rejected):
    data = "Asset Tag,Assigned User\nLT-1,anna\nLT-2,Jürgen Müller\n".encode("cp1252")
    report = rejected(data)
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (3, "Assigned User", "the file is not UTF-8: byte 0xFC on line 3 (byte 7 of the line) does not decode; "
                             "save the file as UTF-8 (in Excel: \"CSV UTF-8\") and import it again")]


def test_a_bad_byte_in_a_quoted_multiline_cell_is_located_by_record(rejected):
    data = b'Asset Tag,Notes,Location\nLT-1,"line one\nline two",Floor 1\nLT-2,fine,Caf\xe9\n'
    report = rejected(data)
    assert issues(report) == [(3, "Location")]
    assert "byte 0xE9 on line 4 (byte 14 of the line)" in report.errors[0].message


def test_duplicate_asset_tags_in_the_file(rejected):
    report = rejected("Asset Tag,Serial Number\nLT-1,PF3ABC01\nLT-2,PF3ABC02\nlt-1,PF3ABC03\nLT-2,PF3ABC04\n")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (4, "Asset Tag", "duplicate asset tag 'lt-1' (also on row 2)"),
        (5, "Asset Tag", "duplicate asset tag 'LT-2' (also on row 3)"),
    ]


def test_formula_cells_in_xlsx(rejected):
    data = xlsx_bytes([
        ["Asset Tag", "Name", "Notes"],
        ["LT-1", "ok", "fine"],
        ["LT-2", "=CONCAT(\"a\",\"b\")", '=HYPERLINK("http://evil.example/","click")'],
    ])
    report = rejected(data, "xlsx")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (3, "Name", "formula not allowed: '=CONCAT(\"a\",\"b\")'; paste the value instead"),
        (3, "Notes", "formula not allowed: '=HYPERLINK(\"http://evil.example/\",\"click…'; paste the value instead"),
    ]


@pytest.mark.parametrize("cell", [
    '"=HYPERLINK(""http://evil.example/"",""click"")"',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
    "-2+3",
    " =trimmed",
])
def test_formula_text_in_csv(rejected, cell):
    report = rejected(f"Asset Tag,Notes\nLT-1,fine\nLT-2,{cell}\n")
    assert issues(report) == [(3, "Notes")]
    assert report.errors[0].message.startswith("formula not allowed: ")


def test_escaped_formula_text_and_signed_numbers_are_text(run_import, ci):
    report = run_import("Asset Tag,Notes,Name\nLT-1,'=SUM(A1),-\nLT-2,+44 20 7946 0000,-5\n")
    assert report.ok, report.errors
    assert (ci("LT-1")[0].notes, ci("LT-1")[0].name) == ("=SUM(A1)", "-")
    assert (ci("LT-2")[0].notes, ci("LT-2")[0].name) == ("+44 20 7946 0000", "-5")


def test_excel_error_cells(rejected):
    from openpyxl import Workbook
    import io

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Asset Tag", "Model"])
    sheet.append(["LT-1", "#REF!"])  # openpyxl stores error strings as error cells
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = rejected(buffer.getvalue(), "xlsx")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (2, "Model", "the cell holds the spreadsheet error #REF!")]


def test_every_bad_row_and_column_is_named_at_once(rejected):
    csv = "\n".join([
        "Asset Tag,Class,Status,Serial Number,MAC Address(es),Cost,IP Address,Runs On,Connected To,Hostname",
        "LT-1,laptop,deployed,PF3ABC01,8c:8c:aa:10:00:01,1299.00,10.0.0.1,,,lap-1",  # good
        "LT-2,toaster,lost,PF3ABC02,8c:8c:aa:10:00:zz; 00:00:00:00:00:00,\"1,299.00\",10.0.0.300,,,lap 2",
        ",laptop,deployed,N/A,,,,,,",  # no tag and a placeholder serial
        "VM-1,vm,deployed,,,-5,,NOPE-1,SW-1,vm-1",
        "VM-2,vm,deployed,,,,,VM-2,,vm-2",
    ])
    report = rejected(csv)
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (3, "Class", "unknown class 'toaster'; use one of computer, server, virtual_machine, network_device, printer, "
                     "phone, peripheral, other (or add the spelling under [classes] in the mapping)"),
        (3, "Status", "unknown status 'lost'; use one of ordered, in_stock, deployed, in_repair, retired, disposed "
                      "(or add the spelling under [statuses] in the mapping)"),
        (3, "MAC Address(es)", "not a usable MAC address: '8c:8c:aa:10:00:zz', '00:00:00:00:00:00' "
                               "(separate several with ; , or a space)"),
        (3, "Cost", "not an amount: '1,299.00'; write a plain decimal such as 1234.50 "
                    "(no thousands separator, no decimal comma, at most 2 decimals)"),
        (3, "IP Address", "not an IP address: '10.0.0.300'"),
        (3, "Hostname", "not a host name: 'lap 2' (letters, digits, - and _ in dot-separated labels)"),
        (4, "Asset Tag", "needs an asset tag or a usable serial number"),
        (5, "Cost", "a cost cannot be negative: '-5'"),
        (5, "Connected To", "'SW-1' is not switch-asset-tag:port (for example SW-0101:Gi1/0/12)"),
        (6, "Runs On", "a CI cannot be runs_on itself"),
    ]
    assert [(w.row, w.column) for w in report.warnings] == [(4, "Serial Number")]


def test_a_relationship_to_an_unknown_ci(rejected):
    report = rejected("Asset Tag,Runs On,Connected To\nVM-1,ESX-404,LT-0:Gi1/0/1\n")
    assert [(i.row, i.column, i.message) for i in report.errors] == [
        (2, "Runs On", "no CI with asset tag 'ESX-404' in the file or the CMDB")]


def test_a_relationship_to_a_bad_row_is_not_called_unknown(rejected):
    report = rejected("Asset Tag,Class,Runs On\nSRV-1,toaster,\nVM-1,vm,SRV-1\n")
    assert issues(report) == [(2, "Class")]


def test_junk_serial_is_a_warning_not_an_error(run_import, ci):
    report = run_import("Asset Tag,Serial Number\nDT-1,To be filled by O.E.M.\nDT-2,0000000\n")
    assert (report.ok, report.created) == (True, 2)
    assert [(w.row, w.column, w.message) for w in report.warnings] == [
        (2, "Serial Number", "'To be filled by O.E.M.' is a placeholder, not a serial number; stored empty"),
        (3, "Serial Number", "'0000000' is a placeholder, not a serial number; stored empty"),
        (None, None, "no Class column: 2 new CIs are stored as computer"),
        (None, None, "no Status column: 2 new CIs are stored as deployed"),
    ]
    assert ci("DT-1")[0].serial is None


def test_too_many_rows_or_bytes(run_import, cmdb_state):
    before = cmdb_state()
    body = "Asset Tag\n" + "".join(f"LT-{n}\n" for n in range(11))
    with pytest.raises(PayloadTooLarge, match="more than 10 rows"):
        run_import(body, limits=ImportLimits(max_rows=10))
    with pytest.raises(PayloadTooLarge, match=f"the file is {len(body)} bytes; the limit is 50"):
        run_import(body, limits=ImportLimits(max_bytes=50))
    assert cmdb_state() == before


@pytest.mark.parametrize("data, message", [
    (b"Asset Tag\nLT-1\n", "not an XLSX workbook (an .xlsx file is a ZIP archive); send .xlsx or CSV"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
     "this is an Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx without a password"),
    (b"PK\x03\x04broken", "not a readable XLSX workbook: File is not a zip file"),
])
def test_files_that_are_not_xlsx(rejected, data, message):
    report = rejected(data, "xlsx")
    assert [(i.row, i.column, i.message) for i in report.errors] == [(None, None, message)]


# Each message names the problem; an entity is refused before it is expanded or fetched.
HOSTILE_MESSAGES = {
    "unclosed_row": "the workbook's XML is malformed (mismatched tag: line 1, column ",
    "billion_laughs": "the workbook's XML declares the entity 'l0'; entities are refused (they are how XML bombs",
    "external_entity": "the workbook's XML declares the entity 'x' (external: file:///etc/passwd); entities are "
                       "refused (they are how XML bombs",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SHEETS))
def test_malformed_and_hostile_sheet_xml_is_named_not_raised(rejected, name):
    report = rejected(with_sheet_xml(HOSTILE_SHEETS[name]), "xlsx")
    assert [(i.row, i.column) for i in report.errors] == [(None, None)]
    assert report.errors[0].message.startswith(HOSTILE_MESSAGES[name]), report.errors[0].message


def test_empty_file(rejected):
    report = rejected(b"\xef\xbb\xbf\n\n")
    assert [str(i) for i in report.errors] == ["file: the file is empty: no header row"]


def test_bad_mapping_documents():
    from collector.cmdb.mapping import parse_mapping
    from collector.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        parse_mapping({"colums": {}, "columns": {"Inventory #": "asettag"}, "date_format": "%Y",
                       "statuses": {"Live": "alive"}})
    assert [(f.field, f.message.split(";")[0].split(" is not")[0]) for f in caught.value.fields] == [
        ("mapping.colums", "unknown key"),
        ("mapping.columns.Inventory #", "'asettag'"),
        ("mapping.statuses.Live", "'alive'"),
        ("mapping.date_format", "must be a strptime format with day, month and year, such as %d/%m/%Y"),
    ]
