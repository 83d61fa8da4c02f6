"""Every export dataset in every format, opened and checked as an external auditor would.

A register of 130 assets, 14 scanned devices, their matches and 130 exceptions (ids past 100,
comments, notes, long summaries, MACs and a formula-like host name) is exported through the
same service the web UI, API and CLI use (``deliver_export``), then: the CSV's first row is
its header; the XLSX has typed dates and numbers, widths, autofilter, a frozen and printed
header and an About sheet; the PDF has no overlapping words (``pdftotext -bbox``), "Page X of
Y" on every page, totals and the audit entry and data hash on the last page; the ZIP's
sidecar matches the audit entry; the data hash recomputed from the files equals the recorded
one; file names carry the filters and never collide.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import subprocess
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from collector.access.audit_log import Actor, verify_chain
from collector.models import Asset, AuditLogEntry, Device, ExceptionComment
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch
from collector.queries.asset_register import RegisterFilters
from collector.reports.exports import (EXCEPTION_HEADERS, asset_register_export, exception_list_export,
                                       reconciliation_export)
from collector.reports.files import deliver_export
from collector.reports.kpi_export import kpi_export
from collector.reports.kpis import compute_kpis
from collector.reports.required_fields import required_fields

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
BY = "Alice Auditor (auditor)"
ACTOR = Actor(None, "alice", "198.18.0.9")
HOSTILE = '=HYPERLINK("http://198.18.0.7/x","click")'
ASSETS, DEVICES, EXCEPTIONS = 130, 14, 130
LONG = ("hostname differs between the register and what the agent reported; the register says fin-lt-1 "
        "and the machine says something else entirely, which needs a look by the desk")


def _mac(i: int) -> str:
    return f"02:00:5e:10:{i // 256:02x}:{i % 256:02x}"


@pytest.fixture
def register(database):
    """The data every export reads (see the module docstring)."""
    seen = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
    with database.write() as session:
        assets = [Asset(hostname=HOSTILE if i == 7 else f"host-{i:03d}", serial=f"SN{i:05d}", vendor="Dell",
                        model="Latitude 7440", os_name="Debian", os_version="12", last_seen_at=seen + timedelta(hours=i))
                  for i in range(1, ASSETS + 1)]
        devices = [Device(mac=_mac(i), ip=f"198.18.1.{i}", sys_name=None if i % 2 else f"printer-{i}", vendor="HP",
                          found_by=["arp"]) for i in range(1, DEVICES + 1)]
        session.add_all(assets + devices)
        session.flush()
        cis = [ConfigurationItem(asset_tag=f"LT-{i:04d}", name=f"Laptop {i}", serial=f"SN{i:05d}", hostname=f"host-{i:03d}",
                                 location="HQ floor 2", status="deployed", ci_class="computer") for i in range(1, 101)]
        session.add_all(cis)
        session.flush()
        for asset in assets:
            ci = cis[asset.id - assets[0].id] if asset.id - assets[0].id < 100 else None
            session.add(CiMatch(subject_type="asset", subject_id=asset.id, ci_id=ci.id if ci else None,
                                outcome="matched" if ci else "unmanaged", rule="vendor_serial" if ci else None,
                                explanation=f"CI {ci.id} by serial {asset.serial}" if ci else "no CI has this serial",
                                updated_at=seen))
        for device in devices:
            session.add(CiMatch(subject_type="device", subject_id=device.id, outcome="unmanaged",
                                explanation="no CI has this MAC", updated_at=seen))
        for n in range(EXCEPTIONS):
            on_device = n % 10 == 3
            subject = devices[n % DEVICES] if on_device else assets[n % ASSETS]
            acknowledged = n % 4 == 1
            session.add(AuditException(
                kind="unmanaged" if on_device else "drift", status="acknowledged" if acknowledged else "open",
                open_key=f"k{n}", subject_type="device" if on_device else "asset", subject_id=subject.id,
                summary=LONG if n % 5 == 0 else f"drift {n}", opened_at=seen - timedelta(days=n % 9),
                acknowledged_at=seen + timedelta(minutes=n) if acknowledged else None,
                resolution_note="note: waiting for the owner" if n == 2 else None))
        session.flush()
        first = session.scalar(select(AuditException.id).order_by(AuditException.id).limit(1))
        session.add_all([ExceptionComment(exception_id=first + 2, author="bob", body="checked with the owner",
                                          created_at=seen + timedelta(hours=1)),
                         ExceptionComment(exception_id=first + 2, author="carol", body="ticket\nINC-4711 raised",
                                          created_at=seen + timedelta(hours=2))])
    return first


def _build(session, dataset: str, **filters):
    if dataset == "assets":
        return asset_register_export(session, RegisterFilters(**filters), BY, NOW)
    if dataset == "reconciliation":
        return reconciliation_export(session, filters.get("outcome"), BY, NOW)
    if dataset == "kpis":
        return kpi_export(compute_kpis(session, NOW, 4, required_fields()), BY, NOW)
    return exception_list_export(session, filters.get("kind"), filters.get("status", "unresolved"), BY, NOW)


def _export(database, dataset: str, fmt: str, **filters):
    """(file bytes, written file, export, {action: entry detail}) for one delivered export."""
    target = io.BytesIO()
    with database.session() as session:
        export = _build(session, dataset, **filters)
        written = deliver_export(export, fmt, target, ACTOR, database.write)
    with database.session() as session:
        entries = session.scalars(select(AuditLogEntry).where(AuditLogEntry.detail["export_id"].as_string()
                                                              == export.export_id)).all()
        details = {e.action: {**e.detail, "id": e.id} for e in entries}
    return target.getvalue(), written, export, details


def _csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _text(cell) -> object:
    if cell.value is None:
        return ""
    if cell.is_date:
        return cell.value.strftime("%Y-%m-%d" if cell.number_format == "yyyy-mm-dd" else "%Y-%m-%d %H:%M:%S")
    return cell.value


def _hash_as_csv(sheet) -> str:
    """What sealing.py says is hashed, rebuilt from the cells of a workbook as an auditor would."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in sheet.iter_rows():
        writer.writerow([_text(cell) for cell in row])
    return hashlib.sha256(buffer.getvalue().encode("utf-8")).hexdigest()


def _pdftotext(data: bytes, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def _pdfinfo(data: bytes) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def _overlaps(data: bytes) -> list[tuple]:
    """Pairs of words on one page whose boxes intersect (more than rounding)."""
    found = []
    for page in _pdftotext(data, "-bbox").split("<page ")[1:]:
        words = sorted((float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in _WORD.findall(page))
        for i, (x0, y0, x1, y1, text) in enumerate(words):
            for u0, v0, u1, v1, other in words[i + 1:]:
                if u0 >= x1 - 0.3:
                    break
                if min(y1, v1) - max(y0, v0) > 0.5 and min(x1, u1) - max(x0, u0) > 0.3:
                    found.append((text, other))
    return found


DATASETS = {"assets": ASSETS, "reconciliation": ASSETS + DEVICES, "exceptions": EXCEPTIONS}


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_the_csv_starts_with_its_header_and_hashes_as_recorded(database, register, dataset):
    data, written, export, entries = _export(database, dataset, "csv")
    rows = _csv_rows(data)
    assert rows[0] == list(export.headers) and len(rows) == DATASETS[dataset] + 1
    entry = entries["export"]
    assert set(entries) == {"export"}  # the file is the data: one entry with both hashes
    assert entry["sha256"] == hashlib.sha256(data).hexdigest() == written.sha256
    assert entry["data_sha256"] == hashlib.sha256(data[3:]).hexdigest() == written.data_sha256
    assert entry["rows"] == DATASETS[dataset] and entry["totals"]["Rows"] == DATASETS[dataset]
    assert entry["file"] == written.filename and written.filename.endswith(f"-{export.export_id}.csv")
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_the_exception_export_names_subjects_and_carries_comments_and_notes(database, register):
    data, *_ = _export(database, "exceptions", "csv")
    rows = [dict(zip(EXCEPTION_HEADERS, r)) for r in _csv_rows(data)[1:]]
    ids = [int(r["Id"]) for r in rows]
    assert ids == sorted(ids) and ids[-1] >= 100  # numeric order: ..., 99, 100, 101 (never 10, 100, 101)
    commented = next(r for r in rows if int(r["Id"]) == register + 2)
    assert commented["Comments"] == ("2026-11-30 09:00 bob: checked with the owner | "
                                     "2026-11-30 10:00 carol: ticket INC-4711 raised")
    assert commented["Resolution note"] == "note: waiting for the owner"
    assert commented["Subject"] == "host-003 (serial SN00003, model Dell Latitude 7440, tag LT-0003)"
    device = next(r for r in rows if r["Subject type"] == "device")
    # The same words as the web pages (collector.queries.subjects): name, then MAC, IP, vendor.
    assert re.fullmatch(r"(printer-\d+|198\.18\.1\.\d+) \((MAC 02:00:5e:10:00:[0-9a-f]{2}, )?(IP 198\.18\.1\.\d+, )?"
                        r"vendor HP.*\)",
                        device["Subject"]), device["Subject"]
    assert rows[0]["Opened (UTC)"] == "2026-11-30 08:00:00"
    hostile = next(r for r in rows if "HYPERLINK" in r["Subject"])
    assert hostile["Subject"].startswith("'=HYPERLINK")


@pytest.mark.parametrize("dataset", [*sorted(DATASETS), "kpis"])
def test_the_xlsx_is_a_typed_filtered_table_with_an_about_sheet(database, register, dataset):
    data, written, export, entries = _export(database, dataset, "xlsx")
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames[1] == "About" and len(workbook.sheetnames) == 2
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    count = len(rows) - 1
    assert rows[0] == export.headers
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{chr(64 + len(export.headers))}{count + 1}"
    assert sheet.print_title_rows == "$1:$1"
    for index, header in enumerate(export.headers):
        assert sheet.column_dimensions[chr(65 + index)].width >= min(len(header), 60), header
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    # The same rows exported as CSV show the same cells and hash the same: any format's hash can
    # be checked from the CSV, and the XLSX's from its own cells.
    csv_data, *_ = _export(database, dataset, "csv")
    assert _csv_rows(csv_data) == [[str(_text(cell)) for cell in row] for row in sheet.iter_rows()]
    export_entry, file_entry = entries["export"], entries["export_file"]
    assert about["Audit log entry"] == export_entry["id"] == written.entry_id
    assert about["SHA-256 of the data"] == export_entry["data_sha256"] == _hash_as_csv(sheet)
    assert about["Total rows"] == count == export_entry["rows"] and about["Generated by"] == BY
    assert about["As of"] == "2026-12-06 12:00:00 UTC" and about["Export id"] == export.export_id
    assert file_entry["export_entry"] == export_entry["id"]
    assert file_entry["sha256"] == hashlib.sha256(data).hexdigest() == written.sha256
    assert workbook.properties.creator.startswith("Stocktake ") and BY in workbook.properties.creator
    assert hashlib.sha256(csv_data[3:]).hexdigest() == export_entry["data_sha256"]


def test_xlsx_dates_and_ids_are_typed(database, register):
    data, *_ = _export(database, "exceptions", "xlsx")
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    opened = EXCEPTION_HEADERS.index("Opened (UTC)") + 1
    first = sheet.cell(2, opened)
    assert first.is_date and first.value == datetime(2026, 11, 30, 8, 0) and first.number_format == "yyyy-mm-dd hh:mm:ss"
    ids = [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids)
    assert sheet.column_dimensions[chr(64 + opened)].width >= 19


@pytest.mark.parametrize("dataset", [*sorted(DATASETS), "kpis"])
def test_the_pdf_fits_numbers_its_pages_and_ends_with_totals_and_the_seal(database, register, dataset):
    data, written, export, entries = _export(database, dataset, "pdf")
    text = _pdftotext(data, "-layout")
    pages = text.split("\f")[:-1]
    assert len(pages) >= (2 if dataset != "kpis" else 1)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        # The header row repeats on every page of the table (the totals may start a page of their own).
        assert export.headers[0] in page or (number == len(pages) and page.strip().startswith("Total rows:"))
    assert _overlaps(data) == []
    last = " ".join(pages[-1].split())
    entry = entries["export"]
    assert f"Total rows: {entry['rows']}" in last
    assert f"Audit log entry: {entry['id']}" in last and f"SHA-256 of the data: {entry['data_sha256']}" in last
    assert "tail -c +4 export.csv | sha256sum" in last
    first = " ".join(pages[0].split())
    assert f"Stocktake {export.title}" in first and "As of: 2026-12-06 12:00:00 UTC" in first
    assert f"Scope: {export.scope}" in first
    info = _pdfinfo(data)
    assert info["Author"] == BY and info["Creator"].startswith("Stocktake ") and info["Title"] == f"Stocktake {export.title}"
    assert export.scope in info["Subject"]
    assert entries["export_file"]["sha256"] == hashlib.sha256(data).hexdigest()
    csv_data, *_ = _export(database, dataset, "csv")
    assert hashlib.sha256(csv_data[3:]).hexdigest() == entry["data_sha256"]


def test_pdf_cells_keep_tokens_whole_and_wide_tables_turn_landscape(database, register):
    data, *_ = _export(database, "exceptions", "pdf")
    assert _pdfinfo(data)["Page size"].startswith("841.89 x 595.276")  # 15 columns: landscape A4
    flat = _pdftotext(data, "-raw").replace("\u00a0", " ")
    assert "02:00:5e:10:00:04" in flat and "2026-11-30 08:00:00" in flat  # MACs and date-times unbroken
    assert "ticket INC-4711 raised" in flat.replace("\n", " ")
    kpis, *_ = _export(database, "kpis", "pdf")
    assert _pdfinfo(kpis)["Page size"].startswith("595.276 x 841.89")  # 6 narrow columns: portrait


def test_an_empty_export_still_has_its_header_totals_and_seal(database):
    data, _, export, entries = _export(database, "exceptions", "pdf")
    text = " ".join(_pdftotext(data, "-layout").split())
    assert "No rows: nothing matched the scope above" in text and "Total rows: 0" in text and "Page 1 of 1" in text
    assert entries["export"]["data_sha256"] == hashlib.sha256(("\r\n".join([",".join(export.headers), ""]))
                                                             .encode()).hexdigest()


def test_the_zip_holds_the_plain_csv_and_its_sidecar(database, register):
    data, written, export, entries = _export(database, "exceptions", "zip", kind="drift")
    archive = zipfile.ZipFile(io.BytesIO(data))
    stem = written.filename.removesuffix(".zip")
    assert archive.namelist() == [f"{stem}.csv", f"{stem}.csv.json"] and "-kind-drift-" in stem
    member = archive.read(f"{stem}.csv")
    sidecar = json.loads(archive.read(f"{stem}.csv.json"))
    entry = entries["export"]
    assert _csv_rows(member)[0] == list(export.headers)
    assert sidecar["audit_entry"] == entry["id"] and sidecar["data_sha256"] == entry["data_sha256"]
    assert hashlib.sha256(member[3:]).hexdigest() == entry["data_sha256"]
    assert sidecar["filters"] == {"kind": "drift", "status": "unresolved"} == entry["filters"]
    assert sidecar["rows"] == len(_csv_rows(member)) - 1 == entry["rows"]
    assert sidecar["generated_by"] == BY and sidecar["as_of"] == NOW.isoformat()
    assert entries["export_file"]["sha256"] == hashlib.sha256(data).hexdigest()
    with database.session() as session:
        assert verify_chain(session).ok


def test_file_names_carry_the_filters_and_never_collide(database, register):
    names = {_export(database, "exceptions", fmt, kind="drift")[1].filename for fmt in ("csv", "csv", "pdf", "pdf")}
    assert len(names) == 4
    for name in names:
        assert re.fullmatch(r"stocktake-exceptions-kind-drift-status-unresolved-20261206T120000Z-[0-9a-f]{10}\.(csv|pdf)",
                            name), name
    assert _export(database, "assets", "csv", q="host-00")[1].filename.startswith(
        "stocktake-assets-search-host-00-sort-hostname-")


def test_totals_count_the_rows_by_status(database, register):
    data, _, _, entries = _export(database, "exceptions", "xlsx")
    totals = entries["export"]["totals"]
    acknowledged = sum(1 for n in range(EXCEPTIONS) if n % 4 == 1)
    assert totals == {"Rows": EXCEPTIONS, "Status: acknowledged": acknowledged, "Status: open": EXCEPTIONS - acknowledged}
    about = dict(load_workbook(io.BytesIO(data))["About"].iter_rows(values_only=True))
    assert (about["Total rows"], about["Rows with Status = acknowledged"]) == (EXCEPTIONS, acknowledged)
    pdf, *_ = _export(database, "exceptions", "pdf")
    last = " ".join(_pdftotext(pdf, "-layout").split("\f")[-2].split())
    assert f"Rows with Status = open: {EXCEPTIONS - acknowledged}" in last


def test_long_tokens_break_inside_their_column_and_tall_cells_say_where_the_rest_is(tmp_path):
    from collector.reports.exports import Export
    from collector.reports.files import write_export
    from collector.reports.pdf_file import FONT, register_fonts, wrap_text
    from collector.reports.sealing import Sealed
    from reportlab.pdfbase.pdfmetrics import stringWidth

    register_fonts()
    url = "https://198.18.0.7/" + "a" * 400
    lines = wrap_text(f"see {url} now", FONT, 7, 80)
    assert "".join(lines).replace(" ", "") == f"see{url}now" and all(stringWidth(x, FONT, 7) <= 80 for x in lines)
    rows = [(n, url, "word " * 2000, _mac(n), NOW, "w " * 500) for n in range(1, 4)]
    export = Export("assets", "asset register", ("Id", "Link", "Notes", "MAC", "Seen (UTC)", "X"), lambda: iter(rows),
                    NOW, BY, {})
    target = io.BytesIO()
    written = write_export(export, "pdf", target, lambda digest: Sealed(42, digest.sha256, digest.rows))
    data = target.getvalue()
    assert written.entry_id == 42 and _overlaps(data) == []
    text = _pdftotext(data, "-layout")
    assert " ".join(text.split()).count("… (the CSV holds the rest)") == 3 and _mac(3) in text
    assert "Audit log entry: 42" in " ".join(text.split())
