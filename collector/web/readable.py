"""Stored JSON values (evidence, audit-log details) as text a person reads, never a Python repr.

``{'assignee': 'ann'}`` becomes "assignee: ann"; ``['a', 'b']`` "a, b"; a list of objects one
"key: value" group per item, separated by semicolons; ``None`` a dash; a time the UI's format.
Templates use it as the ``readable`` filter.
"""

from __future__ import annotations

from datetime import date, datetime

from collector.web import bp

__all__ = ["readable"]

_DASH = "—"


def readable(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return _DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')}: {readable(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        separator = "; " if any(isinstance(v, (dict, list, tuple)) for v in value) else ", "
        return separator.join(readable(v) for v in value)
    return str(value)


@bp.app_template_filter("readable")
def _readable_filter(value) -> str:
    return readable(value)
