"""The asset register (filtered, sorted, keyset-paginated) and one asset in full."""

from __future__ import annotations

from flask import render_template, request

from collector.extensions import request_session
from collector.models.cmdb import CI_CLASSES, CI_STATUSES
from collector.queries.asset_links import asset_facts, asset_links
from collector.queries.asset_register import SORTS, SOURCES, UNREGISTERED, RegisterFilters, register_page
from collector.queries.ordering import Sort
from collector.web import bp
from collector.web.listing import list_args
from collector.web.params import choice, text
from collector.web.security import allow

__all__ = ["register_filters"]


def register_filters() -> RegisterFilters:
    """The register's filters from the query string (shared with the exports)."""
    sort = Sort.parse(request.args.get("sort"), tuple(SORTS), "hostname")
    return RegisterFilters(q=text("q"), ci_class=choice("class", (*CI_CLASSES, UNREGISTERED)),
                           status=choice("status", (*CI_STATUSES, UNREGISTERED)), location=text("location"),
                           source=choice("source", SOURCES), sort=sort.key, descending=sort.descending)


@bp.get("/assets")
@allow("auditor")
def assets():
    """Keyset pages (``after``/``before`` cursors), so there is no page past the last to ask for."""
    filters = register_filters()
    listing = list_args("assets", tuple(SORTS), "hostname")
    page = register_page(request_session(), filters, listing.per_page, after=text("after", 512),
                         before=text("before", 512))
    return render_template("assets.html", page=page, filters=filters, classes=CI_CLASSES, statuses=CI_STATUSES,
                           sources=SOURCES, unregistered=UNREGISTERED, listing=listing)


@bp.get("/assets/<int:asset_id>")
@allow("auditor")
def asset(asset_id: int):
    session = request_session()
    detail = asset_facts(session, asset_id)
    return render_template("asset.html", detail=detail, links=asset_links(session, asset_id))
