"""CMDB changes a workflow's execution makes, through one service that records before/after.

A template's execution task names an action in its ``action`` property; the action reads the
instance's data and changes the CI. ``change_ci`` is the only writer here, so every change is
a ``cmdb_change`` event (and audit log entry) with the values before and after; a new CI
(procurement) is created by the CMDB service ``collector.cmdb.records.create_ci``, its
"before" empty. Refusals raise before anything is written, so a refused move changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.cmdb.records import create_ci
from collector.errors import Conflict
from collector.models import CiStatus, ConfigurationItem, WorkflowEvent, WorkflowInstance
from collector.models.workflows import EventKind

__all__ = ["ACTIONS", "assign_ci", "change_ci", "dispose_ci", "finish_repair", "reassign_ci", "register_ci",
           "retire_ci", "start_repair"]

CHANGEABLE = ("status", "assigned_user", "department", "location")


def change_ci(session: Session, ci_id: int, values: dict, now: datetime) -> dict:
    """Set CI fields; returns {"ci_id", "before", "after"} of the fields that changed."""
    unknown = set(values) - set(CHANGEABLE)
    if unknown:
        raise ValueError(f"workflows may not change {', '.join(sorted(unknown))}")
    ci = session.get(ConfigurationItem, ci_id, with_for_update=True)
    if ci is None:
        raise Conflict(f"CI {ci_id} no longer exists")
    before, after = {}, {}
    for name, value in values.items():
        if getattr(ci, name) != value:
            before[name], after[name] = getattr(ci, name), value
            setattr(ci, name, value)
    if after:
        ci.updated_at = now
    return {"ci_id": ci_id, "before": before, "after": after}


def assign_ci(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Deployment: the CI goes to the requested user, department and location, status deployed."""
    if instance.ci_id is None:
        raise Conflict("this workflow has no CI to deploy")
    return change_ci(session, instance.ci_id, {"assigned_user": data["user"], "department": data["department"],
                                               "location": data["location"], "status": CiStatus.DEPLOYED.value}, now)


def _ci(session: Session, instance: WorkflowInstance) -> ConfigurationItem:
    ci = session.get(ConfigurationItem, instance.ci_id) if instance.ci_id is not None else None
    if ci is None:
        raise Conflict("this workflow's CI no longer exists")
    return ci


def register_ci(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Procurement's tag step: the received item becomes a CI "in stock" under its new asset tag.

    The tag is the one typed (a pre-printed label) or ST-<workflow id>; a tag or serial the
    register already holds is refused (collector.cmdb.records)."""
    if instance.ci_id is not None:
        raise Conflict(f"this workflow already created CI {instance.ci_id}")
    values = {"asset_tag": data.get("asset_tag") or f"ST-{instance.id:06d}", "ci_class": data["ci_class"],
              "name": data["item"], "serial": data["serial"], "vendor": data["vendor"], "model": data["model"],
              "status": CiStatus.IN_STOCK.value, "cost": data["cost"], "po_number": data["po_number"],
              "supplier": data["supplier"], "purchase_date": data.get("ordered_on"),
              "warranty_end": data.get("warranty_end"), "location": data.get("location")}
    ci = create_ci(session, values, now)
    instance.ci_id = ci.id
    after = {k: v for k, v in values.items() if v not in (None, "")}
    return {"ci_id": ci.id, "before": {}, "after": {**after, "asset_tag": ci.asset_tag, "serial": ci.serial}}


def start_repair(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Maintenance: the CI goes "in repair"; its status before is kept in this change's event."""
    status = _ci(session, instance).status
    if status in (CiStatus.IN_REPAIR.value, CiStatus.RETIRED.value, CiStatus.DISPOSED.value):
        raise Conflict(f"CI {instance.ci_id} is {status}: it cannot go in for repair")
    return change_ci(session, instance.ci_id, {"status": CiStatus.IN_REPAIR.value}, now)


def status_before_repair(session: Session, instance: WorkflowInstance) -> str | None:
    """The CI's status before this workflow put it in repair, read from the recorded change."""
    changes = session.scalars(select(WorkflowEvent.detail).where(
        WorkflowEvent.instance_id == instance.id, WorkflowEvent.kind == EventKind.CMDB_CHANGE.value)
        .order_by(WorkflowEvent.id))
    for detail in changes:
        if (detail.get("after") or {}).get("status") == CiStatus.IN_REPAIR.value:
            return detail["before"]["status"]
    return None


def finish_repair(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Maintenance: back from repair, the CI returns to the status it had before."""
    previous, status = status_before_repair(session, instance), _ci(session, instance).status
    if previous is None or status != CiStatus.IN_REPAIR.value:
        raise Conflict(f"CI {instance.ci_id} is {status}, not in repair by this workflow")
    return change_ci(session, instance.ci_id, {"status": previous}, now)


def reassign_ci(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Reassignment or relocation: the new department and location, and the new user if one is named."""
    status = _ci(session, instance).status
    if status in (CiStatus.RETIRED.value, CiStatus.DISPOSED.value):
        raise Conflict(f"CI {instance.ci_id} is {status}: it cannot be reassigned")
    values = {"department": data["department"], "location": data["location"]}
    if data.get("user"):
        values["assigned_user"] = data["user"]
    return change_ci(session, instance.ci_id, values, now)


def retire_ci(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Retirement, after the data wipe: status retired, nobody assigned."""
    status = _ci(session, instance).status
    if status in (CiStatus.RETIRED.value, CiStatus.DISPOSED.value):
        raise Conflict(f"CI {instance.ci_id} is already {status}")
    return change_ci(session, instance.ci_id, {"status": CiStatus.RETIRED.value, "assigned_user": None}, now)


def dispose_ci(session: Session, instance: WorkflowInstance, data: dict, now: datetime) -> dict:
    """Disposal by the vendor: only a retired CI is disposed of."""
    status = _ci(session, instance).status
    if status != CiStatus.RETIRED.value:
        raise Conflict(f"CI {instance.ci_id} is {status}; only a retired CI is disposed of")
    return change_ci(session, instance.ci_id, {"status": CiStatus.DISPOSED.value}, now)


ACTIONS: dict[str, Callable[[Session, WorkflowInstance, dict, datetime], dict]] = {
    "assign_ci": assign_ci,
    "create_ci": register_ci,
    "start_repair": start_repair,
    "finish_repair": finish_repair,
    "reassign_ci": reassign_ci,
    "retire_ci": retire_ci,
    "dispose_ci": dispose_ci,
}
