"""Entitlements (licences bought): create, change, delete, list, each change in the audit log.

Services take a session and plain data; the caller's transaction holds the whole change, so a
refused record (``InvalidInput`` naming every bad field at once) stores nothing. Every write
appends one hash-chained audit entry with the record before and after, and who did it in
which role. Only admins manage entitlements; the check here backs up the views' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entry
from collector.errors import FieldError, Forbidden, InvalidInput, NotFound
from collector.models.base import utcnow
from collector.models.sam import SamEntitlement, SamEntitlementAllocation, SamProduct
from collector.sam.entitlement_validation import (CORE_FIELDS, PRODUCT_NAME_FIELDS, STORED_FIELDS, Term,
                                                  check_entitlement)
from collector.sam.product_lookup import ProductIndex

__all__ = ["SORTS", "EntitlementFilters", "EntitlementRow", "Editor", "create_entitlement", "days_left",
           "delete_entitlement", "entitlement_record", "entitlement_view", "get_entitlement", "list_entitlements",
           "require_admin",
           "update_entitlement"]

SORTS = ("publisher", "product", "metric", "quantity", "term", "end_date", "unit_cost", "id")
MAX_PAGE = 1000


@dataclass(frozen=True)
class Editor:
    """Who changes entitlements, and in which role (recorded in the audit entry)."""

    actor: Actor
    role: str


def require_admin(editor: Editor) -> None:
    if editor.role != "admin":
        raise Forbidden("managing entitlements needs the admin role")


@dataclass(frozen=True)
class EntitlementFilters:
    publisher: str | None = None
    product: str | None = None
    metric: str | None = None
    term: str | None = None
    sort: str = "product"
    descending: bool = False


@dataclass(frozen=True)
class EntitlementRow:
    entitlement: SamEntitlement
    product: SamProduct
    allocated: int


def get_entitlement(session: Session, entitlement_id: int, *, lock: bool = False) -> SamEntitlement:
    """The entitlement, or NotFound. ``lock``: its row stays locked until the transaction ends
    (PostgreSQL), so two admins allocating or lowering the quantity at once cannot over-commit it."""
    entitlement = session.get(SamEntitlement, entitlement_id, with_for_update=lock or None)
    if entitlement is None:
        raise NotFound(f"no entitlement with id {entitlement_id}")
    return entitlement


def list_entitlements(session: Session, filters: EntitlementFilters, page: int = 1,
                      per_page: int = 100) -> tuple[list[EntitlementRow], int]:
    """One page of entitlements with their product and allocated total, and the total count."""
    allocated = (select(SamEntitlementAllocation.entitlement_id, func.sum(SamEntitlementAllocation.quantity)
                        .label("allocated")).group_by(SamEntitlementAllocation.entitlement_id).subquery())
    query = (select(SamEntitlement, SamProduct, func.coalesce(allocated.c.allocated, 0))
             .join(SamProduct, SamProduct.id == SamEntitlement.product_id)
             .outerjoin(allocated, allocated.c.entitlement_id == SamEntitlement.id))
    for column, value in ((SamProduct.publisher, filters.publisher), (SamProduct.name, filters.product)):
        if value:
            query = query.where(func.lower(column).contains(value.strip().lower(), autoescape=True))
    if filters.metric:
        query = query.where(SamEntitlement.metric == filters.metric)
    if filters.term:
        query = query.where(SamEntitlement.term == filters.term)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(*_order(filters)).limit(min(per_page, MAX_PAGE))
                           .offset((page - 1) * min(per_page, MAX_PAGE))).all()
    return [EntitlementRow(e, p, int(a)) for e, p, a in rows], total


def _order(filters: EntitlementFilters) -> list:
    column = {"publisher": SamProduct.publisher, "product": SamProduct.name, "metric": SamEntitlement.metric,
              "quantity": SamEntitlement.quantity, "term": SamEntitlement.term, "end_date": SamEntitlement.end_date,
              "unit_cost": SamEntitlement.unit_cost, "id": SamEntitlement.id}[filters.sort]
    first = column.desc().nulls_last() if filters.descending else column.asc().nulls_last()
    return [first, SamProduct.publisher, SamProduct.name, SamEntitlement.id]


def create_entitlement(session: Session, data: dict, editor: Editor, now: datetime | None = None) -> SamEntitlement:
    require_admin(editor)
    checked = check_entitlement(ProductIndex(session), data)
    if checked.errors:
        raise InvalidInput("the entitlement has errors; nothing was stored", checked.errors)
    now = now or utcnow()
    entitlement = SamEntitlement(**checked.values, created_at=now, updated_at=now)
    session.add(entitlement)
    session.flush()
    _audit(session, "sam_entitlement_created", editor, entitlement, None, entitlement_record(entitlement), now)
    return entitlement


def update_entitlement(session: Session, entitlement_id: int, changes: dict, editor: Editor,
                       now: datetime | None = None) -> SamEntitlement:
    """Lay ``changes`` over the stored record and check the result whole; fields not sent keep
    their values (a changed metric that is not processor_core drops the stored core fields)."""
    require_admin(editor)
    entitlement = get_entitlement(session, entitlement_id, lock=True)
    before = entitlement_record(entitlement)
    checked = check_entitlement(ProductIndex(session), _merged(entitlement, changes))
    errors = checked.errors + _allocation_room(session, entitlement.id, checked.values.get("quantity"),
                                               checked.values.get("metric"))
    if errors:
        raise InvalidInput("the entitlement has errors; nothing was stored", errors)
    for name, value in checked.values.items():
        setattr(entitlement, name, value)
    entitlement.updated_at = now or utcnow()
    session.flush()
    _audit(session, "sam_entitlement_updated", editor, entitlement, before, entitlement_record(entitlement), now)
    return entitlement


def _merged(entitlement: SamEntitlement, changes: dict) -> dict:
    merged = {name: getattr(entitlement, name) for name in STORED_FIELDS}
    if changes.keys() & set(PRODUCT_NAME_FIELDS):
        merged.pop("product_id")
    if "metric" in changes and str(changes["metric"]).strip().lower() != "processor_core":
        for name in CORE_FIELDS:
            merged.pop(name)
    return {**merged, **changes}


def _allocation_room(session: Session, entitlement_id: int, quantity: int | None, metric: str | None) -> list:
    from collector.sam.allocations import allocated_total, counts_quantity

    allocated = allocated_total(session, entitlement_id)
    if quantity is None or not counts_quantity(metric) or quantity >= allocated:
        return []
    return [FieldError("quantity", f"{quantity} is below the {allocated} already allocated; "
                                   "remove allocations first")]


def delete_entitlement(session: Session, entitlement_id: int, editor: Editor, now: datetime | None = None) -> None:
    """Delete the entitlement with its allocations and renewal items (both cascade)."""
    require_admin(editor)
    entitlement = get_entitlement(session, entitlement_id)
    before = entitlement_record(entitlement)
    from collector.sam.allocations import list_allocations

    before["allocations"] = [{"target_kind": a.target_kind, "target": a.target, "quantity": a.quantity}
                             for a in list_allocations(session, entitlement_id)]
    session.delete(entitlement)
    session.flush()
    _audit(session, "sam_entitlement_deleted", editor, entitlement, before, None, now)


def _audit(session: Session, action: str, editor: Editor, entitlement: SamEntitlement, before: dict | None,
           after: dict | None, now: datetime | None) -> None:
    append_entry(session, action, editor.actor, f"entitlement {entitlement.id}",
                 {"role": editor.role, "before": before, "after": after}, now)


def entitlement_record(entitlement: SamEntitlement) -> dict:
    """The stored fields as JSON-ready values (dates ISO, money and factors as decimal strings)."""
    return {"id": entitlement.id, **{name: _plain(getattr(entitlement, name)) for name in STORED_FIELDS},
            "import_batch": entitlement.import_batch}


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # "1.000" -> "1", "100.00" -> "100", "0.50" -> "0.5"
    return value


def days_left(entitlement: SamEntitlement, today: date) -> int | None:
    """Days until a subscription ends (negative once it has ended); None for perpetual licences."""
    if entitlement.term != Term.SUBSCRIPTION or entitlement.end_date is None:
        return None
    return (entitlement.end_date - today).days


def entitlement_view(entitlement: SamEntitlement, product: SamProduct, today: date, allocated: int) -> dict:
    """The record with its product, allocated total and days left, as the API and CLI show it."""
    return {**entitlement_record(entitlement),
            "product": {"id": product.id, "publisher": product.publisher, "name": product.name,
                        "edition": product.edition},
            "allocated": allocated, "days_left": days_left(entitlement, today),
            "created_at": entitlement.created_at.isoformat(), "updated_at": entitlement.updated_at.isoformat()}

