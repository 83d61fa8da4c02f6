"""The KPI report as an export (CSV, XLSX, PDF through the shared writers of collector/reports).

One table of (KPI, ISO week, week start, group, measure, value) rows, the same figures as
GET /api/v1/kpis (collector/reports/kpis.py ``kpi_rows``): a row with no week covers the
whole period. The week start is a date, so a spreadsheet can chart the 12-week trends; the
provenance lists the headline value of each of the six KPIs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from collector.reports.exports import Export
from collector.reports.kpis import Kpis, kpi_rows

__all__ = ["HEADERS", "kpi_export"]

HEADERS = ("KPI", "ISO week", "Week starts", "Group", "Measure", "Value")


def _monday(week: str) -> date | None:
    if not week:
        return None
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _hours(durations) -> str:
    if not durations.count:
        return "none measured"
    return f"median {durations.median_hours:g} h, p90 {durations.p90_hours:g} h ({durations.count})"


def _notes(kpis: Kpis) -> dict[str, str]:
    done, on_time = kpis.ci_completeness, kpis.on_time_provisioning.overall
    latest = kpis.audit_exceptions.weeks[-1]
    return {"Period": f"{kpis.weeks} ISO weeks, {kpis.audit_exceptions.weeks[0].week} to {latest.week}",
            "CI records complete": f"{done.complete} of {done.cis}" + (f" ({done.percent}%)" if done.cis else ""),
            "Audit exceptions open": str(sum(latest.open.values())),
            "Cycle time": _hours(kpis.cycle_time.overall), "Approval time": _hours(kpis.approval_time.overall),
            "On-time provisioning": (f"{on_time.on_time} of {on_time.delivered} ({on_time.percent}%)"
                                     if on_time.delivered else "no deliveries with a need-by date"),
            "Disposal lead time": _hours(kpis.disposal_lead_time.overall)}


def kpi_export(kpis: Kpis, by: str, now: datetime) -> Export:
    rows = kpi_rows(kpis)

    def iterate() -> Iterator[tuple]:
        for kpi, week, group, measure, value in rows:
            yield kpi, week, _monday(week), group, measure, value

    return Export("kpis", "KPI report", HEADERS, iterate, now, by, {"weeks": str(kpis.weeks)}, _notes(kpis),
                  widths=(14, 6, 6, 12, 8, 6), count_by="KPI")
