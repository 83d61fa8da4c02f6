"""Reconciliation over HTTP: the report, a CI's explanation, the exception list, and starting a run."""

from __future__ import annotations

from flask import request

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.params import paging
from collector.errors import FieldError, InvalidInput, NotFound
from collector.extensions import get_config, get_db, request_session
from collector.facts import reconcile_all
from collector.models import utcnow
from collector.reconcile.exceptions import list_exceptions
from collector.reconcile.report import EXCEPTION_KINDS, OUTCOMES, explain_ci, find_ci, reconciliation_report

__all__: list[str] = []


def _choice(name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in allowed:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"must be one of {', '.join(allowed)}")])
    return value


@bp.get("/reconciliation")
def reconciliation_index():
    current_token("auditor")
    pages = paging()
    report = reconciliation_report(request_session(), _choice("outcome", OUTCOMES), pages.page, pages.per_page)
    return {"run": report.run, "outcomes": report.outcome_counts, "open_exceptions": report.open_exceptions,
            "quieted": report.quieted, **pages.envelope(report.rows, report.total)}


@bp.post("/reconciliation/runs")
def reconciliation_run():
    """Run a full reconciliation now (``?dry_run=true`` computes without writing)."""
    token = current_token("operator")
    dry_run = _choice("dry_run", ("true", "false")) == "true"
    result = reconcile_all(get_db(), get_config(), utcnow(), dry_run=dry_run, actor=token_actor(token))
    if result is None:
        return {"status": "busy", "detail": "another reconciliation run holds the lock"}, 409
    return {"status": "dry run" if dry_run else "finished", "run_id": result.run_id, "subjects": result.subjects,
            "counts": result.counts, "opened": result.opened, "resolved": result.resolved,
            "duration_ms": result.duration_ms}, 200 if dry_run else 201


@bp.get("/reconciliation/cis/<reference>")
def reconciliation_explain(reference: str):
    """Why a CI (by asset tag or id) is matched to what it is, and what is open on it."""
    current_token("auditor")
    session = request_session()
    ci = find_ci(session, reference)
    if ci is None:
        raise NotFound(f"no CI with asset tag or id {reference!r}")
    return explain_ci(session, ci)


@bp.get("/exceptions")
def exceptions_index():
    current_token("auditor")
    pages = paging()
    status = _choice("status", ("open", "acknowledged", "resolved"))
    kinds = (*EXCEPTION_KINDS, "over_deployed")  # over_deployed: licence positions (collector/sam/compliance.py)
    result = list_exceptions(request_session(), _choice("kind", kinds), status, pages.page, pages.per_page)
    return pages.envelope(result.items, result.total)
