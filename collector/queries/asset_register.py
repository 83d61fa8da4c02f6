"""The asset register: every agent-reported machine with the CI it was matched to.

One row per asset: its own facts (host name, serial, model, OS, last seen) and, from
reconciliation, the CI's asset tag, class, status and location. Pages use keyset
pagination on (sort column, id): each page is an index walk from the previous page's last
row, so page 2,000 of 100,000 assets costs what page 1 costs (OFFSET would read and drop
every earlier row). The same query, in chunks, feeds the exports.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session

from collector.errors import FieldError, InvalidInput
from collector.models import Asset, Device, Observation
from collector.models.cmdb import CI_CLASSES, CI_STATUSES, ConfigurationItem
from collector.models.reconcile import CiMatch
from common.identity import normalize_serial

__all__ = ["HEADERS", "SORTS", "SOURCES", "UNREGISTERED", "encode_cursor", "RegisterFilters", "RegisterPage", "iter_register", "register_page"]

# Sort keys: asset columns only, so the keyset walk never joins the register. id, host name,
# serial and last seen are indexed; model and OS sort the filtered ids once (bench/web.py,
# sorted_list_p95_ms). Nullable text sorts as "" so that the (value, id) keyset comparison
# never meets a NULL (which would end the walk early).
SORTS = {"id": Asset.id, "hostname": Asset.hostname, "serial": func.coalesce(Asset.serial, ""),
         "model": func.coalesce(Asset.model, ""), "os": func.coalesce(Asset.os_name, ""),
         "last_seen": Asset.last_seen_at}
# Sort key -> the page row's attribute holding its value (for the cursor).
_SORT_FIELDS = {"id": "id", "hostname": "hostname", "serial": "serial", "model": "model", "os": "os_name",
                "last_seen": "last_seen_at"}
# Who reported it: its agent, or (also) a network scan that found it on the wire.
SOURCES = ("agent", "network")
# Status/class value for assets that match no CI.
UNREGISTERED = "unregistered"
_TEXT_MAX = 255


@dataclass(frozen=True)
class RegisterFilters:
    q: str | None = None  # host name substring, whole serial or asset tag (asset's or CI's), any case
    ci_class: str | None = None
    status: str | None = None
    location: str | None = None  # case-insensitive substring
    source: str | None = None
    sort: str = "hostname"
    descending: bool = False

    def validated(self) -> "RegisterFilters":
        problems = []
        for name in ("q", "location"):
            value = getattr(self, name)
            if value is not None and (len(value) > _TEXT_MAX or "\x00" in value):
                problems.append(FieldError(name, f"at most {_TEXT_MAX} characters, no NUL"))
        if self.ci_class not in (None, UNREGISTERED, *CI_CLASSES):
            problems.append(FieldError("class", f"must be one of {', '.join(CI_CLASSES)} or {UNREGISTERED}"))
        if self.status not in (None, UNREGISTERED, *CI_STATUSES):
            problems.append(FieldError("status", f"must be one of {', '.join(CI_STATUSES)} or {UNREGISTERED}"))
        if self.source not in (None, *SOURCES):
            problems.append(FieldError("source", f"must be one of {', '.join(SOURCES)}"))
        if self.sort not in SORTS:
            problems.append(FieldError("sort", f"must be one of {', '.join(SORTS)}"))
        if problems:
            raise InvalidInput("invalid filter", problems)
        return replace(self, q=(self.q or "").strip() or None, location=(self.location or "").strip() or None)

    def described(self) -> dict[str, str]:
        """The filters in force, for page headings and export provenance."""
        names = {"q": "search", "ci_class": "class", "status": "status", "location": "location", "source": "source"}
        shown = {label: getattr(self, name) for name, label in names.items() if getattr(self, name)}
        shown["sort"] = self.sort + (" (descending)" if self.descending else "")
        return shown


@dataclass(frozen=True)
class RegisterPage:
    rows: list
    total: int
    next_cursor: str | None
    prev_cursor: str | None


_COLUMNS = (Asset.id, Asset.hostname, Asset.serial, Asset.vendor, Asset.model, Asset.os_name, Asset.os_version,
            Asset.last_seen_at, ConfigurationItem.asset_tag, ConfigurationItem.ci_class, ConfigurationItem.status,
            ConfigurationItem.location, CiMatch.outcome, Observation.source)
HEADERS = ("Asset id", "Host name", "Serial", "Vendor", "Model", "OS", "OS version", "Last seen", "Asset tag",
           "Class", "Status", "Location", "Reconciliation", "Source")


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _joined(query):
    return (query.outerjoin(CiMatch, and_(CiMatch.subject_type == literal("asset"), CiMatch.subject_id == Asset.id))
            .outerjoin(ConfigurationItem, ConfigurationItem.id == CiMatch.ci_id))


def _registered(*conditions):
    """Ids of the assets matched to a CI that meets ``conditions``: a set the page walk probes."""
    return (select(CiMatch.subject_id).join(ConfigurationItem, ConfigurationItem.id == CiMatch.ci_id)
            .where(CiMatch.subject_type == "asset", *conditions))


def _where(query, f: RegisterFilters):
    # CI conditions are id sets (IN subqueries), not joins: the count and the keyset walk
    # then never join 100,000 rows; only the page's own rows are joined for display.
    if f.q:
        # Serials and tags in any case: equalities on the lower(column) indexes the global search
        # added (collector/models/search.py); the tag is the asset's own or its CI's.
        folded = {f.q.lower(), (normalize_serial(f.q) or f.q).lower()}
        query = query.where(or_(func.lower(Asset.hostname).like(_like(f.q), escape="\\"),
                                func.lower(Asset.serial).in_(sorted(folded)),
                                func.lower(Asset.asset_tag) == f.q.lower(),
                                Asset.id.in_(_registered(func.lower(ConfigurationItem.asset_tag) == f.q.lower()))))
    conditions = []
    for value, column in ((f.ci_class, ConfigurationItem.ci_class), (f.status, ConfigurationItem.status)):
        if value and value != UNREGISTERED:
            conditions.append(column == value)
    if f.location:
        conditions.append(func.lower(ConfigurationItem.location).like(_like(f.location), escape="\\"))
    if conditions:
        query = query.where(Asset.id.in_(_registered(*conditions)))
    if UNREGISTERED in (f.ci_class, f.status):
        # An anti-join probing the matches' unique (subject_type, subject_id) index, which
        # stops with the page instead of hashing every registered id first.
        query = query.where(~exists().where(CiMatch.subject_type == "asset", CiMatch.subject_id == Asset.id,
                                            CiMatch.ci_id.is_not(None)))
    if f.source == "agent":
        query = query.where(Asset.agent_id.is_not(None))
    elif f.source == "network":
        query = query.where(exists().where(Device.asset_id == Asset.id))
    return query


def encode_cursor(value, asset_id: int) -> str:
    raw = value.isoformat() if isinstance(value, datetime) else value
    return base64.urlsafe_b64encode(json.dumps([raw, asset_id]).encode()).decode().rstrip("=")


def _cursor_of(row, sort: str) -> str:
    value = getattr(row, _SORT_FIELDS[sort])
    return encode_cursor("" if value is None else value, row.id)


def _decode_cursor(cursor: str, sort: str) -> tuple:
    try:
        raw, asset_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if sort == "last_seen":
            value = datetime.fromisoformat(raw)
        elif sort == "id":
            value = int(raw)
        else:
            value = str(raw)
        return value, int(asset_id)
    except (ValueError, TypeError):
        raise InvalidInput("invalid query parameter", [FieldError("cursor", "is not a page cursor")]) from None


def _page_query(f: RegisterFilters, cursor: str | None, backwards: bool, limit: int):
    """The page's ids are chosen first (filters, keyset, order, limit on assets alone); only
    those rows are then joined to their match, CI and observation for display."""
    column = SORTS[f.sort]
    ascending = f.descending == backwards  # walking backwards reverses the order
    ids = _where(select(Asset.id), f)
    if cursor:
        key = tuple_(column, Asset.id)
        bound = tuple_(*_decode_cursor(cursor, f.sort))
        ids = ids.where(key > bound if ascending else key < bound)
    order = (column.asc(), Asset.id.asc()) if ascending else (column.desc(), Asset.id.desc())
    page = ids.order_by(*order).limit(limit).subquery()
    return (_joined(select(*_COLUMNS).join(page, page.c.id == Asset.id))
            .outerjoin(Observation, Observation.id == Asset.observation_id).order_by(*order))


def _total(session: Session, f: RegisterFilters) -> int:
    if not (f.q or f.source or UNREGISTERED in (f.ci_class, f.status)) and (f.ci_class or f.status or f.location):
        # Only CI conditions: one match row per asset, so count the matches without touching assets.
        conditions = [c for v, c in ((f.ci_class, ConfigurationItem.ci_class == f.ci_class),
                                     (f.status, ConfigurationItem.status == f.status)) if v]
        if f.location:
            conditions.append(func.lower(ConfigurationItem.location).like(_like(f.location), escape="\\"))
        return session.scalar(select(func.count()).select_from(_registered(*conditions).subquery())) or 0
    others = (f.q, f.source, f.location, *(v for v in (f.ci_class, f.status) if v != UNREGISTERED))
    if UNREGISTERED in (f.ci_class, f.status) and not any(others):
        # All assets minus the registered ones (one match row each): two cheap counts, where
        # counting the anti-join probes an index 100,000 times on SQLite.
        registered = select(func.count()).select_from(CiMatch).where(CiMatch.subject_type == "asset",
                                                                        CiMatch.ci_id.is_not(None))
        return max(0, (session.scalar(select(func.count()).select_from(Asset)) or 0) - (session.scalar(registered) or 0))
    return session.scalar(_where(select(func.count()).select_from(Asset), f)) or 0


def register_page(session: Session, filters: RegisterFilters, per_page: int = 50, after: str | None = None,
                  before: str | None = None) -> RegisterPage:
    """One page after (or before) a cursor; the total counts every asset the filters select."""
    f = filters.validated()
    rows = list(session.execute(_page_query(f, before or after, bool(before), per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if before:
        rows.reverse()
    total = _total(session, f)
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    has_next = more if not before else True
    has_prev = bool(after) or (bool(before) and more)
    return RegisterPage(
        rows, total,
        _cursor_of(last, f.sort) if last is not None and has_next else None,
        _cursor_of(first, f.sort) if first is not None and has_prev else None,
    )


def iter_register(session: Session, filters: RegisterFilters, chunk: int = 2000) -> Iterator[tuple]:
    """Every selected row, in the page order, fetched in keyset chunks (flat memory)."""
    f = filters.validated()
    cursor = None
    while True:
        rows = session.execute(_page_query(f, cursor, False, chunk)).all()
        yield from rows
        if len(rows) < chunk:
            return
        cursor = _cursor_of(rows[-1], f.sort)
