"""Finding audit log entries: by actor, action, object and time, newest first, a page at a time.

The same filters serve the audit page, ``GET /api/v1/audit`` and the audit export, so what
an auditor sees on screen is exactly what the file holds. Pages are keyset (``before`` an
entry id), so page 1,000 costs what page 1 costs.

Objects are written as ``<type> <id or name>`` (``exception 42``, ``api_token ci-bot``; a
few older entries use ``<type>:<id>``), so an object type and an id select one object's
history exactly; free text without a type matches anywhere in the object, ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Row, Select, func, or_, select
from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput
from collector.models import AuditLogEntry

__all__ = ["FILTER_NAMES", "OBJECT_TYPES", "AuditFilters", "action_names", "count_entries", "find_entries",
           "iter_entries", "parse_filters"]

FILTER_NAMES = ("actor", "action", "object_type", "object", "from", "to")
# Offered on the page; any word of this shape is accepted (types come from the services).
OBJECT_TYPES = ("agent", "api_token", "cmdb_import", "delegation", "enroll_secret", "entitlement", "exception",
                "reconciliation_run", "sam_position_run", "scan_profile", "suppression_rule", "user", "workflow")
_WORD = re.compile(r"[a-z][a-z0-9_]{0,31}")
_ACTION = re.compile(r"[a-z][a-z0-9_]{0,31}\*?")
_CHUNK = 2000


@dataclass(frozen=True)
class AuditFilters:
    """Validated filters; ``since`` is inclusive, ``until`` exclusive, both UTC."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    raw: tuple[tuple[str, str], ...] = ()  # the filters as given, for links and export provenance

    def as_dict(self) -> dict[str, str]:
        return dict(self.raw)


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """Check every filter at once; InvalidInput names each bad one (a 400 on page and API)."""
    problems: list[FieldError] = []
    raw = {name: (args.get(name) or "").strip() for name in FILTER_NAMES}
    for name, value in raw.items():
        if len(value) > 255:
            problems.append(FieldError(name, "at most 255 characters"))
        elif not value.isprintable():  # NUL and other controls: PostgreSQL refuses NUL in text
            problems.append(FieldError(name, "printable characters only"))
    actor, action, object_type, text = (raw[n][:255] or None for n in ("actor", "action", "object_type", "object"))
    if action and not _ACTION.fullmatch(action):
        problems.append(FieldError("action", "an action name (lower case, digits, _), optionally ending in *"))
    if object_type and not _WORD.fullmatch(object_type):
        problems.append(FieldError("object_type", "an object type (lower case, digits, _)"))
    since, until = _moment(raw["from"], "from", problems, False), _moment(raw["to"], "to", problems, True)
    if since and until and since >= until:
        problems.append(FieldError("to", "must be after from"))
    if problems:
        raise InvalidInput("invalid audit log filter", problems)
    given = tuple((name, value) for name, value in raw.items() if value)
    return AuditFilters(actor, action, object_type, text, since, until, given)


def _moment(value: str, name: str, problems: list[FieldError], end: bool) -> datetime | None:
    """``YYYY-MM-DD`` (a whole day: ``to`` includes it) or ``YYYY-MM-DDTHH:MM[:SS]``, in UTC."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end else day, time(), timezone.utc)
        moment = datetime.fromisoformat(value)
    except ValueError:
        problems.append(FieldError(name, "a date (YYYY-MM-DD) or date and time (YYYY-MM-DDTHH:MM), UTC"))
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _filtered(query: Select, filters: AuditFilters) -> Select:
    entry = AuditLogEntry
    if filters.actor:
        # "cli:" or "token:" (ending in a colon) selects every CLI user or every API token.
        query = query.where(entry.actor.startswith(filters.actor, autoescape=True) if filters.actor.endswith(":")
                            else entry.actor == filters.actor)
    if filters.action:
        query = query.where(entry.action.startswith(filters.action[:-1], autoescape=True)
                            if filters.action.endswith("*") else entry.action == filters.action)
    query = _object_filter(query, filters.object_type, filters.object)
    if filters.since:
        query = query.where(entry.at >= filters.since)
    if filters.until:
        query = query.where(entry.at < filters.until)
    return query


def _object_filter(query: Select, object_type: str | None, text: str | None) -> Select:
    target = AuditLogEntry.target
    if object_type and text:
        return query.where(target.in_((f"{object_type} {text}", f"{object_type}:{text}")))
    if object_type:
        return query.where(or_(target == object_type, target.startswith(f"{object_type} ", autoescape=True),
                               target.startswith(f"{object_type}:", autoescape=True)))
    if text:
        return query.where(func.lower(target).contains(text.lower(), autoescape=True))
    return query


def find_entries(session: Session, filters: AuditFilters, limit: int = 100,
                 before_id: int | None = None) -> list[AuditLogEntry]:
    """One page, newest first, of entries older than ``before_id``."""
    query = _filtered(select(AuditLogEntry), filters).order_by(AuditLogEntry.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditLogEntry.id < before_id)
    return list(session.scalars(query))


def count_entries(session: Session, filters: AuditFilters) -> int:
    return session.scalar(_filtered(select(func.count()).select_from(AuditLogEntry), filters)) or 0


def iter_entries(session: Session, filters: AuditFilters) -> Iterator[Row]:
    """Every matching entry (as a row: no ORM objects pile up) in chain order, read in keyset
    chunks, so an export of the whole log runs in constant memory."""
    after = 0
    while True:
        chunk = session.execute(_filtered(select(*_COLUMNS), filters).where(AuditLogEntry.id > after)
                                .order_by(AuditLogEntry.id).limit(_CHUNK)).all()
        yield from chunk
        if len(chunk) < _CHUNK:
            return
        after = chunk[-1].id


_COLUMNS = tuple(AuditLogEntry.__table__.c)


def action_names(session: Session) -> list[str]:
    """The actions the log holds, for the filter's choices (``action`` is indexed)."""
    return list(session.scalars(select(AuditLogEntry.action).distinct().order_by(AuditLogEntry.action)))
