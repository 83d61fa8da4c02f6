"""Auditor exports: CSV streamed as it is read, XLSX, PDF and ZIP (CSV + provenance sidecar)
built in a spooled temporary file; each records its data hash, file hash, who, when and with
which filters in the audit log (collector/reports/files.py)."""

from __future__ import annotations

import hashlib

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
from collector.reports.files import MEDIA_TYPES, deliver_export, spooled
from collector.reports.sealing import DataDigest
from collector.web import bp
from collector.web.assets import register_filters
from collector.web.params import choice
from collector.web.security import actor, allow, current
from collector.workflows.triage import QUEUE_STATUSES

__all__: list[str] = []


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


@bp.get("/exports/<any(assets, reconciliation, exceptions, kpis, audit):dataset>.<any(csv, xlsx, pdf, zip):fmt>")
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
                        mimetype=MEDIA_TYPES["csv"])
    export = _build(dataset, request_session())
    spool = spooled()
    written = deliver_export(export, fmt, spool, who, get_db().write)
    spool.seek(0)
    return send_file(spool, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=written.filename,
                     max_age=0)


def _streamed_csv(export: Export, who, reader):
    """Yield the CSV and, once it has all gone (or the client went away), audit its hashes."""
    file_hash, size, digest, completed = hashlib.sha256(), 0, DataDigest(export.headers, export.count_by), False
    try:
        for chunk in csv_chunks(export, digest):
            file_hash.update(chunk)
            size += len(chunk)
            yield chunk
        completed = True
    finally:
        reader.close()
        with get_db().write() as session:
            record_export(session, export, "csv", who, file_hash.hexdigest(), digest.rows, size, completed,
                          data_sha256=digest.sha256, totals=digest.totals(), filename=f"{export.file_stem}.csv")
