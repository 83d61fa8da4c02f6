"""/api/v1/sam/...: the software catalogue, licence positions, evidence, reclaim and renewals,
and the Effective License Position and audit pack as files (auditors and up; nothing here writes
but the audit entry of a delivered file).

Before any position run has finished, the position-based listings answer 200 with no items
and ``note`` saying so (collector/sam/reading.py ``NO_RUN_NOTE``).
"""

from __future__ import annotations

import tempfile
from decimal import Decimal

from flask import request, send_file

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.params import paging
from collector.errors import FieldError, InvalidInput
from collector.extensions import get_db, request_session
from collector.models import utcnow
from collector.sam import reading
from collector.sam.asset_products import asset_products
from collector.sam.audit_pack import record_audit_pack, write_audit_pack
from collector.sam.elp import ELP_FORMATS, build_elp, explain, record_elp, write_elp

__all__ = ["position_dict", "product_dict", "run_dict"]

_SPOOL = 32 * 1024 * 1024
_RENEWAL_STATUSES = ("open", "renewed", "retired", "dismissed", "all")


def _money(value) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


def run_dict(run) -> dict | None:
    if run is None:
        return None
    return {"id": run.id, "as_of": reading.iso(run.as_of), "finished_at": reading.iso(run.finished_at)}


def product_dict(product, installs: int | None = None, devices: int | None = None) -> dict:
    data = {"id": product.id, "publisher": product.publisher, "name": product.name, "edition": product.edition,
            "category": product.category, "licensable": product.licensable, "metrics": list(product.metrics or [])}
    if installs is not None:
        data.update(installs=installs, devices=devices)
    return data


def position_dict(position, publisher: str | None = None, name: str | None = None, edition: str | None = None) -> dict:
    data = {"product_id": position.product_id, "metric": position.metric, "entitled": position.entitled,
            "consumed": position.consumed, "allocated": position.allocated, "balance": position.balance,
            "status": reading.position_status(position.balance), "unit_cost": _money(position.unit_cost),
            "currency": position.currency, "shortfall_cost": _money(position.shortfall_cost or 0),
            "surplus_cost": _money(position.surplus_cost or 0),
            "explanation": explain(position.explanation, position.entitled, position.consumed, position.balance)}
    if publisher is not None:
        data.update(publisher=publisher, product=name, edition=edition)
    return data


def _run_envelope(run, body: dict) -> dict:
    return {"run": run_dict(run), "note": None if run else reading.NO_RUN_NOTE, **body}


def _flag(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError(name, "must be true or false")])
    return raw == "true"


def _choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.args.get(name) or default
    if value is not None and value not in allowed:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"must be one of {', '.join(allowed)}")])
    return value


@bp.get("/sam/products")
def sam_products():
    current_token("auditor")
    pages = paging()
    filters = reading.ProductFilters(q=request.args.get("q"), publisher=request.args.get("publisher"),
                                     licensable=_flag("licensable"))
    result = reading.list_products(request_session(), filters, pages.page, pages.per_page)
    return pages.envelope([product_dict(*item) for item in result.items], result.total)


@bp.get("/sam/products/<int:product_id>")
def sam_product(product_id: int):
    current_token("auditor")
    detail = reading.product_detail(request_session(), product_id)
    return {**product_dict(detail.product, detail.installs, detail.devices), "run": run_dict(detail.run),
            "versions": [{"version": v, "installs": i, "devices": d} for v, i, d in detail.versions],
            "positions": [position_dict(p) for p in detail.positions],
            "history": [{"as_of": reading.iso(h.as_of), "metric": h.metric, "entitled": h.entitled,
                         "consumed": h.consumed, "balance": h.balance} for h in detail.history]}


@bp.get("/sam/assets/<int:asset_id>/products")
def sam_asset_products(asset_id: int):
    current_token("auditor")
    found = asset_products(request_session(), asset_id)
    return {"asset_id": found.asset_id, "titles": found.titles, "not_normalised": found.not_normalised,
            "uncovered": found.uncovered, "ignored": found.ignored,
            "products": [{"id": p.product_id, "publisher": p.publisher, "name": p.name, "edition": p.edition,
                          "category": p.category, "licensable": p.licensable, "versions": list(p.versions),
                          "titles": p.titles} for p in found.products]}


@bp.get("/sam/positions")
def sam_positions():
    current_token("auditor")
    session = request_session()
    filters = reading.PositionFilters(publisher=request.args.get("publisher"), metric=request.args.get("metric"),
                                      status=request.args.get("status") or None).validated()
    run = reading.latest_run(session)
    rows = [] if run is None else reading.list_positions(session, run.id, filters)
    return _run_envelope(run, {"items": [position_dict(*row) for row in rows]})


def _evidence_dict(row) -> dict:
    return {"metric": row.metric, "device": row.device, "ci_id": row.ci_id, "asset_id": row.asset_id,
            "user": row.user, "version": row.version, "units": row.units, "reason": row.reason,
            "first_seen_at": reading.iso(row.first_seen_at), "last_seen_at": reading.iso(row.last_seen_at),
            "report_id": row.observation_id}


@bp.get("/sam/positions/<int:product_id>/evidence")
def sam_position_evidence(product_id: int):
    current_token("auditor")
    session, pages = request_session(), paging()
    run = reading.latest_run(session)
    if run is None:
        return _run_envelope(run, pages.envelope([], 0))
    result = reading.list_consumption(session, run.id, product_id, request.args.get("metric"), pages.page,
                                      pages.per_page)
    return _run_envelope(run, pages.envelope([_evidence_dict(r) for r in result.items], result.total))


@bp.get("/sam/reclaim")
def sam_reclaim():
    current_token("auditor")
    session, pages = request_session(), paging()
    sort = _choice("sort", reading.RECLAIM_SORTS, "freed_cost")
    descending = _choice("order", ("asc", "desc"), "desc") == "desc"
    run = reading.latest_run(session)
    if run is None:
        return _run_envelope(run, pages.envelope([], 0))
    result = reading.list_reclaim(session, run.id, sort, descending, pages.page, pages.per_page,
                                  request.args.get("publisher"))
    items = [{"product_id": c.product_id, "publisher": pub, "product": name, "edition": edition, "device": c.device,
              "ci_id": c.ci_id, "asset_id": c.asset_id, "user": c.user, "last_used_at": reading.iso(c.last_used_at),
              "days_unused": c.days_unused, "freed_cost": _money(c.freed_cost), "currency": c.currency}
             for c, pub, name, edition in result.items]
    return _run_envelope(run, pages.envelope(items, result.total))


@bp.get("/sam/renewals")
def sam_renewals():
    current_token("auditor")
    status = _choice("status", _RENEWAL_STATUSES, "open")
    rows = reading.list_renewals(request_session(), utcnow().date(), None if status == "all" else status,
                                 request.args.get("publisher"))
    return {"items": [{"entitlement_id": r.entitlement.id, "product_id": r.entitlement.product_id,
                       "publisher": r.publisher, "product": r.product, "edition": r.edition,
                       "end_date": reading.iso(r.item.end_date), "days_left": r.days_left, "bucket": r.bucket,
                       "threshold_days": r.item.threshold_days, "status": r.item.status,
                       "quantity": r.entitlement.quantity, "contract_id": r.entitlement.contract_id}
                      for r in rows]}


def _publisher() -> str | None:
    publisher = request.args.get("publisher") or None
    if publisher is not None and len(publisher) > 255:
        raise InvalidInput("invalid query parameter", [FieldError("publisher", "at most 255 characters")])
    return publisher


@bp.get("/sam/elp")
def sam_elp():
    token = current_token("auditor")
    fmt = _choice("format", ELP_FORMATS, "csv")
    publisher = _publisher()
    report = build_elp(request_session(), publisher, f"API token {token.name} ({token.role})", utcnow())
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # closed by the response once sent
    written = write_elp(report, fmt, spool)
    with get_db().write() as session:
        record_elp(session, report, fmt, written, token_actor(token))
    spool.seek(0)
    return send_file(spool, mimetype=written.media_type, as_attachment=True, download_name=written.filename,
                     max_age=0)


@bp.get("/sam/audit-pack")
def sam_audit_pack():
    token = current_token("auditor")
    publisher = _publisher()
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
    pack = write_audit_pack(request_session(), publisher, f"API token {token.name} ({token.role})", spool)
    with get_db().write() as session:
        record_audit_pack(session, pack, token_actor(token))
    spool.seek(0)
    return send_file(spool, mimetype="application/zip", as_attachment=True, download_name=pack.filename, max_age=0)
