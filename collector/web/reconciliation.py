"""The reconciliation report, and starting a run by hand."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from collector.extensions import get_config, get_db, request_session
from collector.facts import reconcile_all
from collector.models import utcnow
from collector.reconcile.report import OUTCOMES, REPORT_SORTS, reconciliation_report
from collector.web import bp
from collector.web.listing import list_args, stay_in_range
from collector.web.params import choice
from collector.web.security import actor, allow

__all__: list[str] = []


@bp.get("/reconciliation")
@allow("auditor")
def reconciliation():
    outcome = choice("outcome", OUTCOMES)
    listing = list_args("reconciliation", tuple(REPORT_SORTS), "outcome")
    report = reconciliation_report(request_session(), outcome, listing.page, listing.per_page, listing.sort)
    stay_in_range(listing, report.total)
    return render_template("reconciliation.html", report=report, outcome=outcome, outcomes=OUTCOMES, listing=listing)


@bp.post("/reconciliation/run")
@allow("operator")
def reconciliation_run():
    result = reconcile_all(get_db(), get_config(), utcnow(), actor=actor())
    return redirect(url_for("web.reconciliation", notice="busy" if result is None else "ran"), 303)
