"""Product and suite rows (``sam_products``, ``sam_suite_components``) kept in step with the catalogue.

Every product the catalogue declares exists (so entitlements can be entered before anything is
installed), plus every (publisher, product, edition) a rule yielded for a stored title. A
catalogue change to category, licensable or metrics is applied to rows the catalogue made;
rows an admin typed in (``source = "admin"``) are left alone. Suites link every edition of
the suite to every edition of each component product.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from collector.models import SamProduct, SamSuiteComponent
from collector.sam.catalogue import Catalogue
from collector.sam.matching import Match

__all__ = ["ProductKey", "sync_products"]

ProductKey = tuple[str, str, str]  # publisher, name, edition


def sync_products(session: Session, catalogue: Catalogue, yielded: dict[ProductKey, Match]) -> tuple[dict, int]:
    """Ids of every catalogue and yielded product (creating missing rows), and how many were created."""
    wanted = _wanted(catalogue, yielded)
    existing = {(r.publisher, r.name, r.edition): r for r in session.execute(
        select(SamProduct.id, SamProduct.publisher, SamProduct.name, SamProduct.edition, SamProduct.category,
               SamProduct.licensable, SamProduct.metrics, SamProduct.source))}
    missing = [key for key in wanted if key not in existing]
    if missing:
        session.execute(insert(SamProduct), [_row(key, wanted[key]) for key in missing])
    for key, attributes in wanted.items():
        row = existing.get(key)
        stored = (row.category, row.licensable, list(row.metrics or [])) if row is not None else None
        if row is not None and row.source == "catalogue" and stored != attributes:
            session.execute(update(SamProduct).where(SamProduct.id == row.id).values(
                category=attributes[0], licensable=attributes[1], metrics=attributes[2]))
    ids = {(r.publisher, r.name, r.edition): r.id for r in session.execute(
        select(SamProduct.id, SamProduct.publisher, SamProduct.name, SamProduct.edition))}
    _sync_suites(session, catalogue, ids)
    return ids, len(missing)


def _wanted(catalogue: Catalogue, yielded: dict[ProductKey, Match]) -> dict[ProductKey, tuple]:
    wanted = {}
    for (publisher, name), spec in catalogue.products.items():
        for edition in ("", *spec.editions):
            wanted[(publisher, name, edition)] = spec.attributes(edition)
    for key, match in yielded.items():
        spec = catalogue.products.get(key[:2])
        if spec is not None:
            wanted[key] = spec.attributes(key[2])
        elif key not in wanted:
            category = match.category or "commercial"
            licensable = match.licensable if match.licensable is not None else category in ("commercial", "component")
            wanted[key] = (category, licensable, [])
    return wanted


def _row(key: ProductKey, attributes: tuple) -> dict:
    category, licensable, metrics = attributes
    return {"publisher": key[0], "name": key[1], "edition": key[2], "category": category, "licensable": licensable,
            "metrics": metrics, "source": "catalogue"}


def _sync_suites(session: Session, catalogue: Catalogue, ids: dict) -> None:
    by_product: dict[tuple[str, str], list[int]] = {}
    for (publisher, name, _edition), product_id in ids.items():
        by_product.setdefault((publisher, name), []).append(product_id)
    wanted = {(suite_id, part_id)
              for (publisher, suite), components in catalogue.suites.items()
              for suite_id in by_product.get((publisher, suite), [])
              for component in components
              for part_id in by_product.get((publisher, component), [])}
    existing = set(session.execute(select(SamSuiteComponent.suite_product_id, SamSuiteComponent.component_product_id)))
    missing = sorted(wanted - {tuple(r) for r in existing})
    if missing:
        session.execute(insert(SamSuiteComponent), [{"suite_product_id": s, "component_product_id": c}
                                                     for s, c in missing])
