"""The products one machine has: its raw installed titles as the normalisation mapped them.

An asset page and the demo show this ("805 packages are 38 products"); an auditor asking "what is
on this laptop" wants products and versions, not 30 ``libreoffice-*`` packages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models import Asset, AssetSoftware
from collector.models.sam import SamProduct, SamSoftwareProduct
from collector.sam.versions import version_key

__all__ = ["AssetProduct", "AssetProducts", "asset_products"]


@dataclass(frozen=True)
class AssetProduct:
    product_id: int
    publisher: str
    name: str
    edition: str
    category: str
    licensable: bool
    versions: tuple[str, ...]
    titles: int  # raw titles (packages) folded into this product on the machine


@dataclass(frozen=True)
class AssetProducts:
    asset_id: int
    titles: int  # every raw title the machine reports
    not_normalised: int  # titles no normalisation run has looked at yet
    uncovered: int  # titles no rule covers (listed for curation)
    ignored: int  # titles a rule covers as no product (libraries, patches, the OS's own packages)
    products: list[AssetProduct]


def asset_products(session: Session, asset_id: int) -> AssetProducts:
    """Products on ``asset_id`` (licensable first, then by publisher and name), with the counts
    of its titles that are not products and why."""
    if session.get(Asset, asset_id) is None:
        raise NotFound(f"no asset with id {asset_id}")
    mapped = SamSoftwareProduct.software_id.is_not(None).label("mapped")
    rows = session.execute(
        select(mapped, SamSoftwareProduct.product_id, SamSoftwareProduct.rule_id, SamSoftwareProduct.major_version,
               func.count())
        .select_from(AssetSoftware)
        .outerjoin(SamSoftwareProduct, SamSoftwareProduct.software_id == AssetSoftware.software_id)
        .where(AssetSoftware.asset_id == asset_id)
        .group_by(mapped, SamSoftwareProduct.product_id, SamSoftwareProduct.rule_id,
                  SamSoftwareProduct.major_version)).all()
    counts = {"not_normalised": 0, "uncovered": 0, "ignored": 0}
    per_product: dict[int, tuple[set, int]] = {}
    for is_mapped, product_id, rule_id, major, count in rows:
        if product_id is not None:
            versions, folded = per_product.get(product_id, (set(), 0))
            per_product[product_id] = (versions | ({major} if major else set()), folded + count)
        else:
            counts["not_normalised" if not is_mapped else "ignored" if rule_id else "uncovered"] += count
    return AssetProducts(asset_id, sum(row[-1] for row in rows), counts["not_normalised"], counts["uncovered"],
                         counts["ignored"], _products(session, per_product))


def _products(session: Session, per_product: dict[int, tuple[set, int]]) -> list[AssetProduct]:
    if not per_product:
        return []
    found = session.scalars(select(SamProduct).where(SamProduct.id.in_(sorted(per_product)))).all()
    products = [AssetProduct(p.id, p.publisher, p.name, p.edition or "", p.category, p.licensable,
                             tuple(sorted(per_product[p.id][0], key=version_key)), per_product[p.id][1])
                for p in found]
    return sorted(products, key=lambda p: (not p.licensable, p.publisher.lower(), p.name.lower(), p.edition))
