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
HORIZON_DAYS = 90


def threshold_for(end_date: date, today: date) -> int | None:
    """The most urgent threshold reached on ``today``: 0 once expired, else 30, 60 or 90; None before."""
    left = (end_date - today).days
    if left < 0:
        return 0
    reached = [t for t in THRESHOLDS if left <= t]
    return min(reached) if reached else None


def raise_renewals(session: Session, as_of: datetime) -> int:
    """Add the items the subscriptions have reached since the last run; returns how many were added."""
    today = as_of.date()
    subscriptions = session.execute(select(SamEntitlement.id, SamEntitlement.end_date).where(
        SamEntitlement.term == "subscription", SamEntitlement.end_date.is_not(None),
        SamEntitlement.end_date <= date.fromordinal(today.toordinal() + HORIZON_DAYS))).all()
    raised = {tuple(row) for row in session.execute(select(SamRenewalItem.entitlement_id,
                                                           SamRenewalItem.threshold_days))}
    added = 0
    for entitlement_id, end_date in subscriptions:
        threshold = threshold_for(end_date, today)
        if threshold is None or (entitlement_id, threshold) in raised:
            continue
        session.add(SamRenewalItem(entitlement_id=entitlement_id, threshold_days=threshold, end_date=end_date,
                                   raised_at=as_of, status="open"))
        added += 1
    session.flush()
    return added


def open_items(session: Session, limit: int) -> list[tuple[SamRenewalItem, SamEntitlement, SamProduct]]:
    """Open items with their entitlement and product, most urgent first (at most ``limit``)."""
    return [tuple(row) for row in session.execute(
        select(SamRenewalItem, SamEntitlement, SamProduct)
        .join(SamEntitlement, SamEntitlement.id == SamRenewalItem.entitlement_id)
        .join(SamProduct, SamProduct.id == SamEntitlement.product_id)
        .where(SamRenewalItem.status == "open")
        .order_by(SamRenewalItem.end_date, SamRenewalItem.threshold_days, SamRenewalItem.id).limit(limit))]
