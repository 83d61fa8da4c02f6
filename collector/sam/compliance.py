"""Licence-compliance exceptions: one open ``over_deployed`` audit exception per product and metric.

Opened, refreshed and resolved by licence position runs only, the same way reconciliation
keeps its own kinds (collector/reconcile/store.py): ``open_key`` (``over_deployed:<product>:
<metric>``) is set while open, so a unique index keeps one open per product and metric; the
fingerprint is a digest of the numbers, so a run that finds the same shortfall writes
nothing. Reconciliation judges only its own kinds and never touches these (store.py
``RECONCILE_KINDS``). ``opened_run_id`` stays NULL: it names reconciliation runs, and the
exception trigger opens workflows for what a reconciliation run opened; the position run is
in the evidence instead. New exceptions are returned so the caller can raise the
``license_remediation`` workflow for them (collector/workflows/sam_triggers.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import AuditException
from collector.models.sam import SamPosition, SamProduct
from collector.reconcile.store import digest

__all__ = ["KIND", "open_key", "sync_over_deployed"]

KIND = "over_deployed"


def open_key(product_id: int, metric: str) -> str:
    return f"{KIND}:{product_id}:{metric}"


def _name(product: SamProduct) -> str:
    return " ".join(p for p in (product.publisher, product.name, product.edition) if p)


def _finding(run_id: int, position: SamPosition, product: SamProduct) -> tuple[str, dict, str]:
    shortfall = -position.balance
    money = f", {position.shortfall_cost} {position.currency} at list cost" if position.unit_cost is not None else ""
    summary = (f"{_name(product)} over-deployed ({position.metric}): {position.consumed} consumed, "
               f"{position.entitled} entitled, {shortfall} short{money}")
    numbers = {"product_id": product.id, "publisher": product.publisher, "product": product.name,
               "edition": product.edition, "metric": position.metric, "entitled": position.entitled,
               "consumed": position.consumed, "shortfall": shortfall,
               "shortfall_cost": str(position.shortfall_cost), "currency": position.currency}
    return summary, {**numbers, "position_run_id": run_id}, digest((summary, numbers))


def sync_over_deployed(session: Session, run_id: int, positions: list[SamPosition],
                       products: dict[int, SamProduct], now: datetime) -> dict:
    """Open, refresh and resolve the over-deployment exceptions; returns counts and the new ids."""
    stored = {e.open_key: e for e in session.scalars(select(AuditException).where(
        AuditException.kind == KIND, AuditException.open_key.is_not(None)))}
    opened, refreshed = [], 0
    for position in positions:
        if position.balance is None or position.balance >= 0:
            continue
        key = open_key(position.product_id, position.metric)
        summary, evidence, fingerprint = _finding(run_id, position, products[position.product_id])
        old = stored.pop(key, None)
        if old is None:
            new = AuditException(kind=KIND, status="open", open_key=key, ci_id=None, subject_type="product",
                                 subject_id=position.product_id, summary=summary, evidence=evidence,
                                 fingerprint=fingerprint, opened_at=now, updated_at=now)
            session.add(new)
            opened.append(new)
        elif old.fingerprint != fingerprint:
            old.summary, old.evidence, old.fingerprint, old.updated_at = summary, evidence, fingerprint, now
            refreshed += 1
    for gone in stored.values():
        gone.status, gone.open_key, gone.resolved_at, gone.updated_at = "resolved", None, now, now
        gone.resolution_note = f"Resolved by licence position run {run_id}: consumption is within the entitlement"
    session.flush()
    return {"opened": len(opened), "refreshed": refreshed, "resolved": len(stored),
            "opened_ids": [e.id for e in opened]}
