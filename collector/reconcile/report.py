"""The reconciliation report and a CI's explanation, read from what the runs stored.

The report is what admins read and auditors export: the last run, counts per outcome and
per open exception kind, and the rows (filterable, paginated). The explanation answers
"why is this CI matched to that machine?" with the rule, the identifier and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from collector.models import Asset, Device, QuietedException
from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException, CiMatch, CiState, ReconcileRun
from collector.queries.ordering import Sort, order_clauses
from collector.reports import counts
from collector.reports.counts import OpenExceptions

__all__ = ["EXCEPTION_KIND_LABELS", "EXCEPTION_KINDS", "OUTCOMES", "REPORT_SORTS", "ReportPage", "explain_ci", "find_ci", "last_run", "reconciliation_report"]

OUTCOMES = ("matched", "unmanaged", "duplicate")
EXCEPTION_KINDS = ("unmanaged", "missing", "drift", "duplicate", "conflict", "cloned_identity")
# How the UI names each kind: "unmanaged" is raised for a subject not in the CMDB
# (collector/reports/counts.py), which is not the same as a device without an agent.
EXCEPTION_KIND_LABELS = {kind: kind.replace("_", " ") for kind in EXCEPTION_KINDS} | {
    "unmanaged": "unmanaged (not in the CMDB)"}


@dataclass(frozen=True)
class ReportPage:
    run: dict | None
    outcome_counts: dict[str, int]
    open_exceptions: dict[str, int]  # per kind, every open one (acknowledged too): the API's figure
    exceptions: OpenExceptions  # the same, split: not acknowledged / acknowledged (collector/reports/counts.py)
    not_in_cmdb: int
    without_agent: int
    # Not raised (collector/reconcile/scoping.py): by the unmanaged policy (discovered nodes) or a rule.
    quieted: dict[str, int]
    rows: list[dict]
    total: int
    page: int
    per_page: int


def _iso(value):
    return value.isoformat() if value is not None else None


def last_run(session: Session) -> dict | None:
    run = session.scalars(select(ReconcileRun).where(ReconcileRun.status == "finished")
                          .order_by(ReconcileRun.id.desc()).limit(1)).first()
    if run is None:
        return None
    return {"id": run.id, "mode": run.mode, "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "subjects": run.subjects, "counts": run.counts, "duration_ms": run.duration_ms}


# Sort key -> column(s) of the report rows; the match id breaks ties (collector/queries/ordering.py).
REPORT_SORTS = {"outcome": (CiMatch.outcome, CiMatch.subject_type, CiMatch.subject_id),
                "subject": (CiMatch.subject_type, CiMatch.subject_id), "ci": ConfigurationItem.asset_tag,
                "rule": CiMatch.rule, "updated": CiMatch.updated_at}


def reconciliation_report(session: Session, outcome: str | None = None, page: int = 1, per_page: int = 100,
                          sort: Sort = Sort("outcome")) -> ReportPage:
    """Counts over everything; rows (one per observed subject) filtered by ``outcome``, sorted and paginated."""
    outcome_counts = dict.fromkeys(OUTCOMES, 0)
    outcome_counts.update(session.execute(select(CiMatch.outcome, func.count()).group_by(CiMatch.outcome)).all())
    split = counts.open_exceptions(session, EXCEPTION_KINDS)
    open_exceptions = {k: split.not_acknowledged.get(k, 0) + split.acknowledged.get(k, 0) for k in split.not_acknowledged}
    query = (select(CiMatch, ConfigurationItem.asset_tag, ConfigurationItem.name, ConfigurationItem.hostname)
             .outerjoin(ConfigurationItem, ConfigurationItem.id == CiMatch.ci_id))
    if outcome:
        query = query.where(CiMatch.outcome == outcome)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = []
    for match, asset_tag, name, ci_hostname in session.execute(
            query.order_by(*order_clauses(REPORT_SORTS, sort, CiMatch.id))
            .limit(per_page).offset((page - 1) * per_page)):
        rows.append({"subject_type": match.subject_type, "subject_id": match.subject_id, "outcome": match.outcome,
                     "ci_id": match.ci_id, "asset_tag": asset_tag, "ci_name": name or ci_hostname, "rule": match.rule,
                     "explanation": match.explanation, "updated_at": _iso(match.updated_at)})
    _name_subjects(session, rows)
    _quiet_rows(session, rows)
    quieted = {"policy": 0, "suppression": 0}
    quieted.update(session.execute(select(QuietedException.source, func.count()).group_by(QuietedException.source)).all())
    return ReportPage(last_run(session), outcome_counts, open_exceptions, split, counts.not_in_cmdb(session),
                      counts.devices_without_agent(session), quieted, rows, total, page, per_page)


def _quiet_rows(session: Session, rows: list[dict]) -> None:
    """Each row's exceptions that were not raised: kind, by policy or by which suppression rule, and why."""
    found: dict[tuple[str, int], list[dict]] = {}
    for kind in ("asset", "device"):
        ids = [r["subject_id"] for r in rows if r["subject_type"] == kind]
        if not ids:
            continue
        for q in session.scalars(select(QuietedException).where(QuietedException.subject_type == kind,
                                                                QuietedException.subject_id.in_(ids))
                                 .order_by(QuietedException.kind)):
            found.setdefault((kind, q.subject_id), []).append(
                {"kind": q.kind, "source": q.source, "rule_id": q.rule_id, "reason": q.reason})
    for row in rows:
        row["quieted"] = found.get((row["subject_type"], row["subject_id"]), [])


def _name_subjects(session: Session, rows: list[dict]) -> None:
    """Give each row the subject's own name (host name, or the device's IP/MAC), two queries per page."""
    assets = [r["subject_id"] for r in rows if r["subject_type"] == "asset"]
    devices = [r["subject_id"] for r in rows if r["subject_type"] == "device"]
    names = {}
    if assets:
        names.update((("asset", i), h) for i, h in session.execute(select(Asset.id, Asset.hostname)
                                                                    .where(Asset.id.in_(assets))))
    if devices:
        names.update((("device", i), n or ip or mac) for i, n, ip, mac in session.execute(
            select(Device.id, Device.sys_name, Device.ip, Device.mac).where(Device.id.in_(devices))))
    for row in rows:
        row["subject_name"] = names.get((row["subject_type"], row["subject_id"]))


def find_ci(session: Session, reference: str) -> ConfigurationItem | None:
    """A CI by asset tag, or by numeric id."""
    ci = session.scalars(select(ConfigurationItem).where(ConfigurationItem.asset_tag == reference)).first()
    if ci is None and reference.isdigit():
        ci = session.get(ConfigurationItem, int(reference))
    return ci


def explain_ci(session: Session, ci: ConfigurationItem) -> dict:
    """Everything reconciliation concluded about one CI, with its reasons."""
    matches = session.scalars(select(CiMatch).where(CiMatch.ci_id == ci.id)
                              .order_by(CiMatch.subject_type, CiMatch.subject_id)).all()
    rows = [{"subject_type": m.subject_type, "subject_id": m.subject_id, "outcome": m.outcome, "rule": m.rule,
             "explanation": m.explanation} for m in matches]
    _name_subjects(session, rows)
    state = session.get(CiState, ci.id)
    exceptions = session.scalars(select(AuditException).where(AuditException.ci_id == ci.id)
                                 .order_by(AuditException.opened_at.desc(), AuditException.id.desc())).all()
    return {
        "ci": {"id": ci.id, "asset_tag": ci.asset_tag, "class": ci.ci_class, "status": ci.status,
               "serial": ci.serial, "hostname": ci.hostname, "vendor": ci.vendor, "model": ci.model},
        "matches": rows,
        "observed": {attribute: {"value": value, "source": source, "seen_at": seen_at}
                     for attribute, (value, source, seen_at) in (state.observed if state else {}).items()},
        "last_seen_at": _iso(state.last_seen_at) if state else None,
        "exceptions": [{"id": e.id, "kind": e.kind, "status": e.status, "summary": e.summary, "evidence": e.evidence,
                        "opened_at": _iso(e.opened_at), "resolved_at": _iso(e.resolved_at),
                        "resolution_note": e.resolution_note} for e in exceptions],
    }
