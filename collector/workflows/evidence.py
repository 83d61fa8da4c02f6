"""Validation evidence: what the discovery side says about a workflow's outcome.

Each check reads reconciliation's state (matches, exceptions) and answers (passed, why). A
template's validation task names one in its ``check`` property. These are the hook points
the "facts changed" step and later license positions plug into: add a function here and
register it in ``CHECKS`` (the SAM templates' checks live in ``sam_evidence``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.models import (Asset, AuditException, CiMatch, CiStatus, ConfigurationItem, WorkflowEvent,
                              WorkflowInstance)
from collector.models.workflows import EventKind
from collector.workflows.sam_evidence import SAM_CHECKS
from common.identity import normalize_serial

__all__ = ["CHECKS", "Evidence", "back_in_service", "ci_in_stock", "exception_resolved", "matched_reports",
           "stopped_reporting", "user_reported"]

Evidence = tuple[bool, str]


def _changed_at(session: Session, instance: WorkflowInstance, status: str | None = None) -> datetime | None:
    """When this workflow last changed its CI (only changes that set ``status``, if given)."""
    rows = session.execute(select(WorkflowEvent.at, WorkflowEvent.detail).where(
        WorkflowEvent.instance_id == instance.id, WorkflowEvent.kind == EventKind.CMDB_CHANGE.value)
        .order_by(WorkflowEvent.id.desc())).all()
    for at, detail in rows:
        if status is None or (detail.get("after") or {}).get("status") == status:
            return at
    return None


def matched_reports(session: Session, ci_id: int) -> list:
    """Agent assets reconciliation matched to the CI: (hostname, primary_user, last_seen_at), newest first."""
    return session.execute(
        select(Asset.hostname, Asset.primary_user, Asset.last_seen_at)
        .join(CiMatch, (CiMatch.subject_type == "asset") & (CiMatch.subject_id == Asset.id))
        .where(CiMatch.ci_id == ci_id, CiMatch.outcome == "matched")
        .order_by(Asset.last_seen_at.desc())).all()


def user_reported(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """The new user is the primary user an agent reported, after the change, for an asset that
    reconciliation matched to the instance's CI. A change that names no user (a relocation)
    has no agent evidence: agents report users, not departments or locations, so the CMDB
    record is checked and the evidence says so."""
    user, since = (data.get("user") or "").strip(), _changed_at(session, instance)
    if instance.ci_id is None or since is None:
        return False, "nothing deployed to check yet"
    if not user:
        return _record_holds(session, instance.ci_id, data)
    reported = matched_reports(session, instance.ci_id)
    for hostname, primary_user, last_seen_at in reported:
        if (primary_user or "").lower() == user.lower() and last_seen_at >= since:
            found = f"agent on {hostname} reported user {primary_user} at {last_seen_at.isoformat()}"
            if not (data.get("department") or data.get("location")):
                return True, found
            held, why = _record_holds(session, instance.ci_id, data)
            return held, f"{found}; {why}"
    if not reported:
        return False, "no agent report is matched to this CI by reconciliation yet"
    latest = reported[0]
    return False, (f"the latest agent report for this CI ({latest.hostname}, {latest.last_seen_at.isoformat()}) "
                   f"shows user {latest.primary_user or 'none'}, not {user}, since the deployment")


def _record_holds(session: Session, ci_id: int, data: dict) -> Evidence:
    """The CI still has the department and location the workflow set (no discovery source reports them)."""
    ci = session.get(ConfigurationItem, ci_id)
    wanted = {k: data[k] for k in ("department", "location") if data.get(k)}
    wrong = [f"{k} is {getattr(ci, k)!r}, not {v!r}" for k, v in wanted.items() if getattr(ci, k) != v]
    if wrong:
        return False, "the CMDB record changed since: " + ", ".join(wrong)
    shown = ", ".join(f"{k} {v}" for k, v in wanted.items())
    return True, (f"CMDB record shows {shown}; no agent evidence exists for department or location: agents "
                  "report users, not departments or locations")


def ci_in_stock(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """Procurement: the CI exists "in stock" with the received serial; an agent or SNMP report
    that reconciliation matched to it since is shown too (a received machine already switched on)."""
    ci = session.get(ConfigurationItem, instance.ci_id) if instance.ci_id is not None else None
    if ci is None:
        return False, "no CI was created by this workflow"
    serial = normalize_serial(data.get("serial"))
    if ci.serial != serial:
        return False, f"CI {ci.asset_tag} has serial {ci.serial!r}, not the received {serial!r}"
    if ci.status != CiStatus.IN_STOCK.value:
        return False, f"CI {ci.asset_tag} is {ci.status}, not in_stock"
    seen = session.execute(select(CiMatch.subject_type, CiMatch.rule, CiMatch.updated_at).where(
        CiMatch.ci_id == ci.id, CiMatch.outcome == "matched").order_by(CiMatch.updated_at.desc()).limit(1)).first()
    stocked = f"CI {ci.asset_tag} (id {ci.id}) is in_stock with serial {ci.serial}"
    if seen is None:
        return True, stocked + "; no discovery report matches it yet"
    source = "an agent" if seen.subject_type == "asset" else "an SNMP/network"
    return True, stocked + (f"; reconciliation matched {source} report to it by {seen.rule} "
                            f"at {seen.updated_at.isoformat()}")


def back_in_service(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """Maintenance: the CI left "in repair" for its earlier status and, where an agent reports
    it, the agent has reported since the return."""
    from collector.workflows.actions import status_before_repair

    ci = session.get(ConfigurationItem, instance.ci_id) if instance.ci_id is not None else None
    previous, returned = status_before_repair(session, instance), _changed_at(session, instance)
    if ci is None or previous is None or returned is None:
        return False, "the CI has not been through this repair"
    if ci.status != previous:
        return False, f"CI {ci.asset_tag} is {ci.status}, not back to {previous}"
    reported = matched_reports(session, ci.id)
    if not reported:
        return True, f"CI {ci.asset_tag} is back to {previous}; it has no agent, so no report to wait for"
    latest = reported[0]
    if latest.last_seen_at < returned:
        return False, (f"CI {ci.asset_tag} is back to {previous}, but its agent ({latest.hostname}) last reported "
                       f"at {latest.last_seen_at.isoformat()}, before the return at {returned.isoformat()}")
    return True, (f"CI {ci.asset_tag} is back to {previous}; agent on {latest.hostname} reported at "
                  f"{latest.last_seen_at.isoformat()}, after the return")


def stopped_reporting(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """Retirement: no agent report matched to the CI arrived after it was retired."""
    retired = _changed_at(session, instance, CiStatus.RETIRED.value)
    if instance.ci_id is None or retired is None:
        return False, "the CI has not been retired by this workflow"
    reported = matched_reports(session, instance.ci_id)
    if not reported:
        return True, f"no agent report has ever been matched to this CI (retired {retired.isoformat()})"
    latest = reported[0]
    if latest.last_seen_at > retired:
        return False, (f"still reporting: agent on {latest.hostname} reported at {latest.last_seen_at.isoformat()}, "
                       f"after the retirement at {retired.isoformat()}")
    return True, (f"stopped reporting: last seen {latest.last_seen_at.isoformat()} ({latest.hostname}), "
                  f"before the retirement at {retired.isoformat()}")


def exception_resolved(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """A reconciliation run found the exception's condition gone and resolved it."""
    exception = session.get(AuditException, instance.exception_id) if instance.exception_id else None
    if exception is None:
        return False, "the exception no longer exists"
    if exception.status != "resolved":
        return False, f"exception {exception.id} ({exception.kind}) is still {exception.status}: {exception.summary}"
    return True, f"exception {exception.id} resolved by reconciliation run {exception.resolved_run_id}"


CHECKS: dict[str, Callable[[Session, WorkflowInstance, dict], Evidence]] = {
    "user_reported": user_reported,
    "exception_resolved": exception_resolved,
    "ci_in_stock": ci_in_stock,
    "back_in_service": back_in_service,
    "stopped_reporting": stopped_reporting,
    **SAM_CHECKS,  # collector/workflows/sam_evidence.py: the SAM templates' checks
}
