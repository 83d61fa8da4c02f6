"""The dashboard: the fleet at a glance."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template

from collector.extensions import get_config, request_session
from collector.models import utcnow
from collector.reports.dashboard import dashboard as dashboard_figures
from collector.web import bp
from collector.web.charts import bars
from collector.web.security import allow

__all__: list[str] = []

_AGENT_TONES = {"reporting": "good", "silent": "warn", "never": "muted", "revoked": "muted"}
_OUTCOME_TONES = {"matched": "good", "unmanaged": "warn", "duplicate": "bad"}


@bp.get("/")
@allow("auditor")
def dashboard():
    # An agent is silent after missing two inventory rounds.
    silent_after = timedelta(seconds=2 * get_config().agent_inventory_interval_s)
    figures = dashboard_figures(request_session(), utcnow(), silent_after)
    return render_template("dashboard.html", figures=figures, silent_after=silent_after,
                           exception_bars=bars(figures.open_exceptions),
                           agent_bars=bars(figures.agents, _AGENT_TONES),
                           outcome_bars=bars(figures.outcomes, _OUTCOME_TONES))
