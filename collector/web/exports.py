"""Auditor exports: CSV streamed as it is read, XLSX and PDF built in a spooled temporary
file; each records its SHA-256, who, when and with which filters in the audit log."""

from __future__ import annotations

import hashlib
import tempfile

from flask import Response, render_template, send_file, stream_with_context

from collector.extensions import get_config, get_db, request_session
from collector.models import utcnow
from collector.models.cmdb import CI_CLASSES, CI_STATUSES
from collector.queries.asset_register import SORTS, SOURCES, UNREGISTERED
from collector.reconcile.report import EXCEPTION_KINDS, OUTCOMES
from collector.reports.csv_file import csv_chunks
from collector.reports.kpi_export import kpi_export
from collector.reports.kpis import DEFAULT_WEEKS, compute_kpis
from collector.reports.required_fields import required_fields
from collector.reports.exports import (
    FORMATS, Export, asset_register_export, exception_list_export, reconciliation_export, record_export,
)
from collector.reports.pdf_file import write_pdf
from collector.reports.xlsx_file import write_xlsx
from collector.web import bp
from collector.web.assets import register_filters
from collector.web.params import choice
from collector.web.security import actor, allow, current
from collector.workflows.triage import QUEUE_STATUSES

__all__: list[str] = []

_TYPES = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
_SPOOL = 32 * 1024 * 1024


@bp.get("/exports")
@allow("auditor")
def exports():
    return render_template("exports.html", formats=FORMATS, outcomes=OUTCOMES, kinds=EXCEPTION_KINDS,
                           statuses=QUEUE_STATUSES, classes=CI_CLASSES, ci_statuses=CI_STATUSES, sources=SOURCES,
                           unregistered=UNREGISTERED, sorts=SORTS)


def _build(dataset: str, session) -> Export:
    live = current()
    by, now = f"{live.username} ({live.role})", utcnow()
    if dataset == "assets":
        return asset_register_export(session, register_filters(), by, now)
    if dataset == "reconciliation":
        return reconciliation_export(session, choice("outcome", OUTCOMES), by, now)
    if dataset == "audit":
        from collector.reports.audit_export import audit_export
        from collector.web.audit import audit_filters

        return audit_export(session, audit_filters(), by, now)
    if dataset == "kpis":
        report = compute_kpis(session, now, DEFAULT_WEEKS, required_fields(get_config().ci_required_fields))
        return kpi_export(report, by, now)
    return exception_list_export(session, choice("kind", EXCEPTION_KINDS),
                                 choice("status", QUEUE_STATUSES, "unresolved"), by, now)


@bp.get("/exports/<any(assets, reconciliation, exceptions, kpis, audit):dataset>.<any(csv, xlsx, pdf):fmt>")
@allow("auditor")
def export_file(dataset: str, fmt: str):
    who = actor()
    if fmt == "csv":
        # The rows are read after the view returns, when the request's own session has been
        # closed at teardown: the stream has a session of its own, closed when it ends.
        session = get_db().session()
        try:
            export = _build(dataset, session)
        except BaseException:
            session.close()
            raise
        headers = {"Content-Disposition": f'attachment; filename="{export.file_stem}.csv"'}
        return Response(stream_with_context(_streamed_csv(export, who, session)), headers=headers,
                        mimetype=_TYPES["csv"])
    export = _build(dataset, request_session())
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
    rows = (write_xlsx if fmt == "xlsx" else write_pdf)(export, spool)
    size = spool.tell()
    spool.seek(0)
    digest = hashlib.file_digest(spool, "sha256").hexdigest()
    spool.seek(0)
    with get_db().write() as session:
        record_export(session, export, fmt, who, digest, rows, size)
    return send_file(spool, mimetype=_TYPES[fmt], as_attachment=True, download_name=f"{export.file_stem}.{fmt}",
                     max_age=0)


def _streamed_csv(export: Export, who, reader):
    """Yield the CSV and, once it has all gone (or the client went away), audit its hash."""
    digest, size, counter, completed = hashlib.sha256(), 0, [0], False
    try:
        for chunk in csv_chunks(export, counter):
            digest.update(chunk)
            size += len(chunk)
            yield chunk
        completed = True
    finally:
        reader.close()
        with get_db().write() as session:
            record_export(session, export, "csv", who, digest.hexdigest(), counter[0], size, completed)
