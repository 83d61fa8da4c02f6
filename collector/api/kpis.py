"""GET /api/v1/kpis: the KPIs over the last N ISO weeks (auditors and up)."""

from __future__ import annotations

from collector.api import bp
from collector.api.auth import current_token
from collector.api.params import positive_int
from collector.extensions import get_config, request_session
from collector.models import utcnow
from collector.reports.kpis import DEFAULT_WEEKS, MAX_WEEKS, compute_kpis
from collector.reports.required_fields import required_fields

__all__: list[str] = []


@bp.get("/kpis")
def kpis_index():
    current_token("auditor")
    weeks = positive_int("weeks", DEFAULT_WEEKS, MAX_WEEKS)
    required = required_fields(get_config().ci_required_fields)
    return compute_kpis(request_session(), utcnow(), weeks, required).as_dict()
