"""GET /api/v1/kpis: the six KPIs over the last N ISO weeks, and the same as a CSV, XLSX or PDF
file (GET /api/v1/kpis/export), each file's hash in the audit log (auditors and up)."""

from __future__ import annotations

import io

from flask import request, send_file

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.params import positive_int
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_config, get_db, request_session
from collector.models import utcnow
from collector.reports.exports import FORMATS
from collector.reports.files import MEDIA_TYPES, deliver_export
from collector.reports.kpi_export import kpi_export
from collector.reports.kpis import DEFAULT_WEEKS, MAX_WEEKS, compute_kpis
from collector.reports.required_fields import required_fields

__all__: list[str] = []

def _kpis(now):
    weeks = positive_int("weeks", DEFAULT_WEEKS, MAX_WEEKS)
    return compute_kpis(request_session(), now, weeks, required_fields(get_config().ci_required_fields))


@bp.get("/kpis")
def kpis_index():
    current_token("auditor")
    return _kpis(utcnow()).as_dict()


@bp.get("/kpis/export")
def kpis_export():
    token = current_token("auditor")
    fmt = request.args.get("format", "csv")
    if fmt not in FORMATS:
        raise InvalidInput("invalid query parameter", [FieldError("format", f"must be one of {', '.join(FORMATS)}")])
    now = utcnow()
    export = kpi_export(_kpis(now), f"API token {token.name} ({token.role})", now)
    spool = io.BytesIO()  # a few thousand rows at most (104 weeks): memory is the right place
    written = deliver_export(export, fmt, spool, token_actor(token), get_db().write)
    spool.seek(0)
    return send_file(spool, mimetype=MEDIA_TYPES[fmt], as_attachment=True, download_name=written.filename, max_age=0)
