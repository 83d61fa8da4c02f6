"""Renewal items: subscriptions ending within 90, 60 or 30 days, and expired ones (threshold 0).

Raised by each position run, once per entitlement and threshold (a unique constraint holds
it). A run raises the most urgent threshold the subscription has reached: first seen 20 days
before its end, a subscription gets its 30-day item, not 90- and 60-day items for dates that
have passed. ``end_date`` is the last day covered, so a subscription is expired from the day
after. The ``subscription_renewal`` workflow trigger starts a ``sam_renewal`` workflow from the
items (collector/workflows/sam_triggers.py) and stores its id on them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models.sam import SamEntitlement, SamProduct, SamRenewalItem

__all__ = ["THRESHOLDS", "open_items", "raise_renewals", "threshold_for"]

THRESHOLDS = (90, 60, 30)


def threshold_for(end_date: date, today: date) -> int | None:
    """The most urgent threshold reached on ``today``: 0 once expired, else 30, 60 or 90; None before."""
    left = (end_date - today).days
    if left < 0:
        return 0
    reached = [t for t in THRESHOLDS if left <= t]
    return min(reached) if reached else None


def raise_renewals(session: Session, as_of: datetime) -> int:
    """Add the items the subscriptions have reached since the last run; returns how many were raised.

    A subscription whose end date moved later was renewed: its open items of the old term are
    marked ``renewed``, and a threshold the new term reaches raises its item again (the row is
    reused: one row per entitlement and threshold)."""
    today = as_of.date()
    subscriptions = dict(session.execute(select(SamEntitlement.id, SamEntitlement.end_date).where(
        SamEntitlement.term == "subscription", SamEntitlement.end_date.is_not(None))).all())
    items = {(i.entitlement_id, i.threshold_days): i for i in session.scalars(select(SamRenewalItem))}
    for item in items.values():
        end = subscriptions.get(item.entitlement_id)
        if item.status == "open" and end is not None and end > item.end_date:
            item.status = "renewed"
    raised = 0
    for entitlement_id, end_date in subscriptions.items():
        threshold = threshold_for(end_date, today)
        item = items.get((entitlement_id, threshold))
        if threshold is None or (item is not None and item.end_date == end_date):
            continue
        if item is None:
            session.add(SamRenewalItem(entitlement_id=entitlement_id, threshold_days=threshold, end_date=end_date,
                                       raised_at=as_of, status="open"))
        else:  # the renewed term reaches this threshold again
            item.end_date, item.raised_at, item.status, item.workflow_instance_id = end_date, as_of, "open", None
        raised += 1
    session.flush()
    return raised


def open_items(session: Session, limit: int) -> list[tuple[SamRenewalItem, SamEntitlement, SamProduct]]:
    """Open items with their entitlement and product, most urgent first (at most ``limit``)."""
    return [tuple(row) for row in session.execute(
        select(SamRenewalItem, SamEntitlement, SamProduct)
        .join(SamEntitlement, SamEntitlement.id == SamRenewalItem.entitlement_id)
        .join(SamProduct, SamProduct.id == SamEntitlement.product_id)
        .where(SamRenewalItem.status == "open")
        .order_by(SamRenewalItem.end_date, SamRenewalItem.threshold_days, SamRenewalItem.id).limit(limit))]
