"""Weekly series are found in a KPI report by their shape, wherever a KPI puts them."""

from __future__ import annotations

from collector.reports.trends import headline_figures, weekly_series


def test_weekly_lists_anywhere_become_series_and_scalars_become_figures():
    report = {
        "weeks": 2,
        "audit_exceptions": {"kinds": ["drift"], "weeks": [
            {"week": "2026-W48", "starts": "2026-11-23", "opened": {"drift": 1}, "closed": {"drift": 0}},
            {"week": "2026-W49", "starts": "2026-11-30", "opened": {"drift": 3}, "closed": {"drift": 2}}]},
        "workflows": {"cycle_time_h": {"ham_deployment": {"median": 30.5, "p90": 70}},
                      "trend": [{"week": "2026-W48", "on_time_percent": None, "closed": 0, "note": "x"},
                                {"week": "2026-W49", "on_time_percent": 75.0, "closed": 4, "note": "y"}]},
    }
    series = weekly_series(report)
    assert [(s.title, s.weeks, s.lines) for s in series] == [
        ("Audit exceptions: opened", ["2026-W48", "2026-W49"], {"drift": [1, 3]}),
        ("Audit exceptions: closed", ["2026-W48", "2026-W49"], {"drift": [0, 2]}),
        ("Workflows: on time percent", ["2026-W48", "2026-W49"], {"on_time_percent": [None, 75.0]}),
        ("Workflows: closed", ["2026-W48", "2026-W49"], {"closed": [0, 4]}),
    ]
    assert headline_figures(report) == [("workflows · cycle time h · ham deployment · median", 30.5),
                                        ("workflows · cycle time h · ham deployment · p90", 70)]
