"""What every list page reads from its query string the same way: sort, page size, page.

A view declares its sort keys and default, calls ``list_args`` and passes the result to the
template as ``listing``; the macros in macros.html draw the sort links (with ``aria-sort``),
the page-size choice and the pager from it, and the saved-filter panel for ``listing.name``.
A page past the last one redirects to the last page and says so (``?beyond=999``), rather
than showing "Page 999 of 6".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import abort, redirect, request, url_for

from collector.errors import FieldError, InvalidInput
from collector.queries.ordering import Sort
from collector.web.params import page_number

__all__ = ["LISTS", "PAGE_SIZES", "ListArgs", "list_args", "page_size", "stay_in_range"]

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
# Lists whose filters a person can save: list name -> the endpoint that shows it.
LISTS = {
    "assets": "web.assets", "exceptions": "web.exceptions", "devices": "web.devices",
    "reconciliation": "web.reconciliation", "workflows": "web.workflows", "my_tasks": "web.my_workflow_tasks",
    "agents": "web.agents", "users": "web.users", "suppressions": "web.suppressions",
    "sam_products": "web.sam_products", "sam_positions": "web.sam_positions",
    "sam_entitlements": "web.sam_entitlements", "sam_titles": "web.sam_titles", "sam_reclaim": "web.sam_reclaim",
    "sam_renewals": "web.sam_renewals",
}


@dataclass(frozen=True)
class ListArgs:
    name: str  # a key of LISTS
    sort: Sort
    page: int
    per_page: int

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.per_page))


def page_size(name: str = "per_page") -> int:
    raw = request.args.get(name, "")
    if not raw:
        return DEFAULT_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4 or int(raw) not in PAGE_SIZES:
        raise InvalidInput("invalid query parameter",
                           [FieldError(name, f"must be one of {', '.join(map(str, PAGE_SIZES))}")])
    return int(raw)


def list_args(name: str, sorts: Sequence[str], default_sort: str) -> ListArgs:
    """The list's sort, page and page size from the query string (400 on a value out of bounds)."""
    if name not in LISTS:
        raise ValueError(f"unknown list {name!r}")
    return ListArgs(name, Sort.parse(request.args.get("sort"), tuple(sorts), default_sort), page_number(),
                    page_size())


def stay_in_range(listing: ListArgs, total: int) -> None:
    """Past the last page: redirect (303) to the last page, which then names the page asked for."""
    last = listing.pages(total)
    if listing.page <= last:
        return
    args = request.args.to_dict()
    args.update(page=str(last), beyond=str(listing.page))
    abort(redirect(url_for(request.endpoint, **(request.view_args or {})) + "?" + urlencode(args), 303))
