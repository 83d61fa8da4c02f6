"""A user's display time zone: the IANA zone the web UI shows their times in.

Only the web pages convert: the database, exports and the API stay in UTC, so a file handed to
an auditor means the same thing whoever made it. A zone must be one the server's tz database
knows (``zoneinfo.available_timezones``); anything else, including a path or an abbreviation
such as "CET" that names no region, is refused, and nothing is stored.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entry
from collector.errors import FieldError, InvalidInput
from collector.models import User, utcnow

__all__ = ["DEFAULT_ZONE", "check_time_zone", "set_time_zone", "time_zones"]

DEFAULT_ZONE = "UTC"


@lru_cache(maxsize=1)
def time_zones() -> tuple[str, ...]:
    """The zones a user may choose, sorted (the tz database's names, without legacy aliases)."""
    from zoneinfo import available_timezones

    return tuple(sorted(z for z in available_timezones() if "/" in z or z == DEFAULT_ZONE))


def check_time_zone(value: str | None) -> str | None:
    """The zone name to store (None for UTC, the default), or InvalidInput naming the field."""
    zone = (value or "").strip()
    if zone in ("", DEFAULT_ZONE):
        return None
    if zone not in time_zones():
        raise InvalidInput("invalid time zone", [FieldError(
            "time_zone", "must be a time zone name from the list, such as Europe/Paris or America/New_York")])
    return zone


def set_time_zone(session: Session, user: User, value: str | None, actor: Actor,
                  now: datetime | None = None) -> User:
    """Set ``user``'s display zone (validated first, so nothing partial is stored) and audit the change."""
    zone = check_time_zone(value)
    if user.time_zone != zone:
        append_entry(session, "user_time_zone_set", actor, user.username,
                     {"from": user.time_zone or DEFAULT_ZONE, "to": zone or DEFAULT_ZONE}, now or utcnow())
        user.time_zone = zone
    return user
