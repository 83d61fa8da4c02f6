"""The KPIs, computed from what is stored (rows and their timestamps), never from counters.

Each KPI is a function of a session and a period (``now`` and a number of ISO weeks), so any
node computes the same answer and a number can always be traced back to rows.

**% of CI records complete** (:func:`ci_completeness`): a CI is complete when every field its
class requires in its current status is filled (not NULL, and not empty text); the definition
is collector/reports/required_fields.py, overridable per class in config. Reported overall
and per class, with how many CIs miss each required field. A snapshot of the register now:
CI rows keep no history of their field values, so the period does not apply.

**Audit exceptions** (:func:`exception_weeks`): over the last N ISO weeks (Monday 00:00 UTC,
the current week so far last), per week and kind: *opened* (``opened_at`` in the week),
*closed* (``resolved_at`` in the week: reconciliation resolves an exception when its condition
clears; acknowledging does not close it), and *open* (opened before the week's end and not
resolved by then). Plus the *ageing* of those open now: days since ``opened_at`` in 0-7, 8-30,
31-90 and over 90. AuditException has stored ``resolved_at`` since it was created (migration
0007), set by the one resolving path (collector/reconcile/store.py), so no backfill is needed.

**Workflow KPIs** (collector/reports/workflow_kpis.py): cycle time and approval time (median
and p90 per template), on-time provisioning and disposal lead time, from ``workflow_events``,
over the same ISO weeks and per week.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session

from collector.models.cmdb import ConfigurationItem
from collector.models.reconcile import AuditException
from collector.reconcile.report import EXCEPTION_KINDS
from collector.reports.required_fields import TEXT_FIELDS, RequiredFields, fields_for
from collector.reports.workflow_kpis import DurationKpi, OnTimeKpi, workflow_kpis

__all__ = ["AGEING_BUCKETS", "DEFAULT_WEEKS", "MAX_WEEKS", "ClassCompleteness", "Completeness", "ExceptionKpis",
           "ExceptionWeek", "FieldGap", "Kpis", "ci_completeness", "compute_kpis", "exception_weeks", "kpi_rows",
           "week_starts"]

DEFAULT_WEEKS = 12
MAX_WEEKS = 104
# (label, minimum age in days, maximum age in days or None)
AGEING_BUCKETS = (("0-7", 0, 7), ("8-30", 8, 30), ("31-90", 31, 90), (">90", 91, None))


@dataclass(frozen=True)
class ClassCompleteness:
    ci_class: str
    cis: int
    complete: int
    percent: float | None  # None when there are no CIs
    missing: dict[str, int]  # required field -> CIs of this class without it


@dataclass(frozen=True)
class FieldGap:
    field: str
    cis: int  # CIs that require the field and lack it


@dataclass(frozen=True)
class Completeness:
    cis: int
    complete: int
    percent: float | None
    by_class: list[ClassCompleteness]
    most_missing: list[FieldGap]  # most often missing first


@dataclass(frozen=True)
class ExceptionWeek:
    week: str  # ISO week, e.g. "2026-W49"
    starts: str  # its Monday (ISO date)
    opened: dict[str, int]  # per kind
    closed: dict[str, int]
    open: dict[str, int]


@dataclass(frozen=True)
class ExceptionKpis:
    kinds: list[str]
    weeks: list[ExceptionWeek]
    ageing: dict[str, dict[str, int]]  # bucket -> kind -> exceptions open now


@dataclass(frozen=True)
class Kpis:
    generated_at: str
    weeks: int
    ci_completeness: Completeness
    audit_exceptions: ExceptionKpis
    cycle_time: DurationKpi
    approval_time: DurationKpi
    on_time_provisioning: OnTimeKpi
    disposal_lead_time: DurationKpi

    def as_dict(self) -> dict:
        return asdict(self)


def compute_kpis(session: Session, now: datetime, weeks: int, required: RequiredFields) -> Kpis:
    flows = workflow_kpis(session, week_starts(now, weeks))
    return Kpis(now.isoformat(), weeks, ci_completeness(session, required), exception_weeks(session, now, weeks),
                flows.cycle_time, flows.approval_time, flows.on_time_provisioning, flows.disposal_lead_time)


# --- % of CI records complete -----------------------------------------------------------

def _missing(name: str):
    column = getattr(ConfigurationItem, name)
    return or_(column.is_(None), column == "") if name in TEXT_FIELDS else column.is_(None)


def ci_completeness(session: Session, required: RequiredFields) -> Completeness:
    """Per (class, status, set of missing fields) one count, in one grouped query: the register is
    read once, whatever its size, and every figure is derived from those groups."""
    names = sorted({n for conditions in required.values() for fields in conditions.values() for n in fields})
    # Bit i set = field i missing. Grouped by the label: PostgreSQL would not see a second copy of
    # the CASE, with its own bound parameters, as the same expression.
    mask = sum((case((_missing(n), literal(1 << i)), else_=literal(0)) for i, n in enumerate(names)), literal(0))
    rows = session.execute(select(ConfigurationItem.ci_class, ConfigurationItem.status, mask.label("missing_mask"),
                                  func.count()).group_by(ConfigurationItem.ci_class, ConfigurationItem.status,
                                                         "missing_mask")).all()
    totals, complete, missing = Counter(), Counter(), defaultdict(Counter)
    for ci_class, status, bits, count in rows:
        absent = [n for n in fields_for(required, ci_class, status) if bits & (1 << names.index(n))]
        totals[ci_class] += count
        complete[ci_class] += 0 if absent else count
        for name in absent:
            missing[ci_class][name] += count
    by_class = [ClassCompleteness(cls, totals[cls], complete[cls], _percent(complete[cls], totals[cls]),
                                  dict(sorted(missing[cls].items(), key=_most_first)))
                for cls in sorted(totals)]
    overall = sum(missing.values(), Counter())
    cis, done = sum(totals.values()), sum(complete.values())
    return Completeness(cis, done, _percent(done, cis), by_class,
                        [FieldGap(name, count) for name, count in sorted(overall.items(), key=_most_first)])


def _most_first(item: tuple[str, int]) -> tuple[int, str]:
    return -item[1], item[0]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --- audit exceptions per week ----------------------------------------------------------

def week_starts(now: datetime, weeks: int) -> list[datetime]:
    """The Mondays (00:00 UTC) starting the last ``weeks`` ISO weeks, the current one last, and the
    next Monday (the end of the current week)."""
    now = now.astimezone(timezone.utc)
    monday = datetime(now.year, now.month, now.day, tzinfo=timezone.utc) - timedelta(days=now.weekday())
    return [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks + 1)]


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def exception_weeks(session: Session, now: datetime, weeks: int) -> ExceptionKpis:
    """Opened, closed and open per ISO week and kind, and the ageing of those open now: one query
    for the weeks (a sum per week and measure, grouped by kind) and one for the ageing."""
    bounds = week_starts(now, weeks)
    opened, resolved = AuditException.opened_at, AuditException.resolved_at
    columns = []
    for start, end in zip(bounds, bounds[1:]):
        columns += [_count_if(and_(opened >= start, opened < end)),
                    _count_if(and_(resolved >= start, resolved < end)),
                    _count_if(and_(opened < end, or_(resolved.is_(None), resolved >= end)))]
    rows = session.execute(select(AuditException.kind, *columns)
                           .where(opened < bounds[-1], or_(resolved.is_(None), resolved >= bounds[0]))
                           .group_by(AuditException.kind)).all()
    kinds = list(EXCEPTION_KINDS) + sorted({row[0] for row in rows} - set(EXCEPTION_KINDS))
    counts = {row[0]: [int(v or 0) for v in row[1:]] for row in rows}
    result = []
    for i, start in enumerate(bounds[:-1]):
        per = {kind: counts.get(kind, [0] * 3 * weeks)[3 * i:3 * i + 3] for kind in kinds}
        year, week, _ = start.isocalendar()
        result.append(ExceptionWeek(f"{year}-W{week:02d}", start.date().isoformat(),
                                    {k: v[0] for k, v in per.items()}, {k: v[1] for k, v in per.items()},
                                    {k: v[2] for k, v in per.items()}))
    return ExceptionKpis(kinds, result, _ageing(session, now, kinds))


def _ageing(session: Session, now: datetime, kinds: list[str]) -> dict[str, dict[str, int]]:
    """Age in whole days (now - opened_at, rounded down): "0-7" is opened less than 8 days ago."""
    opened = AuditException.opened_at
    columns = []
    for _label, low, high in AGEING_BUCKETS:
        newest = now - timedelta(days=low)  # age >= low  <=>  opened_at <= now - low days
        condition = opened <= newest if low else true()
        if high is not None:
            condition = and_(condition, opened > now - timedelta(days=high + 1))
        columns.append(_count_if(condition))
    rows = session.execute(select(AuditException.kind, *columns).where(AuditException.resolved_at.is_(None))
                           .group_by(AuditException.kind)).all()
    counts = {row[0]: [int(v or 0) for v in row[1:]] for row in rows}
    return {label: {kind: counts.get(kind, [0] * len(AGEING_BUCKETS))[i] for kind in kinds}
            for i, (label, _low, _high) in enumerate(AGEING_BUCKETS)}


# --- one flat table for CSV and spreadsheets --------------------------------------------

def kpi_rows(kpis: Kpis) -> list[tuple[str, str, str, str, float | int | None]]:
    """(kpi, week, group, measure, value) rows: one table for CSV/XLSX, easy to pivot."""
    completeness = kpis.ci_completeness
    rows = _share_rows("all", completeness.cis, completeness.complete, completeness.percent)
    for cls in completeness.by_class:
        rows += _share_rows(cls.ci_class, cls.cis, cls.complete, cls.percent)
        rows += [("ci_missing_field", "", cls.ci_class, name, count) for name, count in cls.missing.items()]
    rows += [("ci_missing_field", "", "all", gap.field, gap.cis) for gap in completeness.most_missing]
    for week in kpis.audit_exceptions.weeks:
        for measure in ("opened", "closed", "open"):
            rows += [("audit_exceptions", week.week, kind, measure, count)
                     for kind, count in getattr(week, measure).items()]
    for bucket, per_kind in kpis.audit_exceptions.ageing.items():
        rows += [("audit_exception_age_days", "", kind, bucket, count) for kind, count in per_kind.items()]
    for name in ("cycle_time", "approval_time", "disposal_lead_time"):
        rows += _duration_rows(f"{name}_hours", getattr(kpis, name))
    rows += _on_time_rows(kpis.on_time_provisioning)
    return rows


def _durations(kpi: str, week: str, group: str, durations) -> list[tuple]:
    return [(kpi, week, group, "count", durations.count), (kpi, week, group, "median", durations.median_hours),
            (kpi, week, group, "p90", durations.p90_hours)]


def _duration_rows(kpi: str, result: DurationKpi) -> list[tuple]:
    rows = _durations(kpi, "", "all", result.overall)
    for template, durations in result.by_template.items():
        rows += _durations(kpi, "", template, durations)
    for week in result.weeks:
        rows += _durations(kpi, week.week, "all", week.overall)
        for template, durations in week.by_template.items():
            rows += _durations(kpi, week.week, template, durations)
    return rows


def _on_time(week: str, group: str, share) -> list[tuple]:
    return [("on_time_provisioning", week, group, measure, getattr(share, measure))
            for measure in ("delivered", "on_time", "percent", "without_need_by")]


def _on_time_rows(result: OnTimeKpi) -> list[tuple]:
    rows = _on_time("", "all", result.overall)
    for template, share in result.by_template.items():
        rows += _on_time("", template, share)
    for week in result.weeks:
        rows += _on_time(week.week, "all", week.overall)
    return rows


def _share_rows(group: str, cis: int, complete: int, percent: float | None) -> list[tuple]:
    return [("ci_complete", "", group, "cis", cis), ("ci_complete", "", group, "complete", complete),
            ("ci_complete", "", group, "percent", percent)]
