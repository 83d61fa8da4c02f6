"""Saving, applying and deleting a person's named filters of a list (collector/access/saved_filters.py).

Any signed-in role may keep filters: they are the person's own view of a list, not data of
the estate, so auditors save theirs too. Applying one is a plain link to the list with the
saved query string.
"""

from __future__ import annotations

from flask import redirect, request, url_for

from collector.access.saved_filters import delete_saved_filter, list_saved_filters, save_filter
from collector.errors import NotFound
from collector.extensions import get_db, request_session
from collector.web import bp
from collector.web.listing import LISTS
from collector.web.security import actor, allow, current

__all__: list[str] = []


def _list_url(list_name: str, query: str, notice: str) -> str:
    return url_for(LISTS[list_name]) + "?" + (query + "&" if query else "") + f"notice={notice}"


@bp.post("/lists/<list_name>/saved-filters")
@allow("auditor")
def saved_filter_create(list_name: str):
    if list_name not in LISTS:
        raise NotFound(f"no list named {list_name[:64]!r}")
    with get_db().write() as session:
        saved = save_filter(session, current().user_id, list_name, request.form.get("name", ""),
                            request.form.get("query", ""), actor(), set(LISTS))
        query = saved.query
    return redirect(_list_url(list_name, query, "filter_saved"), 303)


@bp.post("/lists/saved-filters/<id32:filter_id>/delete")
@allow("auditor")
def saved_filter_delete(filter_id: int):
    with get_db().write() as session:
        saved = delete_saved_filter(session, current().user_id, filter_id, actor())
        list_name = saved.list_name
    return redirect(url_for(LISTS[list_name], notice="filter_deleted"), 303)


@bp.app_context_processor
def _saved_filters() -> dict:
    def saved_filters(list_name: str) -> list:
        live = current()
        return [] if live is None else list_saved_filters(request_session(), live.user_id, list_name)

    return {"saved_filters": saved_filters, "list_url": lambda name, query: url_for(LISTS[name]) + "?" + query}
