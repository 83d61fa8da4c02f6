"""One leader among the collector nodes' job runners: scheduled jobs run on exactly one.

Every node runs ``stocktake-collector jobs`` (so losing a node never stops the schedule), but
only the holder of the jobs lease schedules anything; the others stand by and try again every
``jobs_standby_poll_s``. The lease is a lock the database or the kernel drops by itself when
its holder dies, so there is no expiry to tune and no split brain from a slow clock:
- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection kept
  open for the process's life; a killed process's connection ends and its lock with it.
- SQLite (one node by construction): ``flock`` on ``<data_dir>/jobs.lock``, released by the
  kernel when the process exits however it exits.
A leader checks its lease on every heartbeat; if its connection was lost (a database restart)
it steps down and competes again.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import text

from collector.db import Database

__all__ = ["JOBS_LOCK_KEY", "JobsLease"]

log = logging.getLogger(__name__)
# pg_advisory locks take a bigint; this one is "stocktake jobs" for anyone reading pg_locks.
JOBS_LOCK_KEY = 0x5354_4B4A_4F42


class JobsLease:
    def __init__(self, db: Database, data_dir: str) -> None:
        self.db = db
        self.lock_path = Path(data_dir) / "jobs.lock"
        self._connection = None
        self._file = None

    def acquire(self) -> bool:
        """Take the lease if nobody holds it; never waits."""
        if self.db.is_sqlite:
            return self._acquire_file()
        try:
            connection = self.db.engine.connect()
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": JOBS_LOCK_KEY}).scalar()
            connection.commit()  # the lock is the session's; no transaction stays open
        except Exception as exc:  # noqa: BLE001 - the database being away means: not leader, try later
            log.warning("jobs lease: database unavailable", extra={"error": str(exc).splitlines()[0][:200]})
            return False
        if not taken:
            connection.close()
            return False
        self._connection = connection
        return True

    def _acquire_file(self) -> bool:
        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.lock_path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def still_held(self) -> bool:
        """Whether the lease survived (PostgreSQL: its connection still answers)."""
        if self._file is not None:
            return True
        if self._connection is None:
            return False
        try:
            self._connection.execute(text("SELECT 1")).scalar()
            self._connection.commit()
            return True
        except Exception:  # noqa: BLE001 - a lost connection has lost the lock too
            self.release()
            return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            try:
                self._connection.close()  # ends the session: PostgreSQL releases its advisory locks
            except Exception:  # noqa: BLE001
                pass
            self._connection = None
