"""Database engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode so readers never wait for the writer; write transactions begin
with ``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of one
failing with "database is locked" when it upgrades a read lock. PostgreSQL needs none of
this. Services receive a ``Session`` and never build engines themselves.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

__all__ = ["IN_LIST_CHUNK", "Database", "chunked", "chunked_lists", "insert_ignoring_conflicts", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Values per IN list: statements stay far below the drivers' bound-parameter limits (PostgreSQL's
# protocol 65,535; SQLite 32,766 since 3.32, the Debian build's 3.40 included) even with
# several lists in one statement, and the planner still uses the index.
IN_LIST_CHUNK = 500


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the per-backend settings Stocktake relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: let SQLAlchemy, not pysqlite, emit BEGIN.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine and two session factories: reads, and writes that take the write lock first."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        # Writers flush explicitly: autoflush before every query costs a round trip each.
        self._writer = sessionmaker(write_bind, expire_on_commit=False, autoflush=False)

    def session(self) -> Session:
        """A session for reads (and writes that can tolerate SQLite's lock upgrade)."""
        return self._reader()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: commits on success, rolls back on any exception."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection for single-statement reads, without BEGIN/ROLLBACK round trips."""
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            yield connection

    def dispose(self) -> None:
        self.engine.dispose()


def chunked(values: Sequence[T], size: int = IN_LIST_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for IN lists and executemany batches."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def chunked_lists(parameters: dict[str, Sequence], size: int = IN_LIST_CHUNK) -> Iterator[dict[str, Sequence]]:
    """The IN lists of one statement sliced together: each execution gets the next slice of every
    list (an exhausted list is empty, and ``IN ()`` matches nothing), so the union of the
    answers is the answer to the unsliced statement."""
    longest = max((len(values) for values in parameters.values()), default=0)
    for start in range(0, longest, size):
        yield {name: values[start:start + size] for name, values in parameters.items()}


def insert_ignoring_conflicts(session: Session, table):
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's backend."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()
