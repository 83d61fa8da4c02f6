"""The global search page: one query, every asset, CI and device it identifies, grouped by kind."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for

from collector.errors import InvalidInput
from collector.extensions import request_session
from collector.queries.search import PER_KIND, QUERY_MAX, search as run_search
from collector.web import bp
from collector.web.security import allow
from collector.web.templating import can

__all__ = ["KIND_LABELS", "record_url"]

KIND_LABELS = {"asset": "Assets", "ci": "Configuration items (CMDB)", "device": "Discovered devices"}
# How the summary line counts each kind: (one, many).
KIND_COUNTS = {"asset": ("asset", "assets"), "ci": ("CI", "CIs"), "device": ("device", "devices")}
RANK_LABELS = ("exact", "starts with", "contains")
# Each kind's record page. The CI and device pages come with issue 14 item 1; until a page is
# registered (or when the role may not open it) its hits are listed as plain text.
_PAGES = {"asset": ("web.asset", "asset_id"), "ci": ("web.ci", "ci_id"), "device": ("web.device", "device_id")}


def record_url(kind: str, record_id: int) -> str | None:
    endpoint, argument = _PAGES[kind]
    if endpoint not in current_app.view_functions or not can(endpoint):
        return None
    return url_for(endpoint, **{argument: record_id})


@bp.get("/search")
@allow("auditor")
def search():
    raw = request.args.get("q", "")
    context = {"site_search_q": raw[:QUERY_MAX], "kinds": KIND_LABELS, "counted": KIND_COUNTS, "ranks": RANK_LABELS, "per_kind": PER_KIND,
               "record_url": record_url, "query_max": QUERY_MAX}
    try:
        results = run_search(request_session(), raw)
    except InvalidInput as exc:
        return render_template("search.html", results=None, errors=exc.fields, **context), exc.status
    return render_template("search.html", results=results, errors=(), **context)
