"""Validation evidence: what the discovery side says about a workflow's outcome.

Each check reads reconciliation's state (matches, exceptions) and answers (passed, why). A
template's validation task names one in its ``check`` property. These are the hook points
the "facts changed" step and later license positions plug into: add a function here and
register it in ``CHECKS`` (the SAM templates' checks live in ``sam_evidence``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import Asset, AuditException, CiMatch, WorkflowEvent, WorkflowInstance
from collector.workflows.sam_evidence import SAM_CHECKS

__all__ = ["CHECKS", "Evidence", "exception_resolved", "user_reported"]

Evidence = tuple[bool, str]


def _deployed_at(session: Session, instance: WorkflowInstance) -> datetime | None:
    return session.scalar(select(func.max(WorkflowEvent.at)).where(
        WorkflowEvent.instance_id == instance.id, WorkflowEvent.kind == "cmdb_change"))


def user_reported(session: Session, instance: WorkflowInstance, data: dict) -> Evidence:
    """The new user is the primary user an agent reported, after the deployment, for an asset
    that reconciliation matched to the instance's CI."""
    user, since = (data.get("user") or "").strip(), _deployed_at(session, instance)
    if instance.ci_id is None or not user or since is None:
        return False, "nothing deployed to check yet"
    reported = session.execute(
        select(Asset.hostname, Asset.primary_user, Asset.last_seen_at)
        .join(CiMatch, (CiMatch.subject_type == "asset") & (CiMatch.subject_id == Asset.id))
        .where(CiMatch.ci_id == instance.ci_id, CiMatch.outcome == "matched")
        .order_by(Asset.last_seen_at.desc())).all()
    for hostname, primary_user, last_seen_at in reported:
        if (primary_user or "").lower() == user.lower() and last_seen_at >= since:
            return True, f"agent on {hostname} reported user {primary_user} at {last_seen_at.isoformat()}"
    if not reported:
        return False, "no agent report is matched to this CI by reconciliation yet"
    latest = reported[0]
    return False, (f"the latest agent report for this CI ({latest.hostname}, {latest.last_seen_at.isoformat()}) "
                   f"shows user {latest.primary_user or 'none'}, not {user}, since the deployment")


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
    **SAM_CHECKS,  # collector/workflows/sam_evidence.py: the SAM templates' checks
}
