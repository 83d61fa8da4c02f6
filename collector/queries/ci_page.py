"""One configuration item as its page shows it: attributes with source and age, what matched it
and why, its relationships, exceptions, workflows and history.

The explanation (matches with their rule, observed values, exceptions) is the one the API
serves (``collector.reconcile.report.explain_ci``); this adds what a person browsing needs
beside it: the register's own value next to the authoritative one, names for every linked
record, and a timeline. Every query is an index lookup by CI id, so the page costs the same
at 100,000 CIs as at ten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from collector.errors import NotFound
from collector.models.cmdb import ConfigurationItem, CiMac, CiRelationship
from collector.models.reconcile import AuditException
from collector.models.workflows import WorkflowInstance
from collector.queries.subjects import SubjectLabel, describe_subjects
from collector.reconcile.report import explain_ci

__all__ = ["ATTRIBUTES", "AttributeRow", "CiPage", "HistoryItem", "RelationshipRow", "ci_id_by_tag", "ci_page"]

# The register's columns a person compares with what agents and scans saw, in page order.
ATTRIBUTES = ("hostname", "fqdn", "serial", "vendor", "model", "smbios_uuid", "ip", "location", "assigned_user",
              "department", "status")
WORKFLOW_LIMIT = 50
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class AttributeRow:
    name: str
    register: object
    value: object  # the authoritative value reconciliation settled on (None: none)
    source: str | None  # "cmdb" (the register), "agent", "snmp", "switch_port"...
    seen_at: datetime | None
    age_days: int | None


@dataclass(frozen=True)
class RelationshipRow:
    outgoing: bool  # True: this CI → other; False: other → this CI
    kind: str
    other: SubjectLabel | None
    target: str | None  # free-text target (a user, a port) when not a CI
    detail: dict | None
    source: str


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    text: str
    exception_id: int | None = None
    workflow_id: int | None = None


@dataclass(frozen=True)
class CiPage:
    ci: ConfigurationItem
    macs: list[str]
    attributes: list[AttributeRow]
    explanation: dict  # explain_ci's answer, as the API serves it
    matched: list[tuple[dict, SubjectLabel | None]]  # each match row with its subject named
    relationships: list[RelationshipRow]
    exceptions: list[AuditException]
    workflows: list[WorkflowInstance]
    history: list[HistoryItem]


def _seen(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _attributes(ci: ConfigurationItem, observed: dict, now: datetime) -> list[AttributeRow]:
    names = [*ATTRIBUTES, *sorted(set(observed) - set(ATTRIBUTES))]
    rows = []
    for name in names:
        found = observed.get(name) or {}
        seen_at = _seen(found.get("seen_at"))
        rows.append(AttributeRow(name, getattr(ci, name, None), found.get("value"), found.get("source"), seen_at,
                                 (now - seen_at).days if seen_at else None))
    return rows


def _relationships(session: Session, ci_id: int) -> list[CiRelationship]:
    return list(session.scalars(select(CiRelationship).where(
        or_(CiRelationship.ci_id == ci_id, CiRelationship.target_ci_id == ci_id))
        .order_by(CiRelationship.kind, CiRelationship.id)))


def _other(relationship: CiRelationship, ci_id: int) -> tuple[str, int | None]:
    return "ci", relationship.target_ci_id if relationship.ci_id == ci_id else relationship.ci_id


def _history(ci: ConfigurationItem, exceptions: list[AuditException],
             workflows: list[WorkflowInstance]) -> list[HistoryItem]:
    origin = "imported from the register" + (f" (batch {ci.import_batch})" if ci.import_batch else "") \
        if ci.source == "import" else f"created by {ci.source}"
    items = [HistoryItem(ci.created_at, f"Record {origin}")]
    if ci.updated_at and ci.updated_at != ci.created_at:
        items.append(HistoryItem(ci.updated_at, "Register record last changed"))
    for e in exceptions:
        kind = e.kind.replace("_", " ")
        items.append(HistoryItem(e.opened_at, f"{kind.capitalize()} exception opened: {e.summary}", exception_id=e.id))
        if e.acknowledged_at:
            items.append(HistoryItem(e.acknowledged_at, f"{kind.capitalize()} exception acknowledged",
                                     exception_id=e.id))
        if e.resolved_at:
            note = f": {e.resolution_note}" if e.resolution_note else ""
            items.append(HistoryItem(e.resolved_at, f"{kind.capitalize()} exception resolved{note}", exception_id=e.id))
    for w in workflows:
        items.append(HistoryItem(w.created_at, f"Workflow {w.template.replace('_', ' ')} started", workflow_id=w.id))
        if w.closed_at:
            items.append(HistoryItem(w.closed_at, f"Workflow {w.template.replace('_', ' ')} {w.status}",
                                     workflow_id=w.id))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:HISTORY_LIMIT]


def ci_page(session: Session, ci_id: int, now: datetime) -> CiPage:
    ci = session.get(ConfigurationItem, ci_id)
    if ci is None:
        raise NotFound(f"no CI with id {ci_id}")
    explanation = explain_ci(session, ci)
    relationships = _relationships(session, ci_id)
    # One naming pass for matched subjects and related CIs: a query per kind, not per section.
    labels = describe_subjects(session, [*((m["subject_type"], m["subject_id"]) for m in explanation["matches"]),
                                         *(ref for ref in (_other(r, ci_id) for r in relationships) if ref[1])])
    matched = [(m, labels.get((m["subject_type"], m["subject_id"]))) for m in explanation["matches"]]
    related = [RelationshipRow(r.ci_id == ci_id, r.kind, labels.get(_other(r, ci_id)), r.target, r.detail, r.source)
               for r in relationships]
    exceptions = list(session.scalars(select(AuditException).where(AuditException.ci_id == ci_id)
                                      .order_by(AuditException.opened_at.desc(), AuditException.id.desc())))
    workflows = list(session.scalars(select(WorkflowInstance).where(WorkflowInstance.ci_id == ci_id)
                                     .order_by(WorkflowInstance.id.desc()).limit(WORKFLOW_LIMIT)))
    macs = list(session.scalars(select(CiMac.mac).where(CiMac.ci_id == ci_id).order_by(CiMac.mac)))
    return CiPage(ci, macs, _attributes(ci, explanation["observed"], now), explanation, matched,
                  related, exceptions, workflows, _history(ci, exceptions, workflows))


def ci_id_by_tag(session: Session, tag: str) -> int | None:
    """The CI with exactly this asset tag (tags are unique; a digit-only tag is a tag, not an id)."""
    if len(tag) > 255:
        return None
    return session.scalar(select(ConfigurationItem.id).where(ConfigurationItem.asset_tag == tag))
