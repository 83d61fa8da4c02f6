"""Bar charts drawn on the server as inline SVG geometry (no script, no chart library).

A chart is a list of bars with their label, value and length in SVG units; the template
macro ``bar_chart`` draws them with a text equivalent (the numbers are in the markup, so a
screen reader reads the same figures the picture shows).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bar", "Line", "Tick", "Trend", "bars", "trend"]

_LENGTH = 260


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    length: float
    tone: str


def bars(values: dict[str, int], tones: dict[str, str] | None = None) -> list[Bar]:
    """One bar per entry, scaled to the largest; a zero stays visible as a hairline."""
    largest = max(values.values(), default=0) or 1
    tones = tones or {}
    return [Bar(label.replace("_", " "), value, max(1.5, _LENGTH * value / largest), tones.get(label, "neutral"))
            for label, value in values.items()]


@dataclass(frozen=True)
class Line:
    label: str
    points: str  # SVG polyline points
    dots: list[tuple[float, float]]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Trend:
    """A weekly line chart: one line per series, the same weeks along the bottom."""

    title: str
    lines: list[Line]
    ticks: list[Tick]
    top_label: str
    description: str
    width: int = 420
    height: int = 190
    left: int = 44
    right: int = 396
    top: int = 12
    bottom: int = 160


def trend(title: str, weeks: list[str], series: dict[str, list[float | None]]) -> Trend:
    """Lines scaled to the largest value of all series; a week without a value (None) has no dot
    and the line joins the weeks either side. The text equivalent lists every figure."""
    shape = Trend(title, [], [], "", "")
    largest = max((v for values in series.values() for v in values if v is not None), default=0) or 1
    span = max(1, len(weeks) - 1)

    def x(i: int) -> float:
        return round(shape.left + i * (shape.right - shape.left) / span, 1)

    def y(v: float) -> float:
        return round(shape.bottom - v * (shape.bottom - shape.top) / largest, 1)

    lines = []
    for label, values in series.items():
        dots = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        lines.append(Line(label.replace("_", " "), " ".join(f"{a},{b}" for a, b in dots), dots))
    ticks = [Tick(x(i), week.rsplit("-", 1)[-1]) for i, week in enumerate(weeks) if (len(weeks) - 1 - i) % 3 == 0]
    description = "; ".join(
        f"{label.replace('_', ' ')}: " + ", ".join(f"{week} {'—' if v is None else _figure(v)}"
                                                   for week, v in zip(weeks, values))
        for label, values in series.items())
    return Trend(title, lines, ticks, _figure(largest), description)


def _figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
