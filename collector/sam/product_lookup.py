"""Finding the catalogue product an entitlement names: by id, or by publisher, product and
edition typed by a person (case and surrounding spaces ignored), with close matches when
nothing fits so a typo can be corrected from the message alone."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models.sam import SamProduct

__all__ = ["MAX_PRODUCTS", "ProductIndex", "ProductRef"]

MAX_PRODUCTS = 200_000  # catalogue products read at once (the catalogue holds hundreds to thousands)


@dataclass(frozen=True)
class ProductRef:
    id: int
    publisher: str
    name: str
    edition: str
    metrics: tuple[str, ...]

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.publisher, self.name, self.edition) if part)


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


class ProductIndex:
    """Every catalogue product, read once per request or import (an import of 10,000 rows
    asks one question of the database, not 10,000)."""

    def __init__(self, session: Session) -> None:
        rows = self._rows(session)
        if not rows:  # a fresh install: the catalogue's products exist before the first normalisation
            from collector.sam.products import sync_products
            from collector.sam.ruleset import current_ruleset

            sync_products(session, current_ruleset(session).catalogue, {})
            rows = self._rows(session)
        self._by_id = {r.id: ProductRef(r.id, r.publisher, r.name, r.edition or "", tuple(r.metrics or ()))
                       for r in rows}
        self._by_name: dict[str, list[ProductRef]] = {}
        for ref in self._by_id.values():
            self._by_name.setdefault(_fold(ref.name), []).append(ref)

    @staticmethod
    def _rows(session: Session) -> list:
        return session.execute(select(SamProduct.id, SamProduct.publisher, SamProduct.name, SamProduct.edition,
                                      SamProduct.metrics).order_by(SamProduct.id).limit(MAX_PRODUCTS)).all()

    def by_id(self, product_id: int) -> ProductRef | None:
        return self._by_id.get(product_id)

    def find(self, publisher: str, name: str, edition: str | None) -> tuple[ProductRef | None, str, str]:
        """(the product, "", "") or (None, the field at fault, why, with close matches)."""
        named = self._by_name.get(_fold(name), [])
        if not named:
            return None, "product", f"no product named {name!r} in the catalogue; {self._close(publisher, name)}"
        published = [ref for ref in named if _fold(ref.publisher) == _fold(publisher)]
        if not published:
            others = ", ".join(sorted({ref.publisher for ref in named})[:5])
            return None, "publisher", f"{name!r} is published by {others} in the catalogue, not {publisher!r}"
        return self._edition(published, edition)

    def _edition(self, published: list[ProductRef], edition: str | None) -> tuple[ProductRef | None, str, str]:
        editions = ", ".join(sorted(repr(ref.edition) for ref in published if ref.edition)[:8])
        exact = [ref for ref in published if _fold(ref.edition) == _fold(edition)]
        if exact:
            return exact[0], "", ""
        if not edition and len(published) == 1:
            return published[0], "", ""
        name = f"{published[0].publisher} {published[0].name}"
        if not edition:
            return None, "edition", f"{name} has several editions; name one: {editions}"
        return None, "edition", f"no edition {edition!r} of {name}; editions: {editions or 'none'}"

    def _close(self, publisher: str, name: str) -> str:
        labels = {_fold(ref.label): ref.label for ref in self._by_id.values()}
        found = [labels[key] for key in difflib.get_close_matches(_fold(f"{publisher} {name}"), list(labels), 5, 0.5)]
        for key in difflib.get_close_matches(_fold(name), list(self._by_name), 5, 0.6):
            found += [ref.label for ref in self._by_name[key]]
        close = list(dict.fromkeys(found))[:5]
        return f"close matches: {', '.join(close)}" if close else "no close matches"
