"""/api/v1/sam/entitlements: licences bought. Auditors and operators read; admins write and import.

A refused record answers 422 with every bad field in ``fields``; an import with any bad row
answers 422 with every (row, column, message) and stores nothing; ``dry_run=1`` only checks.
"""

from __future__ import annotations

from datetime import date

from flask import jsonify, request

from collector.api import bp
from collector.api.auth import current_token, token_actor
from collector.api.body import read_json_body
from collector.api.params import paging
from collector.cmdb.reading import XLSX_TYPE, ImportLimits, guess_format
from collector.errors import BadRequest, FieldError, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from collector.extensions import get_config, get_db, request_session
from collector.ingest.parsing import load_json_object
from collector.models.sam import LICENSE_METRICS, SamEntitlement, SamProduct
from collector.sam.allocations import add_allocation, allocation_record, list_allocations, remove_allocation
from collector.sam.entitlement_import import import_entitlements
from collector.sam.entitlement_validation import TERMS
from collector.sam.entitlements import (SORTS, Editor, EntitlementFilters, create_entitlement, delete_entitlement,
                                        entitlement_view, get_entitlement, list_entitlements, update_entitlement)

__all__: list[str] = []

MAX_ENTITLEMENT_BODY = 64 * 1024
_FILTER_MAX = 255


def _editor() -> Editor:
    token = current_token("admin")
    return Editor(token_actor(token), token.role)


def _body() -> dict:
    return load_json_object(read_json_body(request, MAX_ENTITLEMENT_BODY, MAX_ENTITLEMENT_BODY).raw)


@bp.get("/sam/entitlements")
def sam_entitlements_index():
    current_token("auditor")
    pages = paging()
    rows, total = list_entitlements(request_session(), _filters(), pages.page, pages.per_page)
    today = date.today()
    return pages.envelope([entitlement_view(r.entitlement, r.product, today, r.allocated) for r in rows], total)


def _filters() -> EntitlementFilters:
    errors = [FieldError(name, f"at most {_FILTER_MAX} characters") for name in ("publisher", "product")
              if len(request.args.get(name, "")) > _FILTER_MAX]
    choices = {"metric": LICENSE_METRICS, "term": TERMS, "sort": SORTS, "order": ("asc", "desc")}
    errors += [FieldError(name, f"must be one of {', '.join(allowed)}") for name, allowed in choices.items()
               if request.args.get(name) and request.args[name] not in allowed]
    if errors:
        raise InvalidInput("invalid query parameter", errors)
    args = request.args
    return EntitlementFilters(publisher=args.get("publisher") or None, product=args.get("product") or None,
                              metric=args.get("metric") or None, term=args.get("term") or None,
                              sort=args.get("sort") or "product", descending=args.get("order") == "desc")


@bp.post("/sam/entitlements")
def sam_entitlements_create():
    editor = _editor()
    data = _body()
    with get_db().write() as session:
        entitlement = create_entitlement(session, data, editor)
        view = _full_view(session, entitlement)
    return view, 201


@bp.get("/sam/entitlements/<int:entitlement_id>")
def sam_entitlements_show(entitlement_id: int):
    current_token("auditor")
    session = request_session()
    return _full_view(session, get_entitlement(session, entitlement_id))


@bp.put("/sam/entitlements/<int:entitlement_id>")
def sam_entitlements_update(entitlement_id: int):
    editor = _editor()
    data = _body()
    with get_db().write() as session:
        view = _full_view(session, update_entitlement(session, entitlement_id, data, editor))
    return view


@bp.delete("/sam/entitlements/<int:entitlement_id>")
def sam_entitlements_delete(entitlement_id: int):
    editor = _editor()
    with get_db().write() as session:
        delete_entitlement(session, entitlement_id, editor)
    return "", 204


@bp.post("/sam/entitlements/import")
def sam_entitlements_import():
    editor = _editor()
    dry_run = _flag("dry_run")
    data, fmt, filename = _upload(get_config().max_body_bytes)
    limits = ImportLimits(max_bytes=get_config().max_body_bytes)
    with get_db().session() if dry_run else get_db().write() as session:  # a dry run takes no write lock
        report = import_entitlements(session, data, fmt, editor, dry_run=dry_run, filename=filename, limits=limits)
    if report.ok:
        return report.as_dict(), (201 if report.batch else 200)
    response = jsonify({"error": f"{len(report.errors)} problem(s) in the file; nothing was imported",
                        **report.as_dict()})
    response.status_code = 422
    return response


def _flag(name: str) -> bool:
    value = request.args.get(name, "0").lower()
    if value not in ("1", "0", "true", "false"):
        raise InvalidInput("invalid query parameter", [FieldError(name, "must be 1, 0, true or false")])
    return value in ("1", "true")


def _upload(limit: int) -> tuple[bytes, str, str | None]:
    """The file of a multipart part "file" (or the raw body), its format and its name."""
    if request.mimetype == "multipart/form-data":
        part = request.files.get("file")
        if part is None:
            raise BadRequest("a multipart upload needs the file in a part named 'file'")
        stream, fmt, filename = part.stream, guess_format(part.filename, part.mimetype), part.filename
    else:
        stream, fmt, filename = request.stream, guess_format(None, request.mimetype), None
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"the file exceeds {limit} bytes")
    if fmt not in ("csv", "xlsx"):
        raise UnsupportedMediaType(f"send text/csv or {XLSX_TYPE}, or a multipart file named *.csv or *.xlsx")
    return data, fmt, filename


@bp.get("/sam/entitlements/<int:entitlement_id>/allocations")
def sam_allocations_index(entitlement_id: int):
    current_token("auditor")
    session = request_session()
    get_entitlement(session, entitlement_id)
    return {"items": [allocation_record(a) for a in list_allocations(session, entitlement_id)]}


@bp.post("/sam/entitlements/<int:entitlement_id>/allocations")
def sam_allocations_create(entitlement_id: int):
    editor = _editor()
    data = _body()
    with get_db().write() as session:
        view = allocation_record(add_allocation(session, entitlement_id, data, editor))
    return view, 201


@bp.delete("/sam/entitlements/<int:entitlement_id>/allocations/<int:allocation_id>")
def sam_allocations_delete(entitlement_id: int, allocation_id: int):
    editor = _editor()
    with get_db().write() as session:
        remove_allocation(session, entitlement_id, allocation_id, editor)
    return "", 204


def _full_view(session, entitlement: SamEntitlement) -> dict:
    allocations = [allocation_record(a) for a in list_allocations(session, entitlement.id)]
    product = session.get(SamProduct, entitlement.product_id)
    view = entitlement_view(entitlement, product, date.today(), sum(a["quantity"] for a in allocations))
    return {**view, "allocations": allocations}

