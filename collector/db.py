"""Database engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode so readers never wait for the writer; write transactions begin
with ``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead of one
failing with "database is locked" when it upgrades a read lock. PostgreSQL needs none of
this. Services receive a ``Session`` and never build engines themselves.

``is_unavailable`` tells a database that cannot take the request now (a lock wait that
timed out, a server that went away, a read-only file) from a defect; the API answers the
first with 503 and ``Retry-After``.
"""

from __future__ import annotations

import json
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence, TypeVar

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, insert
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

__all__ = ["IN_LIST_CHUNK", "CommittedIds", "Database", "chunked", "chunked_lists", "insert_ignoring_conflicts", "insert_rows",
           "is_unavailable", "make_engine"]

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Values per IN list: statements stay far below the drivers' bound-parameter limits (PostgreSQL's
# protocol 65,535; SQLite 32,766 since 3.32, the Debian build's 3.40 included) even with
# several lists in one statement, and the planner still uses the index.
IN_LIST_CHUNK = 500
# Readiness answers within a load balancer's probe timeout instead of queueing 30 s.
READY_TIMEOUT_MS = 2_000

# "Try again later" errors. SQLite: extended result code names (Python 3.11+). PostgreSQL
# SQLSTATEs (Appendix A): 08 connection exception, 53 insufficient resources, 57P01-03
# shutdown/crash/starting up, 57014 statement_timeout, 55P03 lock_timeout, 40001
# serialization failure, 40P01 deadlock, 25006 read-only transaction (a standby after a
# failover), 25P03 idle-in-transaction timeout.
_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR",
                       "SQLITE_FULL", "SQLITE_PROTOCOL")
_PG_UNAVAILABLE = ("08", "53", "57P01", "57P02", "57P03", "57014", "55P03", "40001", "40P01", "25006", "25P03")
# A handle SQLite opened while the file could not be written stays read-only for life, even
# after the file is writable again (issue 16, defect 5): such errors discard the pool.
_SQLITE_STALE_HANDLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")
# A write that changes nothing: fails on a read-only database or transaction, stores nothing.
_NO_OP_WRITE = "UPDATE agents SET id = id WHERE 1 = 0"


def is_unavailable(exc: BaseException) -> bool:
    """Whether a database error means "retry later" (503) rather than a defect (500)."""
    if isinstance(exc, (sa_exc.TimeoutError, sa_exc.DisconnectionError)):  # pool exhausted, failed pre-ping
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlite_name = getattr(exc.orig, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name.startswith(_SQLITE_UNAVAILABLE)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is None:  # the driver's own: connection refused, reset or closed
        return isinstance(exc, sa_exc.OperationalError)
    return sqlstate.startswith(_PG_UNAVAILABLE)


def _json_text(value) -> str:
    """JSON columns written by orjson: the same values as json.dumps at a fraction of the cost (a
    bulk triage writes ~100,000 JSON values: states, event details, audit details). Compact text,
    UTF-8 rather than \\u escapes; what orjson refuses (an int beyond 64 bits) goes through json."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def _json_value(text: str):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or Infinity, which json.dumps writes and orjson does not read
        return json.loads(text)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the per-backend settings Stocktake relies on."""
    parsed = make_url(url)
    kwargs.setdefault("json_serializer", _json_text)
    kwargs.setdefault("json_deserializer", _json_value)
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

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        name = getattr(context.original_exception, "sqlite_errorname", None) or ""
        if name.startswith(_SQLITE_STALE_HANDLE):
            context.is_disconnect = True  # SQLAlchemy then invalidates this connection and the pool


class CommittedIds:
    """Ids of rows that are never deleted or renumbered while the collector runs (the software
    catalogue's, by key), as committed: learned in a transaction, kept only once it commits.

    Per Database (so per process and database), bounded: emptied when it would pass
    ``max_entries``. A restore must therefore be done with the collector stopped
    (docs/operations.md), and a test that empties the tables calls ``clear``.
    """

    SESSION_KEY = "committed_ids"
    _PENDING = "committed_ids_pending"

    _instances: "weakref.WeakSet[CommittedIds]" = weakref.WeakSet()

    def __init__(self, max_entries: int = 65_536) -> None:
        self.max_entries = max_entries
        self._ids: dict[str, int] = {}
        CommittedIds._instances.add(self)

    @classmethod
    def clear_all(cls) -> None:
        """Forget every instance's ids in this process: for code that empties the tables under
        open Databases (the test suite between tests)."""
        for instance in list(cls._instances):
            instance.clear()

    def get(self, key: str) -> int | None:
        return self._ids.get(key)

    def learn(self, session: Session, ids: dict[str, int]) -> None:
        """Keep ``ids`` once ``session``'s transaction commits (forgotten if it rolls back)."""
        session.info.setdefault(self._PENDING, {}).update(ids)

    def clear(self) -> None:
        self._ids = {}

    def _committed(self, session: Session) -> None:
        pending = session.info.pop(self._PENDING, None)
        if pending:
            if len(self._ids) + len(pending) > self.max_entries:
                self._ids = {}
            self._ids.update(pending)

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop(CommittedIds._PENDING, None)


class Database:
    """One engine and two session factories: reads, and writes that take the write lock first."""

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_bind = self.engine.execution_options(sqlite_immediate=True) if self.is_sqlite else self.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        # Catalogue ids known committed: a new machine's 1,500 packages are mostly in the
        # catalogue already, and looking them up cost ~2-3 ms of server time per report.
        self.software_ids = CommittedIds()
        # Writers flush explicitly: autoflush before every query costs a round trip each.
        self._writer = sessionmaker(write_bind, expire_on_commit=False, autoflush=False,
                                    info={CommittedIds.SESSION_KEY: self.software_ids})
        event.listen(self._writer, "after_commit", self.software_ids._committed)
        event.listen(self._writer, "after_rollback", CommittedIds._rolled_back)

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

    def check_writable(self) -> None:
        """Raise the database's error unless a write could commit now; stores nothing.

        Readiness, not just reachability: a read-only SQLite file or PostgreSQL standby
        answers ``SELECT 1`` while every report fails.
        """
        with self.engine.connect() as connection:
            if self.is_sqlite:
                self._sqlite_busy_timeout(connection, READY_TIMEOUT_MS)
                connection.execution_options(sqlite_immediate=True)
            else:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {READY_TIMEOUT_MS}")
            try:
                connection.exec_driver_sql(_NO_OP_WRITE)
                connection.rollback()
            finally:
                if self.is_sqlite and not connection.invalidated:
                    self._sqlite_busy_timeout(connection, SQLITE_BUSY_TIMEOUT_MS)

    @staticmethod
    def _sqlite_busy_timeout(connection: Connection, milliseconds: int) -> None:
        # On the driver's connection: outside any transaction, as the pool keeps it.
        connection.connection.driver_connection.execute(f"PRAGMA busy_timeout={milliseconds}")

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


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """``session.execute(insert(table), rows)`` for many rows, past SQLAlchemy's per-row work.

    A bulk triage inserts ~130,000 rows (events, audit entries, tasks). On PostgreSQL psycopg
    ran the executemany as one statement per row, and the server's per-statement work was most
    of the time: the rows go by ``COPY … FROM STDIN``. On SQLite the driver's own executemany
    takes them. Values go through the columns' own bind processors (UTC datetimes, JSON), so the
    rows are those the INSERT writes. Rows that leave out a column with a Python-side default, or
    that name different columns, take the INSERT: neither path applies defaults."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    names = list(rows[0])
    defaulted = any(c.default is not None and c.name not in rows[0] for c in table.c)
    if dialect.name not in ("postgresql", "sqlite") or defaulted or any(r.keys() != rows[0].keys() for r in rows):
        session.execute(insert(table), rows)
        return
    processors = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    values = ([v if process is None else process(v) for v, process in zip((row[n] for n in names), processors)]
              for row in rows)
    quote = dialect.identifier_preparer
    target = f"{quote.format_table(table)} ({', '.join(quote.quote(n) for n in names)})"
    session.flush()  # what the ORM holds goes in first (foreign keys)
    driver = session.connection().connection.driver_connection
    if dialect.name == "sqlite":
        driver.executemany(f"INSERT INTO {target} VALUES ({', '.join('?' * len(names))})", values)
        return
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)
