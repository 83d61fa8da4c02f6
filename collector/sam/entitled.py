"""What the organisation is entitled to on a date: active entitlements, their versions and money.

An entitlement counts on ``as_of`` unless it is a subscription outside its term (not started
yet, or ended: ``end_date`` is the last day covered). Versions: an entitlement covers installs
whose major version lies in [version_from, version_to] (compared by
:func:`collector.sam.versions.version_key`), and any older version too with downgrade rights;
an install whose version is unknown is taken as covered (the evidence says so).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models.sam import SamEntitlement, SamEntitlementAllocation, SamProduct, SamSuiteComponent
from collector.sam.consumption import CoreTerms
from collector.sam.versions import version_key

__all__ = ["Terms", "covers", "edition_attribution", "entitlement_terms", "inactive_reason", "suite_attribution"]

CENT = Decimal("0.01")


@dataclass
class Terms:
    """A product's entitlements under one metric, split into those that count and those that do not."""

    active: list[SamEntitlement] = field(default_factory=list)
    excluded: list[tuple[SamEntitlement, str]] = field(default_factory=list)
    allocated: int = 0

    @property
    def all(self) -> list[SamEntitlement]:
        return self.active + [e for e, _ in self.excluded]

    def core_terms(self) -> CoreTerms:
        """The processor-core rule: from the first (active, else any) entitlement that states one."""
        for entitlement in self.active + [e for e, _ in self.excluded]:
            if entitlement.core_factor is not None or entitlement.min_cores_per_processor or entitlement.min_cores_per_vm:
                return CoreTerms(Decimal(entitlement.core_factor if entitlement.core_factor is not None else 1),
                                 entitlement.min_cores_per_processor or 0, entitlement.min_cores_per_vm or 0)
        return CoreTerms()

    def unit_cost(self) -> tuple[Decimal | None, str]:
        """Quantity-weighted list cost of the active entitlements (else of all of them), and its currency."""
        for group in (self.active, self.all):
            priced = [e for e in group if e.unit_cost is not None and e.quantity > 0]
            quantity = sum(e.quantity for e in priced)
            if quantity:
                total = sum(Decimal(e.unit_cost) * e.quantity for e in priced)
                return (total / quantity).quantize(CENT), priced[0].currency
        return None, (self.all[0].currency if self.all else "EUR")


def inactive_reason(entitlement: SamEntitlement, today: date) -> str | None:
    """Why an entitlement does not count today (None: it counts)."""
    if entitlement.term != "subscription":
        return None
    if entitlement.start_date is not None and entitlement.start_date > today:
        return f"subscription starts {entitlement.start_date.isoformat()}"
    if entitlement.end_date is not None and entitlement.end_date < today:
        return f"subscription expired {entitlement.end_date.isoformat()}"
    return None


def entitlement_terms(session: Session, today: date) -> dict[tuple[int, str], Terms]:
    """(product id, metric) -> its entitlements, active or excluded with the reason, and allocations."""
    allocated = dict(session.execute(select(SamEntitlementAllocation.entitlement_id,
                                            func.sum(SamEntitlementAllocation.quantity))
                                     .group_by(SamEntitlementAllocation.entitlement_id)).all())
    terms: dict[tuple[int, str], Terms] = defaultdict(Terms)
    for entitlement in session.scalars(select(SamEntitlement).order_by(SamEntitlement.id)):
        entry = terms[(entitlement.product_id, entitlement.metric)]
        reason = inactive_reason(entitlement, today)
        if reason is None:
            entry.active.append(entitlement)
            entry.allocated += int(allocated.get(entitlement.id) or 0)
        else:
            entry.excluded.append((entitlement, reason))
    return terms


def covers(entitlement: SamEntitlement, major: str | None) -> bool:
    """Whether the entitlement covers an install of this major version."""
    if major is None:
        return True
    key = version_key(major)
    if entitlement.version_to and key > version_key(entitlement.version_to):
        return False
    if entitlement.version_from and key < version_key(entitlement.version_from):
        return entitlement.downgrade_rights
    return True


def suite_attribution(session: Session, entitled_products: set[int]) -> dict[int, int]:
    """component product -> the suite whose entitlement covers it (only suites that have entitlements).

    A device with Word, Excel and PowerPoint consumes one Office licence: the components'
    installs are counted as installs of the suite. A component in several entitled suites goes
    to the suite with the lowest id (stable)."""
    attribution: dict[int, int] = {}
    rows = session.execute(select(SamSuiteComponent.component_product_id, SamSuiteComponent.suite_product_id)
                           .order_by(SamSuiteComponent.suite_product_id))
    for component, suite in rows:
        if suite in entitled_products and component != suite:
            attribution.setdefault(component, suite)
    return attribution


def edition_attribution(session: Session, entitled_products: set[int]) -> dict[int, int]:
    """edition product -> the same product without an edition, when that one has entitlements and
    the edition has none of its own.

    A licence bought for a product without naming an edition ("Oracle Java SE", "Adobe Acrobat")
    covers every licensable edition the titles reveal (Java SE JRE and JDK, Acrobat Pro), each
    device counted once; a licence naming an edition ("Office Professional Plus") covers that
    edition only."""
    if not entitled_products:
        return {}
    base = {(r.publisher, r.name): r.id for r in session.execute(
        select(SamProduct.id, SamProduct.publisher, SamProduct.name)
        .where(SamProduct.id.in_(sorted(entitled_products)), SamProduct.edition == ""))}
    if not base:
        return {}
    rows = session.execute(select(SamProduct.id, SamProduct.publisher, SamProduct.name)
                           .where(SamProduct.edition != "", SamProduct.licensable.is_(True),
                                  SamProduct.name.in_(sorted({name for _, name in base}))))
    return {r.id: base[(r.publisher, r.name)] for r in rows
            if (r.publisher, r.name) in base and r.id not in entitled_products}
