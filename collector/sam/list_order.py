"""Sorting the two short SAM lists that are read whole: a run's positions (a few hundred) and the
open renewals. Same rules as every list (collector/queries/ordering.py): typed values, missing
values last ascending, a stable tie-breaker."""

from __future__ import annotations

from collector.queries.ordering import Sort, sort_rows

__all__ = ["POSITION_SORTS", "RENEWAL_SORTS", "sorted_positions", "sorted_renewals"]

# Rows of (SamPosition, publisher, name, edition).
POSITION_SORTS = {
    "publisher": lambda r: (r[1] or "").casefold(), "product": lambda r: f"{r[2]} {r[3] or ''}".casefold(),
    "metric": lambda r: r[0].metric, "entitled": lambda r: r[0].entitled, "consumed": lambda r: r[0].consumed,
    "allocated": lambda r: r[0].allocated, "balance": lambda r: r[0].balance,
    "shortfall": lambda r: r[0].shortfall_cost, "surplus": lambda r: r[0].surplus_cost,
}
# RenewalRow (collector/sam/reading.py).
RENEWAL_SORTS = {
    "product": lambda r: f"{r.publisher} {r.product} {r.edition or ''}".casefold(),
    "metric": lambda r: r.entitlement.metric, "quantity": lambda r: r.entitlement.quantity,
    "ends": lambda r: r.item.end_date, "contract": lambda r: r.entitlement.contract_id,
    "vendor": lambda r: r.entitlement.vendor,
}


def sorted_positions(rows: list, sort: Sort) -> list:
    return sort_rows(rows, POSITION_SORTS, sort, lambda r: r[0].id)


def sorted_renewals(rows: list, sort: Sort) -> list:
    return sort_rows(rows, RENEWAL_SORTS, sort, lambda r: r.item.id)
