"""One page of ids sorted by a column of a referenced row (an exception by its CI's tag or its
assignee's name), without sorting the whole table.

A LEFT JOIN sorted by the joined column makes PostgreSQL hash-join every row and sort them all
(240 ms for 100,000 exceptions, bench/web.py). Split instead: the rows whose reference has a
value, walked in that column's index order through an inner join (a nested loop that stops
after the page), and the rest, which sort last ascending and first descending
(collector/queries/ordering.py), by id: those with no reference (an indexed IS NULL) and those
whose referenced value is NULL (an inner join on the NULL values), each cut to the page before
they are merged. Only a page past the first group needs that group's count.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from collector.queries.ordering import Sort

__all__ = ["page_ids_by_reference"]


@dataclass(frozen=True)
class _Group:
    parts: tuple  # selects of ids, each ordered by ``order`` on its own
    order: tuple  # ORDER BY terms of each part
    descending: bool  # the direction of the merged parts (by id)

    def page(self, session: Session, offset: int, limit: int) -> list[int]:
        if len(self.parts) == 1:
            return list(session.scalars(self.parts[0].order_by(*self.order).offset(offset).limit(limit)))
        cut = [select(p.order_by(*self.order).limit(offset + limit).subquery().c[0]) for p in self.parts]
        merged = union_all(*cut).subquery()
        column = merged.c[0]
        term = column.desc() if self.descending else column.asc()
        return list(session.scalars(select(column).order_by(term).offset(offset).limit(limit)))

    def count(self, session: Session) -> int:
        return sum(session.scalar(select(func.count()).select_from(p.subquery())) or 0 for p in self.parts)


def page_ids_by_reference(session: Session, ids, id_column, foreign_key, target_id, target_value, sort: Sort,
                          offset: int, limit: int) -> list[int]:
    """``ids``: the filtered ``select(id_column)``; ``foreign_key`` points at ``target_id``, whose
    row holds ``target_value``. Returns the ids of rows ``offset`` to ``offset + limit``."""
    joined = ids.join(target_id.table, target_id == foreign_key)
    has_value = joined.where(target_value.is_not(None))
    without = (ids.where(foreign_key.is_(None)), joined.where(target_value.is_(None)))
    if sort.descending:
        first = _Group(without, (id_column.desc(),), True)
        second = _Group((has_value,), (target_value.desc(), id_column.desc()), True)
    else:
        first = _Group((has_value,), (target_value.asc(), id_column.asc()), False)
        second = _Group(without, (id_column.asc(),), False)
    page = first.page(session, offset, limit)
    if len(page) == limit:
        return page
    before = offset + len(page) if page else first.count(session)
    return page + second.page(session, max(0, offset - before), limit - len(page))
