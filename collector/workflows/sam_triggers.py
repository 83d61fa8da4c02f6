"""The licence-compliance triggers: over-deployment opens a remediation, renewal items start renewals.

``license_over_deployment``: each ``over_deployed`` exception a licence position run opens
(collector/sam/compliance.py) opens the configured template (``license_remediation``) about
the product, seeded with what its first form asks (publisher, product, the entitled quantity)
and the stored position, or joins the workflow already running for the same product and
metric (an ``exception_joined`` event), remembered by a trigger mark ``product:<id>:<metric>``.

``subscription_renewal``: open renewal items (collector/sam/renewals.py) start the configured
template (``sam_renewal``) once per entitlement while one runs, seeded with the
entitlement's publisher, product, term end, quantity and cost; the item keeps the workflow's id.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.errors import ServiceError
from collector.models import AuditException, WorkflowInstance, WorkflowTriggerMark
from collector.models.sam import SamRenewalItem
from collector.models.workflows import EventKind, InstanceStatus
from collector.workflows.events import record_event
from collector.workflows.loading import TemplateSet
from collector.workflows.roles import SYSTEM
from collector.workflows.trigger_config import Trigger

__all__ = ["link_renewal_items", "open_remediations", "renewal_subjects"]

RENEWAL_SCAN = 10_000  # open renewal items one round considers (bounded; most urgent first)


def _running_marks(session: Session, trigger: Trigger, keys: list[str]) -> dict[str, int]:
    """subject key -> the running instance this trigger started for it."""
    rows = session.execute(select(WorkflowTriggerMark.subject, WorkflowTriggerMark.instance_id)
                           .join(WorkflowInstance, WorkflowInstance.id == WorkflowTriggerMark.instance_id)
                           .where(WorkflowTriggerMark.trigger == trigger.value, WorkflowTriggerMark.subject.in_(keys),
                                  WorkflowInstance.status == InstanceStatus.RUNNING.value)
                           .order_by(WorkflowTriggerMark.instance_id))
    return {subject: instance_id for subject, instance_id in rows}


def _remediation_seed(exception: AuditException) -> dict:
    evidence = exception.evidence
    return {"publisher": evidence["publisher"], "product": evidence["product"], "sam_product_id": exception.subject_id,
            "metric": evidence["metric"], "entitled": evidence["entitled"], "consumed": evidence["consumed"],
            "shortfall": evidence["shortfall"], "over_deployed_exception_id": exception.id}


def open_remediations(session: Session, templates: TemplateSet, template_name: str, exception_ids: list[int],
                      now: datetime):
    """Open (or join) the remediation workflow of each open over_deployed exception; a TriggerResult."""
    from collector.workflows.service import start_workflow
    from collector.workflows.triggers import TriggerResult

    result = TriggerResult()
    template = templates.get(template_name)
    exceptions = list(session.scalars(select(AuditException).where(
        AuditException.id.in_(exception_ids), AuditException.kind == "over_deployed",
        AuditException.open_key.is_not(None)).order_by(AuditException.id)))
    keys = {e.id: f"product:{e.subject_id}:{e.evidence.get('metric')}" for e in exceptions}
    running = _running_marks(session, Trigger.LICENSE_OVER_DEPLOYED, sorted(set(keys.values())))
    for exception in exceptions:
        key = keys[exception.id]
        if key in running:
            record_event(session, session.get(WorkflowInstance, running[key]), EventKind.EXCEPTION_JOINED.value,
                         SYSTEM, now, detail={"exception_id": exception.id, "kind": exception.kind})
            result.joined += 1
            continue
        subject = {"exception_id": exception.id} if template.subject == "exception" else {}
        try:
            instance = start_workflow(session, templates, template_name, SYSTEM, now=now,
                                      data=_remediation_seed(exception), **subject)
        except ServiceError:
            result.skipped += 1
            continue
        instance.exception_id = exception.id  # the exception's page and queue show its workflow
        session.add(WorkflowTriggerMark(instance_id=instance.id, trigger=Trigger.LICENSE_OVER_DEPLOYED.value,
                                        subject=key, fired_at=now))
        running[key], result.started = instance.id, result.started + 1
    session.flush()
    return result


def renewal_subjects(session: Session) -> list:
    """One subject per entitlement with open renewal items and no workflow yet (its most urgent item)."""
    from collector.sam.renewals import open_items
    from collector.workflows.triggers import Subject

    subjects = {}
    for item, entitlement, product in open_items(session, RENEWAL_SCAN):
        if item.workflow_instance_id is not None or entitlement.id in subjects:
            continue
        seed = {"publisher": product.publisher, "product": product.name, "sam_product_id": product.id,
                "sam_entitlement_id": entitlement.id, "renewal_item_id": item.id,
                "threshold_days": item.threshold_days, "term_end": item.end_date.isoformat(),
                "quantity": entitlement.quantity, "metric": entitlement.metric,
                "cost": int((entitlement.unit_cost or 0) * entitlement.quantity),
                "vendor": entitlement.vendor, "contract_id": entitlement.contract_id}
        subjects[entitlement.id] = Subject(f"entitlement:{entitlement.id}", data=seed)
    return list(subjects.values())


def link_renewal_items(session: Session) -> int:
    """Store on each open item without one the renewal workflow running for its entitlement."""
    session.flush()  # the marks the trigger just added (sessions do not autoflush)
    items = list(session.scalars(select(SamRenewalItem).where(SamRenewalItem.workflow_instance_id.is_(None),
                                                              SamRenewalItem.status == "open").limit(RENEWAL_SCAN)))
    running = _running_marks(session, Trigger.SUBSCRIPTION_RENEWAL,
                             sorted({f"entitlement:{i.entitlement_id}" for i in items}))
    linked = 0
    for item in items:
        instance_id = running.get(f"entitlement:{item.entitlement_id}")
        if instance_id is not None:
            item.workflow_instance_id, linked = instance_id, linked + 1
    return linked
