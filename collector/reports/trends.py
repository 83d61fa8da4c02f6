"""The weekly series in a KPI report, found by their shape, for charts and tables.

A KPI with a trend is a list of per-week records (a ``week`` key, e.g. "2026-W49", and
figures: a number, or a number per group such as exception kind or template). Charts are
drawn for every such list wherever it sits in the report, so a KPI added to
collector/reports/kpis.py gets its 12-week chart without a change here; the scalar figures
beside them are collected the same way for the headline table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Series", "headline_figures", "weekly_series"]

_NUMBER = (int, float)
_LABEL_KEYS = frozenset(("week", "starts", "start", "ends", "end"))


@dataclass(frozen=True)
class Series:
    """One measure over the weeks: a line per group (a single line named after the measure if ungrouped)."""

    title: str
    weeks: list[str]
    lines: dict[str, list[float | None]]


def _is_number(value) -> bool:
    return value is None or isinstance(value, _NUMBER) and not isinstance(value, bool)


def _is_weeks(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "week" in v for v in value)


def _title(path: tuple[str, ...]) -> str:
    words = [p.replace("_", " ") for p in path if p not in ("weeks", "trend", "trends")]
    return ": ".join(words).capitalize() if words else "Trend"


def weekly_series(report: dict, path: tuple[str, ...] = ()) -> list[Series]:
    """Every weekly measure of ``report`` (a KPI report as plain JSON values), in report order."""
    found: list[Series] = []
    for key, value in report.items():
        if _is_weeks(value):
            found += _measures(value, (*path, str(key)))
        elif isinstance(value, dict):
            found += weekly_series(value, (*path, str(key)))
    return found


def _measures(weeks: list[dict], path: tuple[str, ...]) -> list[Series]:
    labels = [str(w["week"]) for w in weeks]
    measures: list[Series] = []
    for measure in [k for k in weeks[0] if k not in _LABEL_KEYS]:
        values = [w.get(measure) for w in weeks]
        if all(_is_number(v) for v in values):
            measures.append(Series(_title((*path, measure)), labels, {measure: values}))
        elif all(isinstance(v, dict) and all(_is_number(x) for x in v.values()) for v in values):
            groups = list(dict.fromkeys(g for v in values for g in v))
            measures.append(Series(_title((*path, measure)), labels, {g: [v.get(g) for v in values] for g in groups}))
    return measures


def headline_figures(report: dict, path: tuple[str, ...] = (), depth: int = 4) -> list[tuple[str, float | int | None]]:
    """(label, value) of every number outside the weekly lists and per-item lists, to ``depth`` levels."""
    figures: list[tuple[str, float | int | None]] = []
    for key, value in report.items():
        here = (*path, str(key))
        if isinstance(value, dict) and depth > 1:
            figures += headline_figures(value, here, depth - 1)
        elif _is_number(value) and value is not None and path:
            figures.append((" · ".join(p.replace("_", " ") for p in here), value))
    return figures
