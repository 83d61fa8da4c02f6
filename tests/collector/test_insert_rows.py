"""collector.db.insert_rows: COPY on PostgreSQL writes exactly the rows an INSERT writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, insert, select

from collector.db import insert_rows
from collector.models.base import UtcDateTime

AT = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def _table(name: str) -> Table:
    return Table(name, MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime),
                 Column("label", String(50)), Column("detail", JSON), Column("count", Integer))


def _rows() -> list[dict]:
    plus_two = timezone(timedelta(hours=2))
    return [
        {"at": AT, "label": "plain", "detail": {"a": [1, 2.5, None, True], "b": {"c": "d"}}, "count": 1},
        {"at": AT.astimezone(plus_two), "label": "tab\tnew\nline \\ back", "detail": {"é": "naïve ☃", "q": '"'},
         "count": None},
        {"at": None, "label": None, "detail": None, "count": -7},
        {"at": AT, "label": "", "detail": {}, "count": 2**30},
    ]


def test_copy_writes_what_insert_writes(database):
    copied, inserted = _table("t_copied_rows"), _table("t_inserted_rows")
    with database.write() as session:
        copied.metadata.create_all(session.connection())
        inserted.metadata.create_all(session.connection())
        insert_rows(session, copied, _rows())
        session.execute(insert(inserted), _rows())
    try:
        with database.session() as session:
            got = session.execute(select(copied).order_by(copied.c.id)).all()
            expected = session.execute(select(inserted).order_by(inserted.c.id)).all()
        assert got == expected
        assert len(got) == 4 and got[1].at == AT and got[1].detail["é"] == "naïve ☃" and got[2].detail is None
    finally:
        with database.write() as session:
            copied.drop(session.connection())
            inserted.drop(session.connection())


def test_rows_leaving_out_a_defaulted_column_take_the_insert(database):
    """COPY would not apply a Python-side default: such rows go through the INSERT."""
    table = Table("t_defaulted_rows", MetaData(), Column("id", Integer, primary_key=True),
                  Column("label", String(20)), Column("detail", JSON, default=dict))
    with database.write() as session:
        table.metadata.create_all(session.connection())
        insert_rows(session, table, [{"label": "x"}, {"label": "y"}])
    try:
        with database.session() as session:
            assert session.execute(select(table.c.label, table.c.detail).order_by(table.c.id)).all() == [
                ("x", {}), ("y", {})]
    finally:
        with database.write() as session:
            table.drop(session.connection())
