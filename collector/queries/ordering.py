"""Sorting a list the same way everywhere: a named column, a direction, and the id as tie-breaker.

Lists sort on the server by a key the page names (``?sort=opened`` or ``?sort=-opened`` for
descending). Each key maps to a typed column, so numbers sort as numbers (9, 10, 100) and dates
as dates, never as text; the row id breaks ties in the same direction, so a page boundary is
stable and keyset walks and OFFSET pages never repeat or skip a row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from collector.errors import FieldError, InvalidInput

__all__ = ["Sort", "order_clauses", "sort_rows"]


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool = False

    @classmethod
    def parse(cls, raw: str | None, allowed: Sequence[str], default: str, field: str = "sort") -> "Sort":
        """``raw`` is ``key`` or ``-key``; anything else is a 400 naming the allowed keys."""
        value = raw or default
        key = value[1:] if value.startswith("-") else value
        if key not in allowed:
            choices = ", ".join(allowed)
            raise InvalidInput("invalid query parameter",
                               [FieldError(field, f"must be one of {choices}, each optionally preceded by -")])
        return cls(key, value.startswith("-"))

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.key


def order_clauses(columns: Mapping[str, Any], sort: Sort, tie_breaker) -> tuple:
    """ORDER BY terms for ``sort`` (a key of ``columns``) with ``tie_breaker`` in the same direction."""
    column = columns[sort.key]
    terms = column if isinstance(column, tuple) else (column,)
    # NULL is the largest value on both backends (PostgreSQL's own default, which its indexes
    # serve; SQLite would put it first), as sort_rows does in Python.
    if sort.descending:
        return (*(t.desc().nulls_first() for t in terms), tie_breaker.desc())
    return (*(t.asc().nulls_last() for t in terms), tie_breaker.asc())


def sort_rows(rows: list, keys: Mapping[str, Callable[[Any], Any]], sort: Sort, tie: Callable[[Any], Any]) -> list:
    """Sort a short, fully loaded list (agents, users, rules) in Python by the same rules as SQL:
    ``None`` after every value ascending (first descending), ties broken by ``tie``."""
    key = keys[sort.key]

    def sort_key(row):
        value = key(row)
        if isinstance(value, str):
            value = value.casefold()
        return (value is None, value if value is not None else 0, tie(row))

    ordered = sorted(rows, key=sort_key)
    return ordered[::-1] if sort.descending else ordered
