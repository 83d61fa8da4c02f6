"""The four workflow KPIs, computed from ``workflow_events`` (never from counters).

Each KPI is measured per item that *ended* in the period (the last N ISO weeks, Monday 00:00
UTC, the current week so far last) and is reported over the whole period, per template, and
per ISO week of the ending event, so a dashboard can chart a 12-week trend. Durations are in
hours; ``median`` is the middle value (the mean of the two middle ones for an even count) and
``p90`` the nearest-rank 90th percentile (the smallest value with at least 90% of the values
at or below it).

- **Cycle time**: an instance's ``closed`` event minus its ``started`` event.
- **Approval time**: an ``approved`` or ``rejected`` event minus the ``ready_at`` it carries (when
  that approval task became ready: the engine stamps a task when it becomes ready, and the
  completion event records the stamp). A resubmitted request's second approval counts again.
- **On-time provisioning**: deliveries are completion events of a task whose BPMN ``kpi``
  property was "delivered" (ham_deployment's execution task); on time when delivered on or
  before the instance's need-by date (UTC day). Deliveries without a need-by date are counted
  apart and left out of the percentage.
- **Disposal lead time**: the completion of the task marked ``kpi`` "disposed" minus the last
  completion before it, not a rejection, of the task marked "retirement_approved"
  (ham_retirement). An instance disposed without an approval is not measured.

Each KPI is one query over the events of the period (indexes on (kind, at) and (task_kpi,
at)); quantiles are taken in Python, the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from collector.models import WorkflowEvent, WorkflowInstance
from collector.models.workflows import EventKind

__all__ = ["DurationKpi", "DurationWeek", "Durations", "OnTime", "OnTimeKpi", "OnTimeWeek", "WorkflowKpis",
           "approval_time", "cycle_time", "disposal_lead_time", "on_time_provisioning", "quantiles",
           "workflow_kpis"]

DELIVERED, RETIREMENT_APPROVED, DISPOSED = "delivered", "retirement_approved", "disposed"


@dataclass(frozen=True)
class Durations:
    count: int
    median_hours: float | None  # None when nothing was measured
    p90_hours: float | None


@dataclass(frozen=True)
class DurationWeek:
    week: str  # ISO week, e.g. "2026-W49"
    starts: str  # its Monday (ISO date)
    overall: Durations
    by_template: dict[str, Durations]


@dataclass(frozen=True)
class DurationKpi:
    overall: Durations
    by_template: dict[str, Durations]
    weeks: list[DurationWeek]


@dataclass(frozen=True)
class OnTime:
    delivered: int  # with a need-by date
    on_time: int
    percent: float | None
    without_need_by: int


@dataclass(frozen=True)
class OnTimeWeek:
    week: str
    starts: str
    overall: OnTime


@dataclass(frozen=True)
class OnTimeKpi:
    overall: OnTime
    by_template: dict[str, OnTime]
    weeks: list[OnTimeWeek]


@dataclass(frozen=True)
class WorkflowKpis:
    cycle_time: DurationKpi
    approval_time: DurationKpi
    on_time_provisioning: OnTimeKpi
    disposal_lead_time: DurationKpi


def workflow_kpis(session: Session, bounds: list[datetime]) -> WorkflowKpis:
    """``bounds``: the week starts of the period and the end (collector.reports.kpis.week_starts)."""
    return WorkflowKpis(cycle_time(session, bounds), approval_time(session, bounds),
                        on_time_provisioning(session, bounds), disposal_lead_time(session, bounds))


def quantiles(hours: list[float]) -> Durations:
    if not hours:
        return Durations(0, None, None)
    ordered = sorted(hours)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return Durations(len(ordered), round(statistics.median(ordered), 2), round(p90, 2))


def _hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _week_index(bounds: list[datetime], at: datetime) -> int:
    return min(len(bounds) - 2, max(0, int((at - bounds[0]) / timedelta(weeks=1))))


def _label(start: datetime) -> tuple[str, str]:
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}", start.date().isoformat()


def _duration_kpi(bounds: list[datetime], items: list[tuple[str, datetime, float]]) -> DurationKpi:
    """items: (template, ending time, hours)."""
    weeks = len(bounds) - 1
    per_template, per_week = defaultdict(list), [defaultdict(list) for _ in range(weeks)]
    for template, ended, hours in items:
        per_template[template].append(hours)
        per_week[_week_index(bounds, ended)][template].append(hours)
    trend = [DurationWeek(*_label(bounds[i]), quantiles([h for hs in per_week[i].values() for h in hs]),
                          {t: quantiles(hs) for t, hs in sorted(per_week[i].items())}) for i in range(weeks)]
    return DurationKpi(quantiles([h for _t, _e, h in items]), {t: quantiles(hs) for t, hs in sorted(per_template.items())},
                       trend)


def _in_period(column, bounds: list[datetime]):
    return and_(column >= bounds[0], column < bounds[-1])


def cycle_time(session: Session, bounds: list[datetime]) -> DurationKpi:
    closed, started = aliased(WorkflowEvent), aliased(WorkflowEvent)
    rows = session.execute(
        select(WorkflowInstance.template, started.at, closed.at)
        .join(WorkflowInstance, WorkflowInstance.id == closed.instance_id)
        .join(started, and_(started.instance_id == closed.instance_id, started.kind == EventKind.STARTED.value))
        .where(closed.kind == EventKind.CLOSED.value, _in_period(closed.at, bounds))).all()
    return _duration_kpi(bounds, [(t, end, _hours(start, end)) for t, start, end in rows])


def approval_time(session: Session, bounds: list[datetime]) -> DurationKpi:
    rows = session.execute(
        select(WorkflowInstance.template, WorkflowEvent.ready_at, WorkflowEvent.at)
        .join(WorkflowInstance, WorkflowInstance.id == WorkflowEvent.instance_id)
        .where(WorkflowEvent.kind.in_((EventKind.APPROVED.value, EventKind.REJECTED.value)),
               _in_period(WorkflowEvent.at, bounds), WorkflowEvent.ready_at.is_not(None))).all()
    return _duration_kpi(bounds, [(t, end, _hours(ready, end)) for t, ready, end in rows])


def _on_time(items: list[tuple[datetime, object]]) -> OnTime:
    dated = [(at, need_by) for at, need_by in items if need_by is not None]
    on_time = sum(1 for at, need_by in dated if at.date() <= need_by)
    return OnTime(len(dated), on_time, round(100 * on_time / len(dated), 1) if dated else None,
                  len(items) - len(dated))


def on_time_provisioning(session: Session, bounds: list[datetime]) -> OnTimeKpi:
    rows = session.execute(
        select(WorkflowInstance.template, WorkflowEvent.at, WorkflowInstance.need_by)
        .join(WorkflowInstance, WorkflowInstance.id == WorkflowEvent.instance_id)
        .where(WorkflowEvent.task_kpi == DELIVERED, WorkflowEvent.kind != EventKind.REJECTED.value,
               _in_period(WorkflowEvent.at, bounds))).all()
    per_template, per_week = defaultdict(list), [[] for _ in range(len(bounds) - 1)]
    for template, at, need_by in rows:
        per_template[template].append((at, need_by))
        per_week[_week_index(bounds, at)].append((at, need_by))
    return OnTimeKpi(_on_time([(at, n) for _t, at, n in rows]),
                     {t: _on_time(items) for t, items in sorted(per_template.items())},
                     [OnTimeWeek(*_label(bounds[i]), _on_time(items)) for i, items in enumerate(per_week)])


def disposal_lead_time(session: Session, bounds: list[datetime]) -> DurationKpi:
    disposed = select(WorkflowEvent.instance_id).where(WorkflowEvent.task_kpi == DISPOSED,
                                                       _in_period(WorkflowEvent.at, bounds))
    rows = session.execute(
        select(WorkflowEvent.instance_id, WorkflowInstance.template, WorkflowEvent.task_kpi, WorkflowEvent.at)
        .join(WorkflowInstance, WorkflowInstance.id == WorkflowEvent.instance_id)
        .where(WorkflowEvent.instance_id.in_(disposed), WorkflowEvent.task_kpi.in_((RETIREMENT_APPROVED, DISPOSED)),
               WorkflowEvent.kind != EventKind.REJECTED.value)
        .order_by(WorkflowEvent.instance_id, WorkflowEvent.at, WorkflowEvent.id)).all()
    items, approved = [], {}
    for instance_id, template, kpi, at in rows:
        if kpi == RETIREMENT_APPROVED:
            approved[instance_id] = at
        elif instance_id in approved and bounds[0] <= at < bounds[-1]:
            items.append((template, at, _hours(approved.pop(instance_id), at)))
    return _duration_kpi(bounds, items)
