"""Times on web pages: in the reader's chosen zone, labelled, with the UTC instant in markup.

Every template prints a time through the ``when`` filter (collector/web/templating.py), which
calls ``time_element``: a ``<time datetime="…Z">`` element whose text is local to the signed-in
user (``users.time_zone``) and carries the zone's abbreviation ("CET", "EDT"; "+0530"-style
offsets where the tz database has none), so a reader never has to guess. Exports and the API
format their own times in UTC and never come here.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

__all__ = ["local_text", "time_element"]

_FORMAT = "%Y-%m-%d %H:%M"


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    # The UTC columns hand back aware datetimes; a naive one can only have come from them.
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def local_text(value: datetime | str, zone: str = "UTC") -> str:
    """``value`` as "2026-12-06 17:52 CET" in ``zone``."""
    local = _as_utc(value).astimezone(_zone(zone))
    return f"{local.strftime(_FORMAT)} {local.strftime('%Z') or local.strftime('%z')}"


def time_element(value: datetime | date | str | None, zone: str = "UTC") -> Markup:
    """The ``<time>`` element for ``value`` ("—" for none; a bare date stays a date, no zone)."""
    if value is None or value == "":
        return Markup("—")
    if isinstance(value, str) and len(value) == 10:  # "2026-12-31": a day, not an instant
        value = date.fromisoformat(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return Markup('<time class="date" datetime="{0}">{0}</time>').format(value.isoformat())
    instant = _as_utc(value)
    return Markup('<time datetime="{}">{}</time>').format(
        instant.strftime("%Y-%m-%dT%H:%M:%SZ"), escape(local_text(instant, zone)))
