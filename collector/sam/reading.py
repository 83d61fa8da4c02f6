"""Reading stored licence positions and the software catalogue for pages, the API and exports.

Positions, evidence, reclaim candidates and renewal items are computed and stored by
collector/sam/positions.py; everything here reads those rows (a few hundred positions per
run) or counts installs for one page of products at a time, so no reader walks millions of
``asset_software`` rows in Python. "No run yet" is an answer (``latest_run`` is None), not
an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput, NotFound
from collector.models import Asset
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import CiMatch
from collector.models.sam import (SamConsumption, SamEntitlement, SamPosition, SamPositionRun, SamProduct,
                                  SamReclaimCandidate, SamRenewalItem, SamSoftwareProduct)
from collector.models.software import AssetSoftware
from collector.queries.ordering import Sort, order_clauses

__all__ = ["NO_RUN_NOTE", "POSITION_STATUSES", "PRODUCT_SORTS", "RECLAIM_SORTS", "as_of_text", "iso", "iter_consumption",
           "latest_run", "list_consumption", "list_positions", "list_products", "list_reclaim",
           "list_renewals", "money_by_currency", "overview", "Overview", "Page", "position_history",
           "position_status", "PositionFilters", "positions_query", "product_detail", "product_installs",
           "ProductDetail", "ProductFilters", "reclaim_totals", "RenewalRow", "run_publishers", "who_has"]

NO_RUN_NOTE = "no position run yet: compute positions with `stocktake-collector sam positions`"
POSITION_STATUSES = ("short", "ok", "surplus")
RECLAIM_SORTS = ("freed_cost", "days_unused", "device", "product")
HISTORY_RUNS = 52  # the newest runs a product's history chart shows
_TEXT_MAX = 255


@dataclass(frozen=True)
class Page:
    """One page of a listing and how many rows match in all."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, (self.total + self.per_page - 1) // self.per_page)


def _text(name: str, value: str | None) -> str | None:
    if value is not None and len(value) > _TEXT_MAX:
        raise InvalidInput("invalid query parameter", [FieldError(name, f"at most {_TEXT_MAX} characters")])
    return value or None


def _page(session: Session, query, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows, total or 0, page, per_page)


def latest_run(session: Session) -> SamPositionRun | None:
    """The newest finished position run (a running or failed run is never reported on)."""
    return session.scalars(select(SamPositionRun).where(SamPositionRun.status == "finished")
                           .order_by(SamPositionRun.finished_at.desc(), SamPositionRun.id.desc()).limit(1)).first()


# --- positions -----------------------------------------------------------------------------

def position_status(balance: int | None) -> str:
    """short (fewer licences than consumed), surplus (more), ok (even, or unlimited)."""
    if balance is None or balance == 0:
        return "ok"
    return "short" if balance < 0 else "surplus"


@dataclass(frozen=True)
class PositionFilters:
    publisher: str | None = None
    product_id: int | None = None
    metric: str | None = None
    status: str | None = None

    def validated(self) -> "PositionFilters":
        if self.status is not None and self.status not in POSITION_STATUSES:
            raise InvalidInput("invalid query parameter",
                               [FieldError("status", f"must be one of {', '.join(POSITION_STATUSES)}")])
        return PositionFilters(_text("publisher", self.publisher), self.product_id, _text("metric", self.metric),
                               self.status)


_POSITION_COLUMNS = (SamPosition, SamProduct.publisher, SamProduct.name, SamProduct.edition)


def _status_clause(status: str):
    if status == "short":
        return SamPosition.balance < 0
    if status == "surplus":
        return SamPosition.balance > 0
    return or_(SamPosition.balance.is_(None), SamPosition.balance == 0)


def positions_query(run_id: int, filters: PositionFilters):
    """The run's positions with their product's names, by publisher, product, metric."""
    query = (select(*_POSITION_COLUMNS).join(SamProduct, SamProduct.id == SamPosition.product_id)
             .where(SamPosition.run_id == run_id)
             .order_by(SamProduct.publisher, SamProduct.name, SamProduct.edition, SamPosition.metric))
    if filters.publisher:
        query = query.where(SamProduct.publisher == filters.publisher)
    if filters.product_id:
        query = query.where(SamPosition.product_id == filters.product_id)
    if filters.metric:
        query = query.where(SamPosition.metric == filters.metric)
    if filters.status:
        query = query.where(_status_clause(filters.status))
    return query


def list_positions(session: Session, run_id: int, filters: PositionFilters) -> list:
    """Rows of (SamPosition, publisher, name, edition); a run holds a few hundred positions."""
    return session.execute(positions_query(run_id, filters.validated())).all()


def run_publishers(session: Session, run_id: int) -> list[str]:
    """Publishers with a position in the run (the scopes an ELP can be exported for)."""
    return list(session.scalars(select(SamProduct.publisher).join(SamPosition, SamPosition.product_id == SamProduct.id)
                                .where(SamPosition.run_id == run_id).distinct().order_by(SamProduct.publisher)))


def position_history(session: Session, product_id: int, limit: int = HISTORY_RUNS) -> list:
    """(as_of, metric, entitled, consumed, balance) of the product over the newest finished runs, oldest first."""
    runs = (select(SamPositionRun.id).where(SamPositionRun.status == "finished")
            .order_by(SamPositionRun.as_of.desc(), SamPositionRun.id.desc()).limit(limit).subquery())
    query = (select(SamPositionRun.as_of, SamPosition.metric, SamPosition.entitled, SamPosition.consumed,
                    SamPosition.balance)
             .join(SamPositionRun, SamPositionRun.id == SamPosition.run_id)
             .where(SamPosition.product_id == product_id, SamPosition.run_id.in_(select(runs.c.id)))
             .order_by(SamPositionRun.as_of, SamPositionRun.id, SamPosition.metric))
    return session.execute(query).all()


# --- evidence ------------------------------------------------------------------------------

_EVIDENCE_CHUNK = 2000


def _consumption_query(run_id: int, product_ids: list[int] | None, metric: str | None):
    query = select(SamConsumption).where(SamConsumption.run_id == run_id)
    if product_ids is not None:
        query = query.where(SamConsumption.product_id.in_(product_ids))
    if metric:
        query = query.where(SamConsumption.metric == metric)
    return query


def list_consumption(session: Session, run_id: int, product_id: int, metric: str | None, page: int,
                     per_page: int) -> Page:
    """One page of a product's evidence rows in the run (by device, then row id)."""
    query = (_consumption_query(run_id, [product_id], _text("metric", metric))
             .order_by(SamConsumption.metric, SamConsumption.device, SamConsumption.id))
    result = _page(session, query, page, per_page)
    return Page([row[0] for row in result.items], result.total, page, per_page)


def iter_consumption(session: Session, run_id: int, product_ids: list[int],
                     chunk: int = _EVIDENCE_CHUNK) -> Iterator:
    """Every evidence row of the products, product by product in the order given, each in keyset
    chunks over the (run, product) index, so an export of 5,000 devices streams in flat memory."""
    for product_id in product_ids:
        last = 0
        # Plain rows, not ORM objects: nothing piles up in the session's identity map.
        base = (select(*SamConsumption.__table__.c).where(SamConsumption.run_id == run_id,
                                                          SamConsumption.product_id == product_id)
                .order_by(SamConsumption.id).limit(chunk))
        for _ in range(10_000_000):  # bounded: one chunk per pass, ends at the first short chunk
            rows = session.execute(base.where(SamConsumption.id > last)).all()
            yield from rows
            if len(rows) < chunk:
                break
            last = rows[-1].id


# --- catalogue -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductFilters:
    q: str | None = None  # case-insensitive substring of publisher, name or edition
    publisher: str | None = None
    licensable: bool | None = None

    def validated(self) -> "ProductFilters":
        return ProductFilters(_text("q", self.q), _text("publisher", self.publisher), self.licensable)


def product_installs(session: Session, product_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{product id: (installs, devices)} counted in SQL for just these products."""
    if not product_ids:
        return {}
    query = (select(SamSoftwareProduct.product_id, func.count(), func.count(AssetSoftware.asset_id.distinct()))
             .join(AssetSoftware, AssetSoftware.software_id == SamSoftwareProduct.software_id)
             .where(SamSoftwareProduct.product_id.in_(product_ids)).group_by(SamSoftwareProduct.product_id))
    return {pid: (installs, devices) for pid, installs, devices in session.execute(query)}


# Sort key -> column(s) of the catalogue (collector/queries/ordering.py); the id breaks ties.
PRODUCT_SORTS = {"publisher": (SamProduct.publisher, SamProduct.name, SamProduct.edition),
                 "product": (SamProduct.name, SamProduct.edition), "edition": SamProduct.edition,
                 "category": SamProduct.category, "licensable": SamProduct.licensable, "id": SamProduct.id}


def list_products(session: Session, filters: ProductFilters, page: int, per_page: int,
                  sort: Sort = Sort("publisher")) -> Page:
    """A page of products (by publisher, name, edition unless ``sort`` says otherwise), each with
    (product, installs, devices)."""
    filters = filters.validated()
    query = select(SamProduct).order_by(*order_clauses(PRODUCT_SORTS, sort, SamProduct.id))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        query = query.where(or_(*(func.lower(column).like(pattern)
                                  for column in (SamProduct.publisher, SamProduct.name, SamProduct.edition))))
    if filters.publisher:
        query = query.where(SamProduct.publisher == filters.publisher)
    if filters.licensable is not None:
        query = query.where(SamProduct.licensable == filters.licensable)
    result = _page(session, query, page, per_page)
    products = [row[0] for row in result.items]
    counts = product_installs(session, [p.id for p in products])
    items = [(p, *counts.get(p.id, (0, 0))) for p in products]
    return Page(items, result.total, page, per_page)


@dataclass(frozen=True)
class ProductDetail:
    product: SamProduct
    installs: int
    devices: int
    versions: list  # (version, installs, devices), newest-looking first
    run: SamPositionRun | None
    positions: list  # SamPosition rows of the latest run
    history: list  # position_history rows


def _versions(session: Session, product_id: int) -> list:
    version = func.coalesce(SamSoftwareProduct.version, "")
    query = (select(version, func.count(), func.count(AssetSoftware.asset_id.distinct()))
             .join(AssetSoftware, AssetSoftware.software_id == SamSoftwareProduct.software_id)
             .where(SamSoftwareProduct.product_id == product_id).group_by(version).order_by(version.desc()))
    return [(v or None, installs, devices) for v, installs, devices in session.execute(query)]


def product_detail(session: Session, product_id: int) -> ProductDetail:
    product = session.get(SamProduct, product_id)
    if product is None:
        raise NotFound(f"no product {product_id}")
    installs, devices = product_installs(session, [product_id]).get(product_id, (0, 0))
    run = latest_run(session)
    positions = [] if run is None else list(session.scalars(
        select(SamPosition).where(SamPosition.run_id == run.id, SamPosition.product_id == product_id)
        .order_by(SamPosition.metric)))
    return ProductDetail(product, installs, devices, _versions(session, product_id), run, positions,
                         position_history(session, product_id))


def who_has(session: Session, product_id: int, version: str | None, page: int, per_page: int) -> Page:
    """Devices with the product installed: (asset id, host, version, first seen, user, CI id, asset tag).

    One row per install (a device with two versions appears twice), joined in SQL to the asset
    and, where reconciliation matched one, its CI; ordered by host name."""
    query = (select(Asset.id.label("asset_id"), Asset.hostname, SamSoftwareProduct.version,
                    AssetSoftware.first_seen_at, Asset.primary_user, CiMatch.ci_id, ConfigurationItem.asset_tag)
             .select_from(SamSoftwareProduct)
             .join(AssetSoftware, AssetSoftware.software_id == SamSoftwareProduct.software_id)
             .join(Asset, Asset.id == AssetSoftware.asset_id)
             .outerjoin(CiMatch, and_(CiMatch.subject_type == "asset", CiMatch.subject_id == Asset.id))
             .outerjoin(ConfigurationItem, ConfigurationItem.id == CiMatch.ci_id)
             .where(SamSoftwareProduct.product_id == product_id)
             .order_by(Asset.hostname, Asset.id, SamSoftwareProduct.version))
    if version:
        query = query.where(SamSoftwareProduct.version == _text("version", version))
    return _page(session, query, page, per_page)


# --- reclaim and renewals ------------------------------------------------------------------

def _reclaim_order(sort: str, descending: bool):
    column = {"freed_cost": SamReclaimCandidate.freed_cost, "days_unused": SamReclaimCandidate.days_unused,
              "device": SamReclaimCandidate.device, "product": SamProduct.name}[sort]
    # NULL (days unused, last used) means never seen running: the most unused, on both backends.
    return (column.desc().nulls_first() if descending else column.asc().nulls_last(), SamReclaimCandidate.id)


def list_reclaim(session: Session, run_id: int, sort: str = "freed_cost", descending: bool = True,
                 page: int = 1, per_page: int = 50, publisher: str | None = None) -> Page:
    """Reclaim candidates of the run with their product: (candidate, publisher, name, edition)."""
    if sort not in RECLAIM_SORTS:
        raise InvalidInput("invalid query parameter",
                           [FieldError("sort", f"must be one of {', '.join(RECLAIM_SORTS)}")])
    query = (select(SamReclaimCandidate, SamProduct.publisher, SamProduct.name, SamProduct.edition)
             .join(SamProduct, SamProduct.id == SamReclaimCandidate.product_id)
             .where(SamReclaimCandidate.run_id == run_id).order_by(*_reclaim_order(sort, descending)))
    if publisher:
        query = query.where(SamProduct.publisher == _text("publisher", publisher))
    return _page(session, query, page, per_page)


def money_by_currency(session: Session, amount, currency, *where) -> dict[str, Decimal]:
    """Sum of a money column per currency (amounts in different currencies are never added)."""
    query = select(currency, func.coalesce(func.sum(amount), 0)).where(*where).group_by(currency).order_by(currency)
    return {cur: Decimal(str(total)).quantize(Decimal("0.01")) for cur, total in session.execute(query)
            if Decimal(str(total)) != 0}


def reclaim_totals(session: Session, run_id: int) -> dict[str, Decimal]:
    """What removing every reclaim candidate of the run would free, per currency."""
    return money_by_currency(session, SamReclaimCandidate.freed_cost, SamReclaimCandidate.currency,
                             SamReclaimCandidate.run_id == run_id)


@dataclass(frozen=True)
class RenewalRow:
    item: SamRenewalItem
    entitlement: SamEntitlement
    publisher: str
    product: str
    edition: str
    days_left: int

    @property
    def bucket(self) -> str:
        """expired, or the tightest threshold the subscription is within (30, 60, 90 days)."""
        if self.days_left < 0:
            return "expired"
        within = [limit for limit in (30, 60, 90) if self.days_left <= limit]
        return f"{within[0]} days" if within else "later"


def list_renewals(session: Session, today: date, status: str | None = "open", publisher: str | None = None) -> list:
    """One row per entitlement with renewal items (its tightest threshold), soonest end first."""
    query = (select(SamRenewalItem, SamEntitlement, SamProduct.publisher, SamProduct.name, SamProduct.edition)
             .join(SamEntitlement, SamEntitlement.id == SamRenewalItem.entitlement_id)
             .join(SamProduct, SamProduct.id == SamEntitlement.product_id)
             .order_by(SamRenewalItem.end_date, SamRenewalItem.entitlement_id, SamRenewalItem.threshold_days))
    if status:
        query = query.where(SamRenewalItem.status == status)
    if publisher:
        query = query.where(SamProduct.publisher == _text("publisher", publisher))
    rows, seen = [], set()
    for item, entitlement, pub, name, edition in session.execute(query):
        if entitlement.id not in seen:
            seen.add(entitlement.id)
            rows.append(RenewalRow(item, entitlement, pub, name, edition, (item.end_date - today).days))
    return rows


@dataclass(frozen=True)
class Overview:
    run: SamPositionRun | None
    products_short: int
    shortfall: dict[str, Decimal]
    surplus: dict[str, Decimal]
    reclaim: dict[str, Decimal]
    reclaim_count: int
    renewals_due: int
    renewals_expired: int


def overview(session: Session, today: date) -> Overview:
    """The headline figures of the latest run (and the open renewal items)."""
    renewals = list_renewals(session, today)
    expired = sum(1 for r in renewals if r.days_left < 0)
    run = latest_run(session)
    if run is None:
        return Overview(None, 0, {}, {}, {}, 0, len(renewals) - expired, expired)
    in_run = SamPosition.run_id == run.id
    short = session.scalar(select(func.count(SamPosition.product_id.distinct())).where(in_run, SamPosition.balance < 0))
    reclaim_count = session.scalar(select(func.count()).where(SamReclaimCandidate.run_id == run.id))
    return Overview(run, short or 0,
                    money_by_currency(session, SamPosition.shortfall_cost, SamPosition.currency, in_run),
                    money_by_currency(session, SamPosition.surplus_cost, SamPosition.currency, in_run),
                    reclaim_totals(session, run.id),
                    reclaim_count or 0, len(renewals) - expired, expired)


def as_of_text(run: SamPositionRun | None) -> str:
    return NO_RUN_NOTE if run is None else f"{run.as_of:%Y-%m-%d %H:%M:%S} UTC (position run #{run.id})"


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

