"""Bar charts drawn on the server as inline SVG geometry (no script, no chart library).

A chart is a list of bars with their label, value and length in SVG units; the template
macro ``bar_chart`` draws them with a text equivalent (the numbers are in the markup, so a
screen reader reads the same figures the picture shows).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bar", "bars"]

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
