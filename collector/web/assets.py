"""The asset register (filtered, sorted, keyset-paginated) and one asset in full."""

from __future__ import annotations

from flask import render_template, request

from collector.extensions import request_session
from collector.models.cmdb import CI_CLASSES, CI_STATUSES
from collector.queries.asset_links import asset_facts, asset_links
from collector.queries.asset_register import SORTS, SOURCES, UNREGISTERED, RegisterFilters, register_page
from collector.web import bp
from collector.web.params import choice, text
from collector.web.security import allow

__all__ = ["register_filters"]

PER_PAGE = 50


def register_filters() -> RegisterFilters:
    """The register's filters from the query string (shared with the exports)."""
    sort = choice("sort", (*SORTS, *(f"-{s}" for s in SORTS)), "hostname")
    return RegisterFilters(q=text("q"), ci_class=choice("class", (*CI_CLASSES, UNREGISTERED)),
                           status=choice("status", (*CI_STATUSES, UNREGISTERED)), location=text("location"),
                           source=choice("source", SOURCES), sort=sort.lstrip("-"), descending=sort.startswith("-"))


@bp.get("/assets")
@allow("auditor")
def assets():
    filters = register_filters()
    page = register_page(request_session(), filters, PER_PAGE, after=text("after", 512), before=text("before", 512))
    return render_template("assets.html", page=page, filters=filters, classes=CI_CLASSES, statuses=CI_STATUSES,
                           sources=SOURCES, unregistered=UNREGISTERED, sort=request.args.get("sort", "hostname"))


@bp.get("/assets/<int:asset_id>")
@allow("auditor")
def asset(asset_id: int):
    session = request_session()
    detail = asset_facts(session, asset_id)
    return render_template("asset.html", detail=detail, links=asset_links(session, asset_id))
