"""The reconciliation report, and starting a run by hand."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from collector.extensions import get_config, get_db, request_session
from collector.facts import reconcile_all
from collector.models import utcnow
from collector.reconcile.report import OUTCOMES, reconciliation_report
from collector.web import bp
from collector.web.params import choice, page_number
from collector.web.security import actor, allow

__all__: list[str] = []

PER_PAGE = 50


@bp.get("/reconciliation")
@allow("auditor")
def reconciliation():
    outcome = choice("outcome", OUTCOMES)
    report = reconciliation_report(request_session(), outcome, page_number(), PER_PAGE)
    return render_template("reconciliation.html", report=report, outcome=outcome, outcomes=OUTCOMES,
                           pages=max(1, -(-report.total // PER_PAGE)))


@bp.post("/reconciliation/run")
@allow("operator")
def reconciliation_run():
    result = reconcile_all(get_db(), get_config(), utcnow(), actor=actor())
    return redirect(url_for("web.reconciliation", notice="busy" if result is None else "ran"), 303)
