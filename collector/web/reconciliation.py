"""The reconciliation report, and starting a run by hand."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from collector.extensions import get_config, get_db, request_session
from collector.facts import reconcile_all
from collector.models import utcnow
from collector.reconcile.report import OUTCOMES, REPORT_SORTS, reconciliation_report
from collector.reconcile.run_notice import run_notice
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
    return render_template("reconciliation.html", report=report, outcome=outcome, outcomes=OUTCOMES, listing=listing,
                           ran=_ran())


def _ran():
    """The notice of the run this page was sent back from (``?notice=ran&run=<id>``)."""
    run = request.args.get("run", "")
    if request.args.get("notice") != "ran" or not run.isdigit() or len(run) > 18:
        return None
    return run_notice(request_session(), int(run))


@bp.post("/reconciliation/run")
@allow("operator")
def reconciliation_run():
    result = reconcile_all(get_db(), get_config(), utcnow(), actor=actor())
    if result is None:
        return redirect(url_for("web.reconciliation", notice="busy"), 303)
    return redirect(url_for("web.reconciliation", notice="ran", run=result.run_id), 303)
