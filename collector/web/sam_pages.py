"""The software (licence compliance) pages: overview, catalogue, a product, positions, reclaim,
renewals, and the ELP and audit pack downloads. Auditors read everything; nothing here changes
data (a download appends its audit entry, as every export does). Entitlements and title
curation have their own pages (/sam/entitlements, /sam/titles)."""

from __future__ import annotations

import tempfile

from flask import redirect, render_template, send_file, url_for

from collector.extensions import get_config, get_db, request_session
from collector.models import utcnow
from collector.sam import reading
from collector.sam.audit_pack import record_audit_pack, write_audit_pack
from collector.sam.list_order import POSITION_SORTS, RENEWAL_SORTS, sorted_positions, sorted_renewals
from collector.sam.run import run_positions
from collector.sam.elp import ELP_FORMATS, build_elp, explain, record_elp, write_elp
from collector.web import bp
from collector.web.charts import bars
from collector.web.listing import list_args, stay_in_range
from collector.web.params import choice, page_number, text
from collector.web.sam_charts import history_charts, paired_bars
from collector.web.security import actor, allow, current

__all__: list[str] = []

PER_PAGE = 50
_SPOOL = 32 * 1024 * 1024


@bp.get("/sam/")
@allow("auditor")
def sam_overview():
    figures = reading.overview(request_session(), utcnow().date())
    return render_template("sam_overview.html", o=figures, no_run=reading.NO_RUN_NOTE)


def _licensable() -> bool | None:
    value = choice("licensable", ("yes", "no"))
    return None if value is None else value == "yes"


@bp.get("/sam/products")
@allow("auditor")
def sam_products():
    filters = reading.ProductFilters(q=text("q"), publisher=text("publisher"), licensable=_licensable())
    listing = list_args("sam_products", tuple(reading.PRODUCT_SORTS), "publisher")
    page = reading.list_products(request_session(), filters, listing.page, listing.per_page, listing.sort)
    stay_in_range(listing, page.total)
    return render_template("sam_products.html", page=page, filters=filters, listing=listing)


@bp.get("/sam/products/<int:product_id>")
@allow("auditor")
def sam_product(product_id: int):
    session = request_session()
    detail = reading.product_detail(session, product_id)
    version = text("version")
    holders = reading.who_has(session, product_id, version, page_number(), PER_PAGE)
    evidence = None if detail.run is None else reading.list_consumption(
        session, detail.run.id, product_id, None, page_number("epage"), PER_PAGE)
    version_bars = bars({v or "unknown": n for v, n, _ in detail.versions[:20]})
    return render_template("sam_product.html", d=detail, holders=holders, version=version, evidence=evidence,
                           version_bars=version_bars, charts=history_charts(detail.history), explain=explain,
                           status=reading.position_status, no_run=reading.NO_RUN_NOTE)


@bp.get("/sam/positions")
@allow("auditor")
def sam_positions():
    session = request_session()
    filters = reading.PositionFilters(publisher=text("publisher"), metric=text("metric"),
                                      status=choice("status", reading.POSITION_STATUSES)).validated()
    listing = list_args("sam_positions", tuple(POSITION_SORTS), "publisher")
    run = reading.latest_run(session)
    rows = [] if run is None else sorted_positions(reading.list_positions(session, run.id, filters), listing.sort)
    publishers = [] if run is None else reading.run_publishers(session, run.id)
    chart = paired_bars([(f"{name} {edition}".strip() + f" ({p.metric.replace('_', ' ')})", p.entitled, p.consumed)
                         for p, _, name, edition in rows])
    return render_template("sam_positions.html", run=run, rows=rows, filters=filters, publishers=publishers,
                           chart=chart, formats=ELP_FORMATS, listing=listing, statuses=reading.POSITION_STATUSES,
                           explain=explain, status=reading.position_status, no_run=reading.NO_RUN_NOTE)


@bp.post("/sam/positions/run")
@allow("operator")
def sam_positions_run():
    """Compute every licence position now (after an entitlement import, say), as the hourly job does."""
    summary = run_positions(get_db(), get_config(), actor=actor())
    return redirect(url_for("web.sam_positions", notice="positions_busy" if summary is None else "positions_ran"), 303)


@bp.get("/sam/reclaim")
@allow("auditor")
def sam_reclaim():
    session = request_session()
    listing = list_args("sam_reclaim", reading.RECLAIM_SORTS, "-freed_cost")
    run = reading.latest_run(session)
    page = None if run is None else reading.list_reclaim(session, run.id, listing.sort.key, listing.sort.descending,
                                                          listing.page, listing.per_page, text("publisher"))
    if page is not None:
        stay_in_range(listing, page.total)
    total = {} if run is None else reading.reclaim_totals(session, run.id)
    return render_template("sam_reclaim.html", run=run, page=page, listing=listing, total=total,
                           no_run=reading.NO_RUN_NOTE)


@bp.get("/sam/renewals")
@allow("auditor")
def sam_renewals():
    listing = list_args("sam_renewals", tuple(RENEWAL_SORTS), "ends")
    rows = sorted_renewals(reading.list_renewals(request_session(), utcnow().date(), publisher=text("publisher")),
                           listing.sort)
    buckets = {name: [r for r in rows if r.bucket == name] for name in ("expired", "30 days", "60 days", "90 days",
                                                                         "later")}
    return render_template("sam_renewals.html", buckets=buckets, total=len(rows), listing=listing)


def _who() -> str:
    live = current()
    return f"{live.username} ({live.role})"


def _publisher() -> str | None:
    return text("publisher")


@bp.get("/sam/elp.<any(csv, xlsx, pdf):fmt>")
@allow("auditor")
def sam_elp_file(fmt: str):
    report = build_elp(request_session(), _publisher(), _who(), utcnow())
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # closed by the response once sent
    written = write_elp(report, fmt, spool)
    with get_db().write() as session:
        record_elp(session, report, fmt, written, actor())
    spool.seek(0)
    return send_file(spool, mimetype=written.media_type, as_attachment=True, download_name=written.filename,
                     max_age=0)


@bp.get("/sam/audit-pack.zip")
@allow("auditor")
def sam_audit_pack_file():
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
    pack = write_audit_pack(request_session(), _publisher(), _who(), spool)
    with get_db().write() as session:
        record_audit_pack(session, pack, actor())
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=pack.filename, max_age=0)

