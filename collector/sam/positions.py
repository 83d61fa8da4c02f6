"""The effective licence position: per product and metric, entitled against consumed, with the money.

:func:`compute_positions` is one run in the caller's transaction: consumption evidence
(collector/sam/consumption.py) against the entitlements that count on ``as_of``
(collector/sam/entitled.py), then the over-deployment exceptions (compliance.py), reclaim
candidates (reclaim.py) and renewal items (renewals.py). Positions are kept for every run (a
product's history); evidence and reclaim rows only for the latest run.

Balance = entitled − consumed, except that installs of a version no active entitlement covers
are unlicensed whatever the surplus: the balance is then at most minus their units. A product
installed with no entitlement at all is a position too ("unlicensed install", entitled 0, under
the product's first metric, else per device). Site and unlimited licences: entitled and
balance NULL (unbounded), consumption still counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from collector.models import utcnow
from collector.models.sam import (LicenseMetric, SamConsumption, SamPosition, SamPositionRun, SamProduct,
                                  SamReclaimCandidate)
from collector.reconcile.store import BulkInsert
from collector.sam import compliance, reclaim, renewals
from collector.sam.consumption import (AssetFacts, Install, asset_facts, evidence_rows, group_installs,
                                       licensable_installs, vm_hosts)
from collector.sam.entitled import CENT, Terms, covers, edition_attribution, entitlement_terms, suite_attribution

__all__ = ["compute_positions", "latest_run", "position_in", "position_of", "position_row", "positions_of"]

UNBOUNDED = (LicenseMetric.SITE, LicenseMetric.UNLIMITED)


@dataclass
class _Inputs:
    terms: dict[tuple[int, str], Terms]
    grouped: dict[int, dict[int, list[Install]]]
    facts: dict[int, AssetFacts]
    hosts: dict[int, int]
    products: dict[int, SamProduct]
    suites: dict[int, list[int]]  # suite -> components attributed to it
    units: dict[tuple[int, int], int] = field(default_factory=dict)  # (product, asset) -> units consumed
    evidence: BulkInsert | None = None  # evidence rows: COPY on PostgreSQL (executemany: 0.7 s per 15,000 rows)


def compute_positions(session: Session, *, as_of: datetime | None = None, unused_days: int = 90) -> SamPositionRun:
    """Compute every position now (the caller commits); returns the finished run."""
    as_of = as_of or utcnow()
    run = SamPositionRun(started_at=utcnow(), as_of=as_of, status="running", counts={})
    session.add(run)
    session.flush()
    inputs = _inputs(session, as_of)
    inputs.evidence = BulkInsert(session.connection(), SamConsumption.__table__)
    positions = [_position(run.id, inputs, product_id, metric) for product_id, metric in _keys(inputs)]
    inputs.evidence.flush()
    session.add_all(positions)
    session.flush()
    raised = compliance.sync_over_deployed(session, run.id, positions, inputs.products, as_of)
    costs = {p.product_id: (p.unit_cost, p.currency) for p in positions if p.unit_cost is not None}
    candidates, no_usage = reclaim.find_candidates(session, run.id, inputs.grouped, inputs.facts, costs,
                                                   inputs.units, as_of, unused_days)
    renewal_items = renewals.raise_renewals(session, as_of)
    session.execute(delete(SamConsumption).where(SamConsumption.run_id != run.id))
    session.execute(delete(SamReclaimCandidate).where(SamReclaimCandidate.run_id != run.id))
    run.status, run.finished_at = "finished", utcnow()
    run.counts = {"positions": len(positions), "over_deployed": sum(1 for p in positions if (p.balance or 0) < 0),
                  "devices": len(inputs.facts), "reclaim_candidates": candidates,
                  "devices_without_usage_data": no_usage, "renewal_items": renewal_items,
                  "exceptions": raised}
    return run


def _inputs(session: Session, as_of: datetime) -> _Inputs:
    terms = entitlement_terms(session, as_of.date())
    entitled = {product_id for product_id, _ in terms}
    attribution = {**edition_attribution(session, entitled), **suite_attribution(session, entitled)}
    grouped = group_installs(licensable_installs(session), attribution)
    facts = asset_facts(session, {asset_id for by_asset in grouped.values() for asset_id in by_asset})
    ids = set(grouped) | {product_id for product_id, _ in terms} | set(attribution)
    products = {p.id: p for p in session.scalars(select(SamProduct).where(SamProduct.id.in_(sorted(ids))))}
    suites: dict[int, list[int]] = {}
    for component, suite in sorted(attribution.items()):
        suites.setdefault(suite, []).append(component)
    return _Inputs(terms, grouped, facts, vm_hosts(session), products, suites)


def _keys(inputs: _Inputs) -> list[tuple[int, str]]:
    """Every (product, metric) with entitlements, and each installed product with none."""
    keys = set(inputs.terms)
    entitled = {product_id for product_id, _ in keys}
    for product_id in inputs.grouped:
        if product_id not in entitled:
            metrics = inputs.products[product_id].metrics or []
            keys.add((product_id, metrics[0] if metrics else LicenseMetric.DEVICE))
    return sorted(keys)


def _position(run_id: int, inputs: _Inputs, product_id: int, metric: str) -> SamPosition:
    terms = inputs.terms.get((product_id, metric)) or Terms()
    by_asset = inputs.grouped.get(product_id, {})
    core = terms.core_terms()
    rows = evidence_rows(metric, by_asset, inputs.facts, core, inputs.hosts)
    uncovered = _mark_uncovered(rows, by_asset, terms)
    for row in rows:
        key = (product_id, row["asset_id"])
        inputs.units[key] = max(inputs.units.get(key, 0), row["units"])
    for row in rows:
        inputs.evidence.add({**row, "run_id": run_id, "product_id": product_id, "metric": metric})
    consumed = sum(row["units"] for row in rows)
    unbounded = metric in UNBOUNDED and bool(terms.active)
    entitled = None if unbounded else sum(e.quantity for e in terms.active)
    balance = None if unbounded else entitled - consumed
    if balance is not None and uncovered:
        balance = min(balance, -uncovered)
    unit_cost, currency = terms.unit_cost()
    price = unit_cost if unit_cost is not None else Decimal(0)
    return SamPosition(run_id=run_id, product_id=product_id, metric=metric, entitled=entitled, consumed=consumed,
                       allocated=terms.allocated, balance=balance, unit_cost=unit_cost, currency=currency,
                       shortfall_cost=(price * -balance).quantize(CENT) if balance and balance < 0 else Decimal(0),
                       surplus_cost=(price * balance).quantize(CENT) if balance and balance > 0 else Decimal(0),
                       explanation=_explain(inputs, product_id, metric, terms, core, uncovered, unit_cost))


def _mark_uncovered(rows: list[dict], by_asset: dict[int, list[Install]], terms: Terms) -> int:
    """Units of devices with a version no active entitlement covers (only when some are active)."""
    if not terms.active:
        return 0
    units = 0
    for row in rows:
        outside = sorted({i.version or i.major_version or "?" for i in by_asset[row["asset_id"]]
                          if not any(covers(e, i.major_version) for e in terms.active)})
        if outside and row["units"]:
            units += row["units"]
            row["reason"] += f"; version {', '.join(outside)} is not covered by any active entitlement"
    return units


def _same_product(inputs: _Inputs, one: int, other: int) -> bool:
    """Whether two products are editions of one (same publisher and name)."""
    a, b = inputs.products[one], inputs.products[other]
    return (a.publisher, a.name) == (b.publisher, b.name)


def _entitlement(entitlement, reason: str | None = None) -> dict:
    described = {"id": entitlement.id, "quantity": entitlement.quantity, "version_from": entitlement.version_from,
                 "version_to": entitlement.version_to, "downgrade_rights": entitlement.downgrade_rights,
                 "term": entitlement.term,
                 "end_date": entitlement.end_date.isoformat() if entitlement.end_date else None,
                 "unit_cost": str(entitlement.unit_cost) if entitlement.unit_cost is not None else None}
    return {**described, "excluded": reason} if reason else described


def _explain(inputs: _Inputs, product_id: int, metric: str, terms: Terms, core, uncovered: int,
             unit_cost) -> dict:
    explanation: dict = {"entitlements": [_entitlement(e) for e in terms.active],
                         "excluded": [_entitlement(e, why) for e, why in terms.excluded]}
    if not terms.all:
        explanation["note"] = "unlicensed install: no entitlement for this product"
    suite = next((s for s, members in inputs.suites.items() if product_id in members), None)
    if suite is not None:
        under = "counted_under_product" if _same_product(inputs, suite, product_id) else "counted_under_suite"
        explanation[under] = {"product_id": suite, "name": inputs.products[suite].name}
    members = [c for c in inputs.suites.get(product_id) or () if c in inputs.products]
    editions = [c for c in members if _same_product(inputs, product_id, c)]
    if editions:
        explanation["editions_covered"] = [{"product_id": c, "edition": inputs.products[c].edition} for c in editions]
    if len(editions) < len(members):
        explanation["suite_components"] = [{"product_id": c, "name": inputs.products[c].name} for c in members
                                           if c not in editions]
    if metric == LicenseMetric.PROCESSOR_CORE:
        explanation["core_rule"] = {"core_factor": str(core.factor.normalize()),
                                    "min_cores_per_processor": core.min_per_processor,
                                    "min_cores_per_vm": core.min_per_vm}
    if uncovered:
        explanation["uncovered_units"] = uncovered
    if unit_cost is None:
        explanation["money"] = "no list price in any entitlement: money not computed"
    return explanation


# --- readers ------------------------------------------------------------------------------------

def latest_run(session: Session) -> SamPositionRun | None:
    """The latest finished run, or None."""
    return session.scalar(select(SamPositionRun).where(SamPositionRun.status == "finished")
                          .order_by(SamPositionRun.id.desc()).limit(1))


def positions_of(session: Session, run_id: int, publisher: str | None = None) -> list[tuple[SamPosition, SamProduct]]:
    """A run's positions with their products, by publisher, product and metric."""
    query = (select(SamPosition, SamProduct).join(SamProduct, SamProduct.id == SamPosition.product_id)
             .where(SamPosition.run_id == run_id))
    if publisher:
        query = query.where(SamProduct.publisher == publisher)
    return [tuple(row) for row in session.execute(
        query.order_by(SamProduct.publisher, SamProduct.name, SamProduct.edition, SamPosition.metric))]


def position_in(session: Session, run_id: int, product_id: int, metric: str | None = None) -> SamPosition | None:
    """A product's position in a run: under ``metric``, else its worst balance (None: not counted)."""
    query = select(SamPosition).where(SamPosition.run_id == run_id, SamPosition.product_id == product_id)
    if metric:
        query = query.where(SamPosition.metric == metric)
    found = sorted(session.scalars(query), key=lambda p: (p.balance is None, p.balance or 0))
    return found[0] if found else None


def position_of(session: Session, product_id: int, metric: str | None = None) -> tuple[SamPositionRun, SamPosition] | None:
    """A product's position in the latest finished run (see :func:`position_in`), with the run."""
    run = latest_run(session)
    position = position_in(session, run.id, product_id, metric) if run is not None else None
    return (run, position) if position is not None else None


def _money(value) -> str | None:
    return str(value) if value is not None else None


def position_row(position: SamPosition, product: SamProduct) -> dict:
    """A position as plain data (CLI, API)."""
    return {"product_id": product.id, "publisher": product.publisher, "product": product.name,
            "edition": product.edition, "metric": position.metric, "entitled": position.entitled,
            "consumed": position.consumed, "allocated": position.allocated, "balance": position.balance,
            "unit_cost": _money(position.unit_cost), "currency": position.currency,
            "shortfall_cost": _money(position.shortfall_cost), "surplus_cost": _money(position.surplus_cost),
            "explanation": position.explanation}
