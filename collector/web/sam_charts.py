"""The software pages' charts, drawn on the server as SVG geometry like collector/web/charts.py:
entitled against consumed per product (two bars each) and a product's position over runs."""

from __future__ import annotations

from dataclasses import dataclass

from collector.web.charts import Trend, trend

__all__ = ["PairedBar", "history_charts", "paired_bars"]

_LENGTH = 400
MAX_BARS = 40  # the chart shows the largest positions; the table lists them all


@dataclass(frozen=True)
class PairedBar:
    label: str
    entitled: int | None  # None: unlimited
    consumed: int
    entitled_length: float
    consumed_length: float
    tone: str  # bad (short), good (covered)


def paired_bars(rows: list[tuple[str, int | None, int]]) -> list[PairedBar]:
    """(label, entitled, consumed) → bars scaled to the largest figure; the most consumed first."""
    rows = sorted(rows, key=lambda r: (-r[2], r[0]))[:MAX_BARS]
    largest = max((max(e or 0, c) for _, e, c in rows), default=0) or 1

    def length(value: int | None) -> float:
        return max(1.5, _LENGTH * (value or 0) / largest)

    return [PairedBar(label, entitled, consumed, length(entitled), length(consumed),
                      "bad" if entitled is not None and consumed > entitled else "good")
            for label, entitled, consumed in rows]


def history_charts(history) -> list[Trend]:
    """One line chart per metric: entitled and consumed at each finished run (oldest first)."""
    by_metric: dict[str, list] = {}
    for row in history:
        by_metric.setdefault(row.metric, []).append(row)
    charts = []
    for metric, rows in by_metric.items():
        labels = [f"{row.as_of:%d %b}" for row in rows]  # short: the tick labels sit under the chart
        charts.append(trend(f"{metric.replace('_', ' ')}: entitled and consumed per run", labels,
                            {"entitled": [row.entitled for row in rows], "consumed": [row.consumed for row in rows]}))
    return charts
