"""Entitlements in the web UI: the list (filtered, sorted, days left), the admin's forms, delete
and import. A refused form comes back as typed with each error beside its field (the service
raised inside the write transaction, so nothing was stored); auditors and operators read only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import redirect, render_template, request, url_for

from collector.cmdb.reading import ImportLimits, guess_format
from collector.errors import InvalidInput, PayloadTooLarge, ServiceError
from collector.extensions import get_config, get_db, request_session
from collector.models.sam import LICENSE_METRICS, SamProduct
from collector.sam.entitlement_import import COLUMNS, import_entitlements
from collector.sam.entitlement_validation import TERMS
from collector.sam.entitlements import (SORTS, Editor, EntitlementFilters, create_entitlement, days_left,
                                        delete_entitlement, entitlement_record, get_entitlement, list_entitlements,
                                        update_entitlement)
from collector.web import bp
from collector.web.listing import ListArgs, list_args, stay_in_range
from collector.web.params import choice, text
from collector.web.security import actor, allow, current

__all__: list[str] = []

_NOTICES = {"created": "Entitlement recorded.", "saved": "Entitlement saved.", "deleted": "Entitlement deleted."}


@dataclass
class FormField:
    """One input of the entitlement form, in the shape the ``form_field`` macro draws."""

    id: str
    label: str
    type: str = "text"
    required: bool = False
    options: list = field(default_factory=list)
    limits: dict = field(default_factory=dict)
    value: object = None
    error: str | None = None


def _fields() -> list[FormField]:
    line = {"maxlength": "255"}
    return [
        FormField("publisher", "Publisher", required=True, limits=line),
        FormField("product", "Product", required=True, limits=line),
        FormField("edition", "Edition", limits=line),
        FormField("metric", "Metric", "enum", True, [(m, m.replace("_", " ")) for m in LICENSE_METRICS]),
        FormField("quantity", "Quantity (optional for site and unlimited)", "long"),
        FormField("version_from", "Versions from", limits={"maxlength": "64"}),
        FormField("version_to", "Versions to", limits={"maxlength": "64"}),
        FormField("downgrade_rights", "Downgrade rights (older versions covered)", "boolean"),
        FormField("core_factor", "Core factor (processor core only; default 1)", limits={"maxlength": "10"}),
        FormField("min_cores_per_processor", "Minimum cores per processor (processor core only)", "long"),
        FormField("min_cores_per_vm", "Minimum cores per VM (processor core only)", "long"),
        FormField("term", "Term", "enum", True, [(t, t) for t in TERMS]),
        FormField("start_date", "Start date", "date"),
        FormField("end_date", "End date (subscriptions)", "date"),
        FormField("unit_cost", "Unit cost", limits={"maxlength": "16"}),
        FormField("currency", "Currency (ISO 4217)", limits={"maxlength": "3"}),
        FormField("po_number", "PO number", limits=line),
        FormField("vendor", "Vendor", limits=line),
        FormField("contract_id", "Contract id", limits=line),
        FormField("notes", "Notes", limits={"maxlength": "10000"}),
    ]


def _editor() -> Editor:
    return Editor(actor(), current().role)


def _filters(listing: ListArgs) -> EntitlementFilters:
    return EntitlementFilters(publisher=text("publisher"), product=text("product"),
                              metric=choice("metric", LICENSE_METRICS), term=choice("term", TERMS),
                              sort=listing.sort.key, descending=listing.sort.descending)


@bp.get("/sam/entitlements")
@allow("auditor")
def sam_entitlements():
    listing = list_args("sam_entitlements", SORTS, "product")
    filters = _filters(listing)
    rows, total = list_entitlements(request_session(), filters, listing.page, listing.per_page)
    stay_in_range(listing, total)
    today = date.today()
    return render_template("sam_entitlements.html", rows=[(r, days_left(r.entitlement, today)) for r in rows],
                           total=total, listing=listing, filters=filters,
                           metrics=LICENSE_METRICS, terms=TERMS,
                           notice=_NOTICES.get(request.args.get("notice", "")))


def _form_page(fields: list[FormField], entitlement_id: int | None, errors: dict, status: int = 200):
    for f in fields:
        f.error = errors.pop(f.id, None)
    return render_template("sam_entitlement_form.html", fields=fields, entitlement_id=entitlement_id,
                           other_errors=errors), status


def _typed() -> tuple[dict, list[FormField]]:
    """The posted values for the service, and the form's fields holding them as typed."""
    fields = _fields()
    for f in fields:
        f.value = request.form.get(f.id) == "true" if f.type == "boolean" else request.form.get(f.id, "")
    return {f.id: f.value for f in fields}, fields


@bp.get("/sam/entitlements/new")
@allow("admin")
def sam_entitlement_new():
    fields = _fields()
    for f in fields:
        f.value = {"term": "perpetual", "currency": "EUR"}.get(f.id)
    return _form_page(fields, None, {})


@bp.post("/sam/entitlements")
@allow("admin")
def sam_entitlement_create():
    data, fields = _typed()
    try:
        with get_db().write() as session:
            create_entitlement(session, data, _editor())
    except InvalidInput as exc:
        return _form_page(fields, None, {f.field: f.message for f in exc.fields}, 422)
    return redirect(url_for("web.sam_entitlements", notice="created"), 303)


@bp.get("/sam/entitlements/<int:entitlement_id>/edit")
@allow("admin")
def sam_entitlement_edit(entitlement_id: int):
    session = request_session()
    entitlement = get_entitlement(session, entitlement_id)
    product = session.get(SamProduct, entitlement.product_id)
    values = {**entitlement_record(entitlement), "publisher": product.publisher, "product": product.name,
              "edition": product.edition}
    fields = _fields()
    for f in fields:
        f.value = values.get(f.id)
    return _form_page(fields, entitlement_id, {})


@bp.post("/sam/entitlements/<int:entitlement_id>/edit")
@allow("admin")
def sam_entitlement_update(entitlement_id: int):
    data, fields = _typed()
    try:
        with get_db().write() as session:
            update_entitlement(session, entitlement_id, data, _editor())
    except InvalidInput as exc:
        return _form_page(fields, entitlement_id, {f.field: f.message for f in exc.fields}, 422)
    return redirect(url_for("web.sam_entitlements", notice="saved"), 303)


@bp.post("/sam/entitlements/<int:entitlement_id>/delete")
@allow("admin")
def sam_entitlement_delete(entitlement_id: int):
    with get_db().write() as session:
        delete_entitlement(session, entitlement_id, _editor())
    return redirect(url_for("web.sam_entitlements", notice="deleted"), 303)


@bp.get("/sam/entitlements/import")
@allow("admin")
def sam_entitlement_import_page():
    return _import_page(None, None)


@bp.post("/sam/entitlements/import")
@allow("admin")
def sam_entitlement_import():
    part = request.files.get("file")
    fmt = guess_format(part.filename, part.mimetype) if part is not None and part.filename else None
    if fmt is None:
        return _import_page(None, "Choose a .csv or .xlsx file.", 422)
    limit = get_config().max_body_bytes
    try:
        data = part.stream.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"the file exceeds {limit} bytes")
        dry_run = request.form.get("dry_run") == "true"
        with get_db().session() if dry_run else get_db().write() as session:
            report = import_entitlements(session, data, fmt, _editor(), dry_run=dry_run, filename=part.filename,
                                         limits=ImportLimits(max_bytes=limit))
    except ServiceError as exc:
        return _import_page(None, exc.message, exc.status)
    return _import_page(report, None, 200 if report.ok else 422)


def _import_page(report, message: str | None, status: int = 200):
    return render_template("sam_entitlement_import.html", columns=COLUMNS, report=report, message=message), status
