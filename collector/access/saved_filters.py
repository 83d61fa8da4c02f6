"""Saved filters: a person names a list's current filter and sort and comes back to it.

Each person sees and changes only their own (another person's filter id answers 404, not
403, so ids reveal nothing). The stored query string is normalised here: the page, cursor and
notices are dropped, so applying a filter starts at page 1. Saving a name again replaces
its query. Every save and delete is in the audit log, in the same transaction.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from collector.access.audit_log import Actor, append_entry
from collector.errors import FieldError, InvalidInput, NotFound
from collector.models import utcnow
from collector.models.saved_filters import SavedFilter

__all__ = ["NAME_MAX", "QUERY_MAX", "delete_saved_filter", "list_saved_filters", "normalised_query",
           "save_filter"]

NAME_MAX = 100
QUERY_MAX = 2000
# Where a page is, not what it selects.
_POSITIONAL = frozenset({"page", "after", "before", "beyond", "notice", "epage"})


def normalised_query(raw: str) -> str:
    """The query string without positional keys or empty values, keys in their given order."""
    pairs = [(k, v) for k, v in parse_qsl(raw, keep_blank_values=False) if k not in _POSITIONAL]
    return urlencode(pairs)


def list_saved_filters(session: Session, user_id: int, list_name: str) -> list[SavedFilter]:
    return list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == user_id,
                                                          SavedFilter.list_name == list_name)
                                .order_by(SavedFilter.name, SavedFilter.id)))


def _checked(list_name: str, known: frozenset[str] | set[str], name: str, query: str) -> tuple[str, str]:
    problems = []
    name = name.strip()
    if list_name not in known:
        problems.append(FieldError("list", "is not a list whose filters can be saved"))
    if not name or len(name) > NAME_MAX or any(ord(c) < 32 for c in name):
        problems.append(FieldError("name", f"1 to {NAME_MAX} printable characters"))
    if "\x00" in query or len(query) > QUERY_MAX:
        problems.append(FieldError("query", f"at most {QUERY_MAX} characters"))
    if problems:
        raise InvalidInput("invalid saved filter", problems)
    query = normalised_query(query)
    if len(query) > QUERY_MAX:
        raise InvalidInput("invalid saved filter", [FieldError("query", f"at most {QUERY_MAX} characters")])
    return name, query


def save_filter(session: Session, user_id: int, list_name: str, name: str, query: str, actor: Actor,
                known: frozenset[str] | set[str]) -> SavedFilter:
    """Store (or replace, by name) the person's filter for ``list_name`` (one of ``known``)."""
    name, query = _checked(list_name, known, name, query)
    saved = session.scalars(select(SavedFilter).where(SavedFilter.user_id == user_id,
                                                      SavedFilter.list_name == list_name,
                                                      SavedFilter.name == name)).first()
    action = "saved_filter_replaced" if saved else "saved_filter_created"
    if saved is None:
        saved = SavedFilter(user_id=user_id, list_name=list_name, name=name, query=query, created_at=utcnow())
        session.add(saved)
    else:
        saved.query = query
    session.flush()
    append_entry(session, action, actor, f"{list_name}:{name}", {"list": list_name, "query": query,
                                                                   "filter_id": saved.id})
    return saved


def delete_saved_filter(session: Session, user_id: int, filter_id: int, actor: Actor) -> SavedFilter:
    saved = session.get(SavedFilter, filter_id)
    if saved is None or saved.user_id != user_id:
        raise NotFound(f"no saved filter with id {filter_id}")
    session.delete(saved)
    append_entry(session, "saved_filter_deleted", actor, f"{saved.list_name}:{saved.name}",
                 {"list": saved.list_name, "query": saved.query, "filter_id": filter_id})
    return saved
