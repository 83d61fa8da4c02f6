"""The KPI dashboard: the figures of collector/reports/kpis.py and a 12-week chart per weekly series."""

from __future__ import annotations

from flask import render_template, url_for

from collector.extensions import get_config, request_session
from collector.models import utcnow
from collector.reports.kpis import DEFAULT_WEEKS, compute_kpis
from collector.reports.required_fields import required_fields
from collector.reports.trends import headline_figures, weekly_series
from collector.web import bp
from collector.web.charts import trend
from collector.web.security import allow

__all__: list[str] = []

_FORMATS = ("csv", "xlsx", "pdf")


def _export_links() -> list[tuple[str, str]]:
    """(format, URL) of the KPI report's exports (web/exports.py; each file's hash is audited)."""
    return [(fmt, url_for("web.export_file", dataset="kpis", fmt=fmt)) for fmt in _FORMATS]


@bp.get("/kpis")
@allow("auditor")
def kpis():
    report = compute_kpis(request_session(), utcnow(), DEFAULT_WEEKS, required_fields(get_config().ci_required_fields))
    figures = report.as_dict()
    charts = [trend(s.title, s.weeks, s.lines) for s in weekly_series(figures)]
    return render_template("kpis.html", kpis=report, charts=charts, exports=_export_links(),
                           figures=[f for f in headline_figures(figures)
                                    if not f[0].startswith(("ci completeness", "audit exceptions"))])
