"""Entitlements for bench/sam.py: what the organisation bought, for every licensable product found.

Inserted directly (not through the entitlement service: the bench measures positions, not
validation), after normalisation created the products. Per product one to three purchases
sized around the devices that have it (some short, some in surplus), with a mix of metrics
(the product's own allowed metrics when the catalogue names them), perpetual and
subscription terms (some ending within 90 days, some expired), version ranges with downgrade
rights, per-core terms with core factors and minimums, and department allocations.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

__all__ = ["seed_entitlements"]

_FALLBACK_METRICS = ("device", "named_user", "installation")


def _devices_per_product(session) -> dict[int, int]:
    """Licensable product id -> devices with an install of it (one set-based count)."""
    from collector.models import AssetSoftware
    from collector.models.sam import SamProduct, SamSoftwareProduct

    rows = session.execute(
        select(SamSoftwareProduct.product_id, func.count(func.distinct(AssetSoftware.asset_id)))
        .join(AssetSoftware, AssetSoftware.software_id == SamSoftwareProduct.software_id)
        .join(SamProduct, SamProduct.id == SamSoftwareProduct.product_id)
        .where(SamProduct.licensable.is_(True))
        .group_by(SamSoftwareProduct.product_id))
    return dict(rows.all())


def _entitlement(rng: random.Random, product, devices: int, today: date, now: datetime) -> dict:
    metric = rng.choice(product.metrics or _FALLBACK_METRICS) if rng.random() < 0.85 else (product.metrics or ["device"])[0]
    per_core = metric == "processor_core"
    quantity = 0 if metric in ("site", "unlimited") else max(1, int(devices * (8 if per_core else 1) * rng.uniform(0.5, 0.7)))
    subscription = rng.random() < 0.4
    end = today + timedelta(days=rng.choice((-10, 25, 45, 80, 200, 365))) if subscription else None
    ranged = rng.random() < 0.3
    oracle = "oracle" in (product.publisher or "").lower()
    return {"product_id": product.id, "metric": metric, "quantity": quantity,
            "version_from": "2016" if ranged else None, "version_to": "2019" if ranged else None,
            "downgrade_rights": ranged and rng.random() < 0.5,
            "core_factor": (Decimal("0.5") if oracle else Decimal("1")) if per_core else None,
            "min_cores_per_processor": None if oracle or not per_core else 4,
            "min_cores_per_vm": 4 if per_core and not oracle else None,
            "term": "subscription" if subscription else "perpetual",
            "start_date": (end - timedelta(days=365)) if end else date(2021, 1, 1), "end_date": end,
            "unit_cost": Decimal(rng.choice((25, 79, 149, 299, 480, 1859 if per_core else 620))),
            "currency": "EUR", "po_number": f"PO-{rng.randint(100000, 999999)}",
            "vendor": rng.choice(("SoftwareOne", "Bechtle", "Crayon")),
            "contract_id": f"C-{product.id:05d}-{rng.randint(1, 9)}", "created_at": now, "updated_at": now}


def seed_entitlements(session, now: datetime, seed: int = 16) -> tuple[int, int]:
    """(entitlements, allocations) inserted for every licensable product that has installs."""
    from collector.models.sam import SamEntitlement, SamEntitlementAllocation, SamProduct

    devices = _devices_per_product(session)
    if not devices:
        return 0, 0
    products = session.scalars(select(SamProduct).where(SamProduct.id.in_(list(devices)))).all()
    rng, rows = random.Random(seed), []
    for product in sorted(products, key=lambda p: p.id):
        for _purchase in range(rng.choice((1, 1, 2, 3))):
            rows.append(_entitlement(rng, product, devices[product.id], now.date(), now))
    returning = insert(SamEntitlement).returning(SamEntitlement.id, sort_by_parameter_order=True)
    ids = session.execute(returning, rows).scalars().all()
    allocations = [{"entitlement_id": entitlement_id, "target_kind": "department",
                    "target": rng.choice(("Finance", "Engineering")), "quantity": max(1, row["quantity"] // 10)}
                   for entitlement_id, row in zip(ids, rows)
                   if row["metric"] in ("device", "named_user") and row["quantity"] and rng.random() < 0.2]
    if allocations:
        session.execute(insert(SamEntitlementAllocation), allocations)
    return len(ids), len(allocations)
