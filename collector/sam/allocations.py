"""Allocations: part of an entitlement set aside for a device (a CMDB CI), a user or a department.

An allocation never over-commits its entitlement: the allocated total stays within the
quantity bought (site and unlimited licences count nothing, so they have no ceiling). Each
add and removal is in the audit log with the entitlement's id, who and in which role.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.access.audit_log import append_entry
from collector.cmdb.cells import CellProblem
from collector.errors import FieldError, InvalidInput, NotFound
from collector.models.cmdb import ConfigurationItem
from collector.models.sam import SamEntitlementAllocation
from collector.sam.entitlement_validation import UNCOUNTED, parse_whole
from collector.sam.entitlements import Editor, get_entitlement, require_admin

__all__ = ["TARGET_KINDS", "AllocationTarget", "add_allocation", "allocated_total", "allocation_record",
           "counts_quantity", "list_allocations", "remove_allocation"]

_FIELDS = ("target_kind", "target", "quantity")
_TARGET_MAX = 255


class AllocationTarget:
    DEVICE = "device"  # target: the CI id
    USER = "user"  # target: the user name
    DEPARTMENT = "department"  # target: the department name


TARGET_KINDS = (AllocationTarget.DEVICE, AllocationTarget.USER, AllocationTarget.DEPARTMENT)


def counts_quantity(metric: str | None) -> bool:
    return metric not in UNCOUNTED


def allocated_total(session: Session, entitlement_id: int) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(SamEntitlementAllocation.quantity), 0))
                              .where(SamEntitlementAllocation.entitlement_id == entitlement_id)) or 0)


def list_allocations(session: Session, entitlement_id: int) -> list[SamEntitlementAllocation]:
    return list(session.scalars(select(SamEntitlementAllocation)
                                .where(SamEntitlementAllocation.entitlement_id == entitlement_id)
                                .order_by(SamEntitlementAllocation.target_kind, SamEntitlementAllocation.target)))


def add_allocation(session: Session, entitlement_id: int, data: dict, editor: Editor,
                   now: datetime | None = None) -> SamEntitlementAllocation:
    require_admin(editor)
    entitlement = get_entitlement(session, entitlement_id, lock=True)
    kind, target, quantity, errors = _check(session, data)
    if quantity is not None and counts_quantity(entitlement.metric):
        allocated = allocated_total(session, entitlement_id)
        if allocated + quantity > entitlement.quantity:
            errors.append(FieldError("quantity", f"{quantity} more would allocate {allocated + quantity} of the "
                                                 f"{entitlement.quantity} bought ({allocated} already allocated)"))
    if not errors and _exists(session, entitlement_id, kind, target):
        errors.append(FieldError("target", f"this entitlement already has an allocation to {kind} {target}"))
    if errors:
        raise InvalidInput("the allocation has errors; nothing was stored", errors)
    allocation = SamEntitlementAllocation(entitlement_id=entitlement_id, target_kind=kind, target=target,
                                          quantity=quantity)
    session.add(allocation)
    session.flush()
    append_entry(session, "sam_allocation_added", editor.actor, f"entitlement {entitlement_id}",
                 {"role": editor.role, "before": None, "after": allocation_record(allocation)}, now)
    return allocation


def remove_allocation(session: Session, entitlement_id: int, allocation_id: int, editor: Editor,
                      now: datetime | None = None) -> None:
    require_admin(editor)
    allocation = session.get(SamEntitlementAllocation, allocation_id)
    if allocation is None or allocation.entitlement_id != entitlement_id:
        raise NotFound(f"entitlement {entitlement_id} has no allocation {allocation_id}")
    before = allocation_record(allocation)
    session.delete(allocation)
    session.flush()
    append_entry(session, "sam_allocation_removed", editor.actor, f"entitlement {entitlement_id}",
                 {"role": editor.role, "before": before, "after": None}, now)


def allocation_record(allocation: SamEntitlementAllocation) -> dict:
    return {"id": allocation.id, "entitlement_id": allocation.entitlement_id, "target_kind": allocation.target_kind,
            "target": allocation.target, "quantity": allocation.quantity}


def _check(session: Session, data: dict) -> tuple[str | None, str | None, int | None, list[FieldError]]:
    errors = [FieldError(str(name), "unknown field") for name in data if name not in _FIELDS]
    kind = str(data.get("target_kind") or "").strip().lower()
    if kind not in TARGET_KINDS:
        errors.append(FieldError("target_kind", f"must be one of {', '.join(TARGET_KINDS)}"))
    target = " ".join(str(data.get("target") or "").split())
    if not target:
        errors.append(FieldError("target", "required: the CI id, user name or department"))
    elif len(target) > _TARGET_MAX:
        errors.append(FieldError("target", f"longer than {_TARGET_MAX} characters ({len(target)})"))
    elif kind == AllocationTarget.DEVICE:
        problem = _device_problem(session, target)
        if problem:
            errors.append(FieldError("target", problem))
    try:
        quantity = parse_whole(1 if data.get("quantity") in (None, "") else data["quantity"], minimum=1)
    except CellProblem as exc:
        errors.append(FieldError("quantity", str(exc)))
        quantity = None
    return kind, target, quantity, errors


def _device_problem(session: Session, target: str) -> str | None:
    if not target.isdigit() or len(target) > 18:
        return f"a device is named by its CI id (a number), not {target[:40]!r}"
    if session.get(ConfigurationItem, int(target)) is None:
        return f"no CI with id {target}"
    return None


def _exists(session: Session, entitlement_id: int, kind: str, target: str) -> bool:
    return session.scalar(select(SamEntitlementAllocation.id).where(
        SamEntitlementAllocation.entitlement_id == entitlement_id, SamEntitlementAllocation.target_kind == kind,
        SamEntitlementAllocation.target == target)) is not None
