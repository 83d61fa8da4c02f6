"""Suppression rules for admins: list, add and delete (each change in the audit log, via the service)."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from collector.extensions import get_db, request_session
from collector.models import utcnow
from collector.reconcile.suppressions import KINDS, add_suppression, delete_suppression, list_suppressions
from collector.queries.admin_lists import RULE_SORTS, sorted_rules
from collector.web import bp
from collector.web.form_state import keep_typed
from collector.web.listing import list_args
from collector.web.security import actor, allow

__all__: list[str] = []

_FORM_FIELDS = ("mac_prefix", "ip_range", "device_type", "kind", "reason", "owner", "expires_at")


@bp.get("/admin/suppressions")
@allow("admin")
def suppressions():
    listing = list_args("suppressions", tuple(RULE_SORTS), "id")
    rules = sorted_rules(list_suppressions(request_session(), utcnow(), include_expired=True), listing.sort)
    return render_template("suppressions.html", rules=rules, kinds=KINDS, now=utcnow(), listing=listing,
                           notice=request.args.get("notice") if request.args.get("notice") in ("added", "deleted")
                           else None)


@bp.post("/admin/suppressions")
@allow("admin")
@keep_typed(suppressions)
def suppression_create():
    data = {key: request.form[key] for key in _FORM_FIELDS if request.form.get(key, "").strip()}
    with get_db().write() as session:
        add_suppression(session, data, actor())
    return redirect(url_for("web.suppressions", notice="added"), 303)


@bp.post("/admin/suppressions/<id32:rule_id>/delete")
@allow("admin")
def suppression_delete(rule_id: int):
    with get_db().write() as session:
        delete_suppression(session, rule_id, actor())
    return redirect(url_for("web.suppressions", notice="deleted"), 303)
