"""The audit log as an export (CSV, XLSX, PDF through the shared writers of collector/reports).

The rows are the filtered entries in chain order with their details as readable text and
each entry's own hash, so an external auditor can check any row against a verification of
the chain (``stocktake-collector user verify-audit-log``). The provenance names the chain's
head at export time; the export itself is then audited like every other one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.access.audit_details import detail_text
from collector.access.audit_search import AuditFilters, count_entries, iter_entries
from collector.models import AuditLogEntry
from collector.reports.exports import Export

__all__ = ["HEADERS", "audit_export"]

HEADERS = ("Entry", "When (UTC)", "Who", "Action", "Object", "Details", "Client", "Entry SHA-256")


def audit_export(session: Session, filters: AuditFilters, by: str, now: datetime) -> Export:
    def rows() -> Iterator[tuple]:
        for entry in iter_entries(session, filters):
            yield (entry.id, entry.at, entry.actor or "", entry.action, entry.target or "", detail_text(entry.detail),
                   entry.client or "", entry.row_hash)

    return Export("audit", "Audit log", HEADERS, rows, now, by, filters.as_dict(), _notes(session, filters),
                  widths=(4, 9, 8, 9, 10, 28, 6, 16))


def _notes(session: Session, filters: AuditFilters) -> dict[str, str]:
    head = session.execute(select(AuditLogEntry.id, AuditLogEntry.row_hash)
                           .order_by(AuditLogEntry.id.desc()).limit(1)).first()
    return {"Entries": f"{count_entries(session, filters)} of {head.id if head else 0}",
            "Chain head": f"entry {head.id}, SHA-256 {head.row_hash}" if head else "empty log"}
