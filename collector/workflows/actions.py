"""CMDB changes a workflow's execution makes, through one service that records before/after.

A template's execution task names an action in its ``action`` property; the action reads the
instance's data and changes the CI. ``change_ci`` is the only writer here, so every change is
a ``cmdb_change`` event (and audit log entry) with the values before and after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from collector.errors import Conflict
from collector.models import CiStatus, ConfigurationItem, WorkflowInstance

__all__ = ["ACTIONS", "assign_ci", "change_ci"]

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


ACTIONS: dict[str, Callable[[Session, WorkflowInstance, dict, datetime], dict]] = {
    "assign_ci": assign_ci,
}
