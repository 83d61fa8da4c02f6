"""Exporting the CMDB as CSV or XLSX, with the headers the importer reads back.

Both formats stream: CIs are read in id order in chunks, CSV is yielded line batch by line
batch, and XLSX goes through openpyxl's write-only workbook (rows are written to a temporary
file as they come), so memory stays flat whatever the CMDB's size.

Text that a spreadsheet would evaluate (starting with = + - @, tab or CR) is written with a
leading apostrophe (OWASP "CSV injection"); the importer strips it again, so a round trip
returns the stored value. Relationships exported are the register's own (source "import"),
by the target's asset tag; a target without an asset tag is left empty.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from collector.cmdb.cells import FORMULA_PREFIXES
from collector.cmdb.columns import COLUMNS
from collector.cmdb.stored import STORED
from collector.models.cmdb import CiMac, CiRelationship, ConfigurationItem

__all__ = ["EXPORT_HEADERS", "export_csv", "export_xlsx", "neutralise"]

EXPORT_HEADERS = [column.header for column in COLUMNS]
_CHUNK = 500


def neutralise(value: object) -> object:
    """Prefix text a spreadsheet would run as a formula with ``'`` (and text already so escaped)."""
    if isinstance(value, str) and value.lstrip("'")[:1] in FORMULA_PREFIXES and value.lstrip("'"):
        return "'" + value
    return value


def export_csv(session: Session) -> Iterator[str]:
    """The CMDB as UTF-8 CSV text with a byte-order mark (so that Excel reads it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADERS)
    yield "\ufeff" + _drain(buffer)
    for chunk in _chunks(session):
        writer.writerows([_csv_value(v) for v in row] for row in chunk)
        yield _drain(buffer)


def export_xlsx(session: Session, target: BinaryIO) -> None:
    """Write the CMDB to ``target`` as an XLSX workbook with one sheet, "CIs"."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("CIs")
    bold = Font(bold=True)
    header = []
    for name in EXPORT_HEADERS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for chunk in _chunks(session):
        for row in chunk:
            sheet.append(row)
    workbook.save(target)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _csv_value(value: object) -> object:
    return "" if value is None else str(value)


def _chunks(session: Session) -> Iterator[list[list]]:
    """Rows of export values (None for empty), by CI id, ``_CHUNK`` CIs at a time."""
    columns = [getattr(ConfigurationItem, name) for name in STORED]
    last_id = 0
    while True:
        found = session.execute(select(ConfigurationItem.id, *columns).where(ConfigurationItem.id > last_id)
                                .order_by(ConfigurationItem.id).limit(_CHUNK)).all()
        if not found:
            return
        last_id = found[-1][0]
        macs, links = _links([ci_id for ci_id, *_ in found], session)
        yield [_row(dict(zip(STORED, stored)), macs.get(ci_id, ()), links.get(ci_id, {}))
               for ci_id, *stored in found]


def _links(ids: list[int], session: Session) -> tuple[dict[int, list[str]], dict[int, dict[str, str]]]:
    macs: dict[int, list[str]] = defaultdict(list)
    for ci_id, mac in session.execute(select(CiMac.ci_id, CiMac.mac).where(CiMac.ci_id.in_(ids)).order_by(CiMac.id)):
        macs[ci_id].append(mac)
    links: dict[int, dict[str, str]] = defaultdict(dict)
    target = aliased(ConfigurationItem)
    query = (select(CiRelationship.ci_id, CiRelationship.kind, target.asset_tag, CiRelationship.target)
             .join(target, target.id == CiRelationship.target_ci_id)
             .where(CiRelationship.ci_id.in_(ids), CiRelationship.source == "import",
                    CiRelationship.kind.in_(("runs_on", "connected_to")), target.asset_tag.is_not(None))
             .order_by(CiRelationship.id))
    for ci_id, kind, tag, port in session.execute(query):
        links[ci_id][kind] = tag if kind == "runs_on" else f"{tag}:{port}"
    return macs, links


def _row(stored: dict[str, object], macs: list[str], links: dict[str, str]) -> list:
    values = {**stored, "macs": "; ".join(macs) or None, **links}
    return [neutralise(values.get(column.field)) for column in COLUMNS]
