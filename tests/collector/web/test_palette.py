"""The stylesheet's two colour schemes, checked from the CSS itself: text pairs keep WCAG's
4.5:1 and chart marks 3:1 against the chart card, in light and in dark.

The browser test (test_browser_layout.py) measures what the seeded pages paint; this covers
every colour pair the stylesheet defines, including charts the seeded pages do not draw.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STYLE = Path(__file__).parents[3] / "collector" / "web" / "static" / "style.css"

# (foreground, background) pairs read as text.
TEXT = [(fg, bg) for fg in ("ink", "muted") for bg in ("card", "paper", "head", "accent-soft", "notice-bg",
                                                       "error-bg", "open-bg", "ack-bg", "quiet-bg", "field")]
TEXT += [("accent", "card"), ("accent", "paper"), ("accent", "accent-soft"), ("accent", "head"),
         ("on-accent", "accent"), ("bad", "card"), ("bad", "error-bg"), ("good", "card"),
         ("warn-ink", "card"), ("warn-ink", "open-bg")]
# Bars, lines and dots of the charts (collector/web/charts.py, sam_charts.py) on the chart card.
CHART = [(mark, "card") for mark in ("accent", "good", "warn", "bad", "chart-muted", "series-4", "series-5")]


def contrast_ratio(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours given as 0-255 channels."""
    def luminance(rgb):
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _hex(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _schemes() -> dict[str, dict[str, tuple[int, int, int]]]:
    css = STYLE.read_text()
    light = css[css.index(":root {"):css.index("}", css.index(":root {"))]
    dark_start = css.index("@media (prefers-color-scheme: dark)")
    dark = css[dark_start:css.index("}", dark_start)]
    found = {}
    for name, block in (("light", light), ("dark", dark)):
        found[name] = {k: _hex(v) for k, v in re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{3,6})\b", block)}
    found["dark"] = {**found["light"], **found["dark"]}
    return found


def test_both_schemes_define_the_same_colours():
    css = STYLE.read_text()
    dark_start = css.index("@media (prefers-color-scheme: dark)")
    dark = set(re.findall(r"--([a-z0-9-]+):", css[dark_start:css.index("}", dark_start)]))
    light = set(_schemes()["light"])
    assert dark == light  # a colour left out of the dark set would stay light on a dark page


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_keeps_4_5_to_1(scheme):
    colours = _schemes()[scheme]
    low = {f"{fg} on {bg}": round(contrast_ratio(colours[fg], colours[bg]), 2) for fg, bg in TEXT
           if contrast_ratio(colours[fg], colours[bg]) < 4.5}
    assert low == {}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_marks_keep_3_to_1(scheme):
    colours = _schemes()[scheme]
    low = {mark: round(contrast_ratio(colours[mark], colours[bg]), 2) for mark, bg in CHART
           if contrast_ratio(colours[mark], colours[bg]) < 3}
    assert low == {}


def test_contrast_ratio_matches_wcag_examples():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast_ratio((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    # the old chart grey (#9aa7ad) on white, which this stylesheet no longer uses for bars
    assert contrast_ratio(_hex("#9aa7ad"), _hex("#fff")) < 3
